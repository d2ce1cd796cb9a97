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
}

/// One component of a Go binary, as the inventory reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoComponent {
    /// `stdlib` for the toolchain, else the module path.
    pub name: String,
    /// `1.24.3` for the toolchain (without the `go` prefix), else the module version.
    pub version: String,
}

impl BuildInfo {
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
        for m in self.main.iter().chain(&self.deps) {
            let (path, version) = match &m.replace {
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

/// An unsigned-varint length followed by that many bytes.
fn decode_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    let mut used = 0usize;
    loop {
        let b = *data.get(used)?;
        used += 1;
        if shift >= 63 && b > 1 {
            return None;
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if used >= 10 {
            return None;
        }
    }
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
        }
    }
    info
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
