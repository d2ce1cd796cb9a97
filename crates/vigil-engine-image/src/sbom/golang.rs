//! Go binaries: the build information the Go linker embeds in every executable since Go 1.13
//! (what `go version -m` prints): the toolchain version, the main package's path, the main
//! module, and every dependency module with its `=>` replacement.
//!
//! The block starts with the 14-byte magic `\xff Go buildinf:` at a 16-byte aligned address,
//! in the ELF section `.go.buildinfo` (or, when the section table is missing or was cut off, at
//! any 16-byte aligned offset of the bytes given). Byte 14 is the pointer size and byte 15 the
//! flags. Go 1.18 and later set flag bit 1 and store two length-prefixed (unsigned varint)
//! strings after the 32-byte header: the version and the module information. Older toolchains
//! store two pointers after byte 16 to Go string headers (data pointer, length) in the data
//! segment, read here through the ELF program headers (byte 15 then tells the byte order).
//! The module information is framed by two 16-byte sentinels and holds tab-separated lines
//! `path`, `mod`, `dep`, `=>` and `build`.
//!
//! Every length is bounded ([`MAX_STRING_BYTES`], [`MAX_MODULES`]) and at most
//! [`MAX_CANDIDATES`] magic matches are tried when scanning, so hostile bytes cost little.

use super::elf::{read_uint, Elf};

/// The build-information magic.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Size of the build-information header.
const HEADER_BYTES: usize = 32;
/// Alignment of the header.
const ALIGN: usize = 16;
/// Longest version or module-information string read.
pub const MAX_STRING_BYTES: u64 = 4 << 20;
/// Most modules (main and dependencies) kept from one binary.
pub const MAX_MODULES: usize = 100_000;
/// Most magic matches tried when scanning bytes without a `.go.buildinfo` section.
pub const MAX_CANDIDATES: usize = 16;
/// The version Go records for a module built from its own source tree, and the version given
/// here to a dependency replaced by a local directory.
pub const DEVEL: &str = "(devel)";

/// A module line (`mod`, `dep`, or its `=>` replacement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Module path (`github.com/docker/cli`), or the directory of a local replacement.
    pub path: String,
    /// Version as recorded (`v1.2.3`, `(devel)`, empty for a directory replacement).
    pub version: String,
    /// The `h1:` checksum, if recorded.
    pub sum: Option<String>,
    /// The module that replaced it (`=>` line), if any.
    pub replace: Option<Box<Module>>,
}

impl Module {
    /// Whether this (replacement) module is a local directory: a path starting with `./`,
    /// `../` or `/` (as Go decides), or one recorded without a version.
    pub fn is_directory(&self) -> bool {
        self.path.starts_with("./")
            || self.path.starts_with("../")
            || self.path.starts_with('/')
            || self.version.is_empty()
    }
}

/// The build information of one binary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// The toolchain version (`go1.24.3`, possibly followed by experiment tags).
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line); absent for binaries built outside module mode.
    pub main: Option<Module>,
    /// Dependency modules (`dep` lines), in recorded order.
    pub deps: Vec<Module>,
    /// Build settings (`build` lines: `-ldflags`, `vcs.revision`, `GOOS`, ...), in recorded
    /// order, at most [`MAX_SETTINGS`].
    pub settings: Vec<(String, String)>,
}

/// Most build settings kept from one binary.
pub const MAX_SETTINGS: usize = 512;

/// One component of a Go binary, as the inventory reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoComponent {
    /// `stdlib` for the toolchain, else the module path.
    pub name: String,
    /// `1.24.3` for the toolchain (without the `go` prefix), else the module version.
    pub version: String,
}

impl BuildInfo {
    /// A build setting's value.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The main module's version. A module built from its own work tree is recorded as
    /// `(devel)` (or, before Go 1.24, always so); its real version usually sits in the linker
    /// flags (`-X pkg.Version=28.2.2`, `-X pkg.gitVersion=v1.31.0`, `-X pkg.Tag=v2.8.2`).
    /// Failing that, the version-control stamp gives Go's pseudo-version
    /// (`v0.0.0-20240102150405-abcdef123456`). `None` when neither is there.
    pub fn main_version(&self) -> Option<String> {
        if let Some(main) = &self.main {
            if !main.version.is_empty() && main.version != DEVEL {
                return Some(main.version.clone());
            }
        }
        if let Some(v) = self.setting("-ldflags").and_then(ldflags_version) {
            return Some(v);
        }
        let revision = self.setting("vcs.revision")?;
        let time = self.setting("vcs.time")?;
        pseudo_version(time, revision)
    }

    /// The toolchain as a module version (`go1.24.3 X:foo` → `1.24.3`), if it is a release
    /// (development toolchains, `devel ...`, have none).
    pub fn stdlib_version(&self) -> Option<String> {
        let first = self.go_version.split_whitespace().next()?;
        let v = first.strip_prefix("go")?;
        v.starts_with(|c: char| c.is_ascii_digit())
            .then(|| v.to_string())
    }

    /// The components: the toolchain (`stdlib`), the main module (`(devel)` when built from
    /// a work tree) and every dependency. A dependency replaced by another module is reported
    /// as that module (what was compiled in); one replaced by a local directory keeps its
    /// path with version `(devel)` (its code is whatever the directory held, whatever
    /// version it was required at).
    pub fn components(&self) -> Vec<GoComponent> {
        let mut out = Vec::new();
        if let Some(v) = self.stdlib_version() {
            out.push(GoComponent {
                name: "stdlib".into(),
                version: v,
            });
        }
        let main_version = self.main_version();
        // Built outside module mode (GOPATH, `GO111MODULE=off`: docker, Debian's
        // docker-registry): no main module, but the main package and a version stamped by the
        // linker name the program.
        if let (None, Some(path), Some(v)) = (&self.main, &self.path, &main_version) {
            if path != "command-line-arguments" {
                out.push(GoComponent {
                    name: path.clone(),
                    version: v.clone(),
                });
            }
        }
        for (i, m) in self.main.iter().chain(&self.deps).enumerate() {
            let is_main = i == 0 && self.main.is_some();
            let (path, version) = match &m.replace {
                None if is_main => (&m.path, main_version.as_deref().unwrap_or(DEVEL)),
                Some(r) if r.is_directory() => (&m.path, DEVEL),
                Some(r) => (&r.path, r.version.as_str()),
                None if m.version.is_empty() => (&m.path, DEVEL),
                None => (&m.path, m.version.as_str()),
            };
            if path.is_empty() {
                continue;
            }
            out.push(GoComponent {
                name: path.clone(),
                version: version.to_string(),
            });
        }
        out
    }
}

/// Reads the build information of an ELF binary (`data` may be a prefix of the file):
/// from `.go.buildinfo` if the section table is readable, else by scanning for the magic.
pub fn read(data: &[u8]) -> Option<BuildInfo> {
    let elf = Elf::parse(data);
    if let Some(section) = elf.as_ref().and_then(|e| e.section(".go.buildinfo")) {
        if let Some(info) = parse_block(section, elf.as_ref()) {
            return Some(info);
        }
    }
    let mut tried = 0;
    let mut offset = 0usize;
    while offset.checked_add(HEADER_BYTES)? <= data.len() && tried < MAX_CANDIDATES {
        if data[offset] == MAGIC[0] && data[offset..].starts_with(MAGIC) {
            tried += 1;
            if let Some(info) = parse_block(&data[offset..], elf.as_ref()) {
                return Some(info);
            }
        }
        offset += ALIGN;
    }
    None
}

/// Parses a build-information block that starts with the magic. The pointer format (before
/// Go 1.18) needs the ELF file to follow its pointers.
pub fn parse_block(block: &[u8], elf: Option<&Elf<'_>>) -> Option<BuildInfo> {
    if block.len() < HEADER_BYTES || !block.starts_with(MAGIC) {
        return None;
    }
    let ptr_size = usize::from(block[14]);
    let flags = block[15];
    let (version, modinfo): (&[u8], &[u8]) = if flags & 2 != 0 {
        let (version, rest) = decode_string(&block[HEADER_BYTES..])?;
        let (modinfo, _) = decode_string(rest)?;
        (version, modinfo)
    } else {
        let elf = elf?;
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big_endian = flags & 1 != 0;
        let version_addr = read_uint(block.get(16..)?, ptr_size, big_endian)?;
        let modinfo_addr = read_uint(block.get(16 + ptr_size..)?, ptr_size, big_endian)?;
        let version = read_go_string(elf, version_addr, ptr_size, big_endian)?;
        let modinfo = read_go_string(elf, modinfo_addr, ptr_size, big_endian).unwrap_or(&[]);
        (version, modinfo)
    };
    let go_version = std::str::from_utf8(version).ok()?.trim();
    if go_version.is_empty()
        || !(go_version.starts_with("go") || go_version.starts_with("devel"))
        || go_version.chars().any(|c| c.is_control())
    {
        return None;
    }
    let mut info = parse_modinfo(&String::from_utf8_lossy(strip_sentinels(modinfo)));
    info.go_version = go_version.to_string();
    Some(info)
}

/// The module information between its 16-byte sentinels (empty if they are not there).
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[]
    }
}

/// How much of an inline (Go 1.18+) build-information block starting with the magic has to be
/// there before it can be parsed, for a block arriving piece by piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNeed {
    /// At least this many bytes (the whole block once both lengths are known).
    Bytes(usize),
    /// Not an inline block (no magic, the pointer format, or lengths no Go binary has).
    Invalid,
}

/// Longest toolchain version string accepted while a block streams in.
const MAX_VERSION_BYTES: u64 = 256;

/// An unsigned varint at the start of `data`: `Ok(None)` when more bytes are needed.
fn varint_prefix(data: &[u8]) -> Result<Option<(u64, usize)>, ()> {
    let mut len: u64 = 0;
    for (i, &b) in data.iter().take(10).enumerate() {
        if i == 9 && b > 1 {
            return Err(());
        }
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((len, i + 1)));
        }
    }
    if data.len() >= 10 {
        Err(())
    } else {
        Ok(None)
    }
}

/// See [`BlockNeed`].
pub fn inline_block_need(block: &[u8]) -> BlockNeed {
    if block.len() < HEADER_BYTES {
        return BlockNeed::Bytes(HEADER_BYTES);
    }
    if !block.starts_with(MAGIC) || block[15] & 2 == 0 {
        return BlockNeed::Invalid;
    }
    let (vlen, used) = match varint_prefix(&block[HEADER_BYTES..]) {
        Err(()) => return BlockNeed::Invalid,
        Ok(None) => return BlockNeed::Bytes(block.len() + 1),
        Ok(Some(x)) => x,
    };
    if vlen == 0 || vlen > MAX_VERSION_BYTES {
        return BlockNeed::Invalid;
    }
    let version_at = HEADER_BYTES + used;
    let after = version_at + vlen as usize;
    if block.len() < after {
        return BlockNeed::Bytes(after);
    }
    let version = &block[version_at..after];
    if !(version.starts_with(b"go") || version.starts_with(b"devel")) {
        return BlockNeed::Invalid;
    }
    match varint_prefix(&block[after..]) {
        Err(()) => BlockNeed::Invalid,
        Ok(None) => BlockNeed::Bytes(block.len() + 1),
        Ok(Some((mlen, _))) if mlen > MAX_STRING_BYTES => BlockNeed::Invalid,
        Ok(Some((mlen, used))) => BlockNeed::Bytes(after + used + mlen as usize),
    }
}

/// Finds and parses the build information of a binary too large to hold, as its bytes stream
/// by: a 16-byte aligned magic, then the inline block after it. (The pointer format of Go
/// before 1.18 needs random access to the file and is not followed here.)
#[derive(Debug, Default)]
pub struct StreamSearch {
    /// The last bytes seen, where a magic may start.
    carry: Vec<u8>,
    /// File offset of `carry[0]`.
    carry_at: u64,
    /// The block being collected, from its magic on, and the magic's file offset.
    block: Option<(u64, Vec<u8>)>,
    /// Magic matches tried.
    tried: usize,
    /// The result, once found.
    found: Option<BuildInfo>,
}

impl StreamSearch {
    /// A search going on after the file's first `head.len()` bytes. [`read`] found no whole
    /// block in them, but one may start there and be cut at their end, so their last
    /// [`MAX_STRING_BYTES`] and some are searched again.
    pub fn after(head: &[u8]) -> StreamSearch {
        let back = MAX_STRING_BYTES as usize + 4096;
        let from = head.len().saturating_sub(back) / ALIGN * ALIGN;
        let mut s = StreamSearch::default();
        s.feed(from as u64, &head[from..]);
        s
    }

    /// The next bytes, starting at file offset `offset`. Returns whether to go on.
    pub fn feed(&mut self, offset: u64, chunk: &[u8]) -> bool {
        if self.found.is_some() || self.tried > MAX_CANDIDATES {
            return false;
        }
        let (window, start) = match self.block.take() {
            Some((block_at, mut block)) => {
                let before = block.len();
                match self.grow(&mut block, chunk) {
                    Some(more) => {
                        self.block = Some((block_at, block));
                        return more;
                    }
                    None => {
                        // Not a block after all: search again from the next aligned offset
                        // after its magic, over what it took and the rest of the chunk.
                        let consumed = block.len() - before;
                        let mut w = block.get(ALIGN..).unwrap_or_default().to_vec();
                        w.extend_from_slice(&chunk[consumed..]);
                        (w, block_at + ALIGN as u64)
                    }
                }
            }
            None => {
                let mut w = std::mem::take(&mut self.carry);
                let start = if w.is_empty() { offset } else { self.carry_at };
                w.extend_from_slice(chunk);
                (w, start)
            }
        };
        let align = ALIGN as u64;
        let mut p = ((align - start % align) % align) as usize;
        while p + MAGIC.len() <= window.len() {
            if window[p..].starts_with(MAGIC) {
                self.tried += 1;
                if self.tried > MAX_CANDIDATES {
                    return false;
                }
                let mut block = Vec::new();
                if let Some(more) = self.grow(&mut block, &window[p..]) {
                    self.block = Some((start + p as u64, block));
                    return more;
                }
            }
            p += ALIGN;
        }
        let keep = window.len().min(MAGIC.len() - 1);
        self.carry_at = start + (window.len() - keep) as u64;
        self.carry = window[window.len() - keep..].to_vec();
        true
    }

    /// Adds `bytes` to `block`; `Some(go on)` while it is (or may still be) a block, `None`
    /// when it is not one.
    fn grow(&mut self, block: &mut Vec<u8>, bytes: &[u8]) -> Option<bool> {
        let mut fed = 0;
        loop {
            match inline_block_need(block) {
                BlockNeed::Invalid => return None,
                BlockNeed::Bytes(n) if block.len() >= n => {
                    let info = parse_block(&block[..n], None)?;
                    self.found = Some(info);
                    return Some(false);
                }
                BlockNeed::Bytes(n) => {
                    if fed == bytes.len() {
                        return Some(true);
                    }
                    let take = (n - block.len()).min(bytes.len() - fed);
                    block.extend_from_slice(&bytes[fed..fed + take]);
                    fed += take;
                }
            }
        }
    }

    /// The build information, if it was found.
    pub fn finish(self) -> Option<BuildInfo> {
        self.found
    }
}

/// An unsigned-varint length followed by that many bytes.
fn decode_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, used) = varint_prefix(data).ok()??;
    if len > MAX_STRING_BYTES {
        return None;
    }
    let end = used.checked_add(usize::try_from(len).ok()?)?;
    Some((data.get(used..end)?, &data[end..]))
}

/// A Go string (data pointer, length) at virtual address `addr`.
fn read_go_string<'a>(
    elf: &Elf<'a>,
    addr: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Option<&'a [u8]> {
    let header = elf.read_vaddr(addr, 2 * ptr_size as u64)?;
    let data = read_uint(header, ptr_size, big_endian)?;
    let len = read_uint(header.get(ptr_size..)?, ptr_size, big_endian)?;
    if len > MAX_STRING_BYTES {
        return None;
    }
    elf.read_vaddr(data, len)
}

/// Parses module-information lines (`path`, `mod`, `dep`, `=>`; others ignored). A `=>` line
/// replaces the module of the line before it. At most [`MAX_MODULES`] modules are kept.
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Where a `=>` line applies: None, the main module, or the last dependency.
    #[derive(Clone, Copy)]
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for line in text.split('\n') {
        if let Some(rest) = line.strip_prefix("path\t") {
            info.path = Some(rest.trim_end_matches('\r').to_string());
            last = Last::None;
        } else if let Some(rest) = line.strip_prefix("mod\t") {
            info.main = Some(module(rest));
            last = Last::Main;
        } else if let Some(rest) = line.strip_prefix("dep\t") {
            if info.deps.len() < MAX_MODULES {
                info.deps.push(module(rest));
                last = Last::Dep;
            } else {
                last = Last::None;
            }
        } else if let Some(rest) = line.strip_prefix("=>\t") {
            let target = match last {
                Last::Main => info.main.as_mut(),
                Last::Dep => info.deps.last_mut(),
                Last::None => None,
            };
            if let Some(m) = target {
                m.replace = Some(Box::new(module(rest)));
            }
            last = Last::None;
        } else if let Some(rest) = line.strip_prefix("build\t") {
            if info.settings.len() < MAX_SETTINGS {
                let rest = rest.trim_end_matches('\r');
                let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
                // Values with spaces are quoted (`-ldflags="-s -w"`).
                let v = v
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .map_or_else(|| v.to_string(), unquote);
                info.settings.push((k.to_string(), v));
            }
            last = Last::None;
        }
    }
    info
}

/// Whether `key`, the last part of an `-X` symbol (`Version`, `gitVersion`, `buildVersion`,
/// `GitBuildVersion`, `Tag`) names a version.
fn version_symbol(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let k = k.strip_prefix("git").unwrap_or(&k);
    let k = k.strip_prefix("build").unwrap_or(k);
    k == "version" || k == "tag"
}

/// A release version: `v` optional, three dot-separated numbers, then an optional
/// pre-release or build suffix of `[-+.\w]`.
fn release_version(v: &str) -> Option<String> {
    let bare = v.strip_prefix('v').unwrap_or(v);
    let mut parts = bare.splitn(3, '.');
    let major = parts.next()?;
    let minor = parts.next()?;
    let rest = parts.next()?;
    let patch_len = rest.chars().take_while(char::is_ascii_digit).count();
    let suffix = &rest[patch_len..];
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !numeric(major) || !numeric(minor) || patch_len == 0 {
        return None;
    }
    if !suffix.is_empty()
        && (!suffix.starts_with(['-', '+'])
            || !suffix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_')))
    {
        return None;
    }
    Some(format!("v{bare}"))
}

/// The version an `-ldflags` value sets with `-X importpath.name=value`, where `name` names a
/// version ([`version_symbol`]) and the value (after any `path/` prefix) is a release version.
pub fn ldflags_version(ldflags: &str) -> Option<String> {
    let words: Vec<&str> = ldflags
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        let assignment = if let Some(a) = w.strip_prefix("-X=") {
            a
        } else if *w == "-X" || *w == "--X" {
            match words.get(i + 1) {
                Some(a) => a,
                None => continue,
            }
        } else {
            continue;
        };
        let assignment = assignment.trim_matches(|c| c == '"' || c == '\'');
        let Some((symbol, value)) = assignment.split_once('=') else {
            continue;
        };
        let name = symbol.rsplit('.').next().unwrap_or(symbol);
        if !version_symbol(name) {
            continue;
        }
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        let value = value.rsplit('/').next().unwrap_or(value);
        if let Some(v) = release_version(value) {
            // `Version` wins over `Tag` and friends when both are set.
            let exact = name.eq_ignore_ascii_case("version");
            if exact {
                return Some(v);
            }
            found.get_or_insert(v);
        }
    }
    found
}

/// Go's pseudo-version for an untagged commit: `v0.0.0-YYYYMMDDHHMMSS-<12 hex>`, from the
/// RFC 3339 `vcs.time` (UTC, as Go records it) and the `vcs.revision`.
pub fn pseudo_version(time: &str, revision: &str) -> Option<String> {
    let digits: String = time
        .split(['.', 'Z', '+'])
        .next()?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() != 14 || revision.len() < 12 {
        return None;
    }
    let rev = revision.get(..12)?;
    if !rev.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!("v0.0.0-{digits}-{}", rev.to_ascii_lowercase()))
}

/// The inside of a Go-quoted string (`strconv.Quote`): `\t`, `\n`, `\r`, `\"` and `\\`
/// decoded, other escapes kept as written.
fn unquote(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let mut chars = q.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(e @ ('"' | '\\')) => out.push(e),
            Some(e) => {
                out.push('\\');
                out.push(e);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `PATH\tVERSION[\tSUM]`.
fn module(fields: &str) -> Module {
    let mut it = fields.trim_end_matches('\r').split('\t');
    let path = it.next().unwrap_or_default().to_string();
    let version = it.next().unwrap_or_default().to_string();
    let sum = it.next().filter(|s| !s.is_empty()).map(str::to_string);
    Module {
        path,
        version,
        sum,
        replace: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A Go 1.18+ inline block.
    fn inline_block(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(8);
        b.push(2);
        b.resize(HEADER_BYTES, 0);
        varint(version.len(), &mut b);
        b.extend_from_slice(version.as_bytes());
        let mut m = START.to_vec();
        m.extend_from_slice(modinfo.as_bytes());
        m.extend_from_slice(END);
        varint(m.len(), &mut b);
        b.extend_from_slice(&m);
        b
    }

    const MODINFO: &str = "path\texample.com/app/cmd/app\n\
mod\texample.com/app\t(devel)\t\n\
dep\tgithub.com/a/b\tv1.2.3\th1:abc=\n\
dep\texample.com/lib\tv0.1.0\t\n\
=>\t../lib\t(devel)\t\n\
dep\tgolang.org/x/net\tv0.1.0\th1:x=\n\
=>\tgolang.org/x/net\tv0.2.0\th1:y=\n\
build\tGOOS=linux\n";

    #[test]
    fn inline_format_and_components() {
        let mut data = vec![0u8; 48];
        data.extend(inline_block("go1.21.5 X:boringcrypto", MODINFO));
        let info = read(&data).unwrap();
        assert_eq!(info.go_version, "go1.21.5 X:boringcrypto");
        assert_eq!(info.path.as_deref(), Some("example.com/app/cmd/app"));
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:abc="));
        let comps: Vec<(String, String)> = info
            .components()
            .into_iter()
            .map(|c| (c.name, c.version))
            .collect();
        let want = [
            ("stdlib", "1.21.5"),
            ("example.com/app", "(devel)"),
            ("github.com/a/b", "v1.2.3"),
            ("example.com/lib", "(devel)"),
            ("golang.org/x/net", "v0.2.0"),
        ];
        assert_eq!(
            comps,
            want.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn streamed_search_finds_blocks_across_chunks() {
        let block = inline_block("go1.24.3", MODINFO);
        let want = parse_block(&block, None).unwrap();
        // A decoy magic that is no block, then the real one, at every split of the stream.
        let mut file = vec![0u8; 4096];
        file[1600..1614].copy_from_slice(MAGIC);
        file[1614] = 8;
        file[1615] = 2;
        let at = 3008;
        file.splice(at..at, block.iter().copied());
        for head in [0usize, 1000, 1601, 3000, 3020] {
            for chunk in [1usize, 7, 16, 100, 5000] {
                let mut s = StreamSearch::after(&file[..head]);
                let mut off = head;
                while off < file.len() {
                    let end = (off + chunk).min(file.len());
                    if !s.feed(off as u64, &file[off..end]) {
                        break;
                    }
                    off = end;
                }
                assert_eq!(
                    s.finish().as_ref(),
                    Some(&want),
                    "head {head} chunk {chunk}"
                );
            }
        }
        // Unaligned: not found.
        let mut odd = vec![0u8; 3];
        odd.extend_from_slice(&block);
        let mut s = StreamSearch::after(&[]);
        s.feed(0, &odd);
        assert!(s.finish().is_none());
        assert_eq!(
            inline_block_need(&block[..20]),
            BlockNeed::Bytes(HEADER_BYTES)
        );
        assert_eq!(inline_block_need(&block), BlockNeed::Bytes(block.len()));
    }

    #[test]
    fn main_module_version_from_linker_flags_or_vcs() {
        let info = |main: &str, build: &str| {
            parse_modinfo(&format!(
                "path\tgithub.com/docker/cli/cmd/docker\nmod\tgithub.com/docker/cli\t{main}\t\n{build}"
            ))
        };
        let main = |i: &BuildInfo| {
            i.components()
                .into_iter()
                .find(|c| c.name == "github.com/docker/cli")
                .map(|c| c.version)
        };
        // docker's own build: `-X` with a bare version among other flags.
        let docker = info(
            "(devel)",
            "build\t-ldflags=\"-w -X \\\"github.com/docker/cli/cli/version.GitCommit=e6534b4\\\" -X \\\"github.com/docker/cli/cli/version.Version=28.2.2\\\"\"\nbuild\tvcs.revision=e6534b4eb700e592f25a09e0e3b2c32b2d3f2b6a\nbuild\tvcs.time=2025-05-30T10:11:12Z\n",
        );
        assert_eq!(main(&docker).as_deref(), Some("v28.2.2"));
        // kubernetes: gitVersion with a path-free `v` version.
        let k8s = info(
            "",
            "build\t-ldflags=\"-X k8s.io/component-base/version.gitVersion=v1.31.0 -X k8s.io/component-base/version.gitCommit=abc\"\n",
        );
        assert_eq!(main(&k8s).as_deref(), Some("v1.31.0"));
        // Not a version: a commit, a date, a dirty-tree marker.
        let other = info(
            "(devel)",
            "build\t-ldflags=\"-X main.version=dev -X main.date=2024-01-02 -X main.Tag=abc\"\n",
        );
        assert_eq!(main(&other).as_deref(), Some("(devel)"));
        // Only the VCS stamp: Go's pseudo-version.
        let vcs = info(
            "(devel)",
            "build\tvcs.revision=E6534B4EB700e592f25a09e0e3b2c32b2d3f2b6a\nbuild\tvcs.time=2025-05-30T10:11:12Z\n",
        );
        assert_eq!(
            main(&vcs).as_deref(),
            Some("v0.0.0-20250530101112-e6534b4eb700")
        );
        // Go-quoted with escaped tabs between the flags (anthoscli), and `gitTag`.
        let tabs = info(
            "(devel)",
            "build\t-ldflags=\"-X a/version.gitCommit=6801b89 \\t\\t-X a/version.gitTag=0.2.56\"\n",
        );
        assert_eq!(main(&tabs).as_deref(), Some("v0.2.56"));
        // No main module (GOPATH mode): the main package with the stamped version.
        let gopath = parse_modinfo(
            "path\tgithub.com/docker/distribution/cmd/registry\nbuild\t-ldflags=\"-X github.com/docker/distribution/version.Version=v2.8.2+ds1\"\n",
        );
        let comps: Vec<(String, String)> = gopath
            .components()
            .into_iter()
            .map(|c| (c.name, c.version))
            .collect();
        assert_eq!(
            comps,
            vec![(
                "github.com/docker/distribution/cmd/registry".to_string(),
                "v2.8.2+ds1".to_string()
            )]
        );
        assert!(parse_modinfo("path\tx/cmd\n").components().is_empty());
        // A recorded version is kept as it is.
        let tagged = info("v1.2.3", "build\t-ldflags=\"-X main.version=9.9.9\"\n");
        assert_eq!(main(&tagged).as_deref(), Some("v1.2.3"));
        assert_eq!(
            release_version("1.2.3-rc.1+meta").as_deref(),
            Some("v1.2.3-rc.1+meta")
        );
        assert_eq!(release_version("1.2"), None);
        assert_eq!(release_version("1.2.3x"), None);
        assert_eq!(
            ldflags_version("-X=main.Version=v2.0.1").as_deref(),
            Some("v2.0.1")
        );
        assert_eq!(ldflags_version("-X main.Version"), None);
    }

    #[test]
    fn pointer_format_through_program_headers() {
        // A 64-bit little-endian ELF with one PT_LOAD segment mapping the file at 0x1000.
        let base = 0x1000u64;
        let mut f = vec![0u8; 64 + 56];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&1u16.to_le_bytes());
        f[64..68].copy_from_slice(&1u32.to_le_bytes());
        f[64 + 16..64 + 24].copy_from_slice(&base.to_le_bytes());
        while f.len() & 15 != 0 {
            f.push(0);
        }
        let block_off = f.len();
        f.extend_from_slice(MAGIC);
        f.push(8);
        f.push(0); // pointer format, little-endian
        f.resize(block_off + 32, 0);
        let strings_off = f.len();
        let version = b"go1.16.15";
        let mut modinfo = START.to_vec();
        modinfo.extend_from_slice(b"path\tx/y\nmod\tx/y\tv1.0.0\t\n");
        modinfo.extend_from_slice(END);
        f.extend_from_slice(version);
        let modinfo_off = f.len();
        f.extend_from_slice(&modinfo);
        let hdr_off = f.len();
        for (off, len) in [(strings_off, version.len()), (modinfo_off, modinfo.len())] {
            f.extend_from_slice(&(base + off as u64).to_le_bytes());
            f.extend_from_slice(&(len as u64).to_le_bytes());
        }
        let p1 = base + hdr_off as u64;
        let p2 = p1 + 16;
        f[block_off + 16..block_off + 24].copy_from_slice(&p1.to_le_bytes());
        f[block_off + 24..block_off + 32].copy_from_slice(&p2.to_le_bytes());
        let len = f.len() as u64;
        f[64 + 32..64 + 40].copy_from_slice(&len.to_le_bytes()); // filesz
        let info = read(&f).unwrap();
        assert_eq!(info.go_version, "go1.16.15");
        assert_eq!(info.main.as_ref().unwrap().version, "v1.0.0");
        // Without the ELF mapping the pointers lead nowhere.
        assert!(parse_block(&f[block_off..], None).is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(read(b"").is_none());
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[8, 2]);
        b.resize(32, 0);
        b.extend_from_slice(&[0xff; 12]);
        assert!(read(&b).is_none());
        // Not a Go version.
        assert!(read(&inline_block("hello", "")).is_none());
        // No sentinels: version only.
        let info = parse_block(&inline_block("go1.22.0", ""), None).unwrap();
        assert_eq!(info.main, None);
        assert_eq!(info.stdlib_version().as_deref(), Some("1.22.0"));
        let devel = BuildInfo {
            go_version: "devel go1.23-abc".into(),
            ..BuildInfo::default()
        };
        assert_eq!(devel.stdlib_version(), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn buildinfo_parser_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
            let _ = read(&data);
            let elf = Elf::parse(&data);
            let _ = parse_block(&data, elf.as_ref());
            // Behind a magic, so the header parsing runs on arbitrary bytes.
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&data);
            let _ = parse_block(&b, elf.as_ref());
            let _ = parse_modinfo(&String::from_utf8_lossy(&data));
        }

        #[test]
        fn modinfo_round_trips(
            deps in proptest::collection::vec(("[a-z]{1,8}\\.com/[a-z/]{1,12}", "v[0-9]\\.[0-9]{1,2}\\.[0-9]"), 0..20),
            junk in proptest::collection::vec("[ -~\t]{0,20}", 0..5),
            cut in 0usize..2048,
        ) {
            let mut m = String::from("path\tx.com/app\nmod\tx.com/app\t(devel)\t\n");
            for (p, v) in &deps {
                m.push_str(&format!("dep\t{p}\t{v}\th1:x=\n"));
            }
            for j in &junk {
                m.push_str(j);
                m.push('\n');
            }
            let block = inline_block("go1.22.1", &m);
            let info = parse_block(&block, None).unwrap();
            let got: Vec<(String, String)> = info.deps.iter().take(deps.len())
                .map(|d| (d.path.clone(), d.version.clone())).collect();
            proptest::prop_assert_eq!(got, deps.clone());
            let _ = parse_block(&block[..cut.min(block.len())], None);
        }
    }
}
