//! Hash lists: known-bad files by the hash of their complete contents.
//!
//! Two kinds of files are read:
//!
//! * **Plain lists** (any name other than below): one hash per line (32 hex digits MD5, 40 SHA-1,
//!   64 SHA-256), optionally followed by whitespace or a comma and a name, so `sha256sum` and
//!   `md5sum` output works as is. Blank lines and lines starting with `#` are skipped.
//! * **ClamAV hash databases**: `.hdb` / `.hdu` (`MD5:size:name`) and `.hsb` / `.hsu`
//!   (`SHA256:size:name` or `SHA1:size:name`), with optional minimum and maximum functionality
//!   level fields after the name, as in ClamAV's *File hash signatures* documentation. The size is
//!   a positive decimal or `*` (any size); ClamAV accepts `*` only with a minimum functionality
//!   level of 73 or more, and so does Vigil, so that a database Vigil accepts is one ClamAV
//!   accepts. Functionality levels are checked for form but otherwise ignored (every signature is
//!   used).
//!
//! A file matches only when its complete contents were hashed (`data.len() as u64 == size`) and,
//! for entries with a size, when the size is equal. Hexadecimal digits may be upper or lower
//! case.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::Error;

/// Largest hash list file read.
const MAX_LIST_BYTES: u64 = 2 << 30;
/// Longest line of a hash list.
const MAX_LINE_BYTES: usize = 4096;
/// Most entries over all lists.
const MAX_ENTRIES: usize = 50_000_000;
/// The functionality level from which ClamAV accepts `*` sizes.
const FLEVEL_WILDCARD_SIZE: u32 = 73;

/// Hash algorithm of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// MD5 (32 hex digits).
    Md5,
    /// SHA-1 (40 hex digits).
    Sha1,
    /// SHA-256 (64 hex digits).
    Sha256,
}

impl HashAlgorithm {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha256 => "sha256",
        }
    }

    fn from_hex_len(len: usize) -> Option<HashAlgorithm> {
        match len {
            32 => Some(HashAlgorithm::Md5),
            40 => Some(HashAlgorithm::Sha1),
            64 => Some(HashAlgorithm::Sha256),
            _ => None,
        }
    }
}

/// One known-bad hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashEntry {
    /// Algorithm.
    pub algorithm: HashAlgorithm,
    /// The digest bytes.
    pub digest: Vec<u8>,
    /// File size the signature requires, `None` for any size.
    pub size: Option<u64>,
    /// Signature name (the file name of the list when the line has none).
    pub name: String,
    /// The list file it came from (shared by all entries of that file).
    pub list: Arc<Path>,
}

/// Entries of one algorithm, indexed by digest, with the sizes that can match.
#[derive(Debug, Default)]
struct Table {
    by_digest: HashMap<Vec<u8>, Vec<usize>>,
    sizes: HashSet<u64>,
    any_size: bool,
}

impl Table {
    fn may_match_size(&self, size: u64) -> bool {
        self.any_size || self.sizes.contains(&size)
    }
}

/// A set of hash lists, ready to match files.
#[derive(Debug, Default)]
pub struct HashDb {
    entries: Vec<HashEntry>,
    md5: Table,
    sha1: Table,
    sha256: Table,
}

/// Digests of one complete file; only those a [`HashDb`] needed are present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDigests {
    /// MD5, lower-case hex.
    pub md5: Option<String>,
    /// SHA-1, lower-case hex.
    pub sha1: Option<String>,
    /// SHA-256, lower-case hex.
    pub sha256: Option<String>,
}

impl HashDb {
    /// An empty database.
    pub fn new() -> HashDb {
        HashDb::default()
    }

    /// Reads hash list files (format by extension, see the module documentation).
    pub fn load<P: AsRef<Path>>(files: &[P]) -> Result<HashDb, Error> {
        let mut db = HashDb::new();
        for f in files {
            db.add_file(f.as_ref())?;
        }
        Ok(db)
    }

    /// Reads one hash list file into the database.
    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_LIST_BYTES {
            return Err(Error::Limit {
                path: path.to_path_buf(),
                reason: format!("hash list larger than {MAX_LIST_BYTES} bytes"),
            });
        }
        let format = Format::of(path);
        let default_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let list: Arc<Path> = Arc::from(path);
        let mut reader = BufReader::new(file.take(MAX_LIST_BYTES));
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        loop {
            buf.clear();
            // Bounded line read: at most MAX_LINE_BYTES + 1 bytes are kept.
            let n = read_line_bounded(&mut reader, &mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            if buf.len() > MAX_LINE_BYTES {
                return Err(Error::HashList {
                    path: path.to_path_buf(),
                    line: line_no,
                    reason: format!("line longer than {MAX_LINE_BYTES} bytes"),
                });
            }
            let line = String::from_utf8_lossy(&buf);
            let parsed = match format {
                Format::Plain => parse_plain_line(&line),
                Format::ClamMd5 => parse_clam_line(&line, &[HashAlgorithm::Md5]),
                Format::ClamSha => {
                    parse_clam_line(&line, &[HashAlgorithm::Sha1, HashAlgorithm::Sha256])
                }
            };
            match parsed {
                Ok(None) => {}
                Ok(Some(p)) => {
                    if self.entries.len() >= MAX_ENTRIES {
                        return Err(Error::Limit {
                            path: path.to_path_buf(),
                            reason: format!("more than {MAX_ENTRIES} hash entries"),
                        });
                    }
                    self.push(HashEntry {
                        algorithm: p.algorithm,
                        digest: p.digest,
                        size: p.size,
                        name: p.name.unwrap_or_else(|| default_name.clone()),
                        list: Arc::clone(&list),
                    });
                }
                Err(reason) => {
                    return Err(Error::HashList {
                        path: path.to_path_buf(),
                        line: line_no,
                        reason,
                    })
                }
            }
        }
        Ok(())
    }

    /// Adds one entry.
    pub fn push(&mut self, entry: HashEntry) {
        let idx = self.entries.len();
        let table = self.table_mut(entry.algorithm);
        match entry.size {
            Some(s) => {
                table.sizes.insert(s);
            }
            None => table.any_size = true,
        }
        table
            .by_digest
            .entry(entry.digest.clone())
            .or_default()
            .push(idx);
        self.entries.push(entry);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn table(&self, a: HashAlgorithm) -> &Table {
        match a {
            HashAlgorithm::Md5 => &self.md5,
            HashAlgorithm::Sha1 => &self.sha1,
            HashAlgorithm::Sha256 => &self.sha256,
        }
    }

    fn table_mut(&mut self, a: HashAlgorithm) -> &mut Table {
        match a {
            HashAlgorithm::Md5 => &mut self.md5,
            HashAlgorithm::Sha1 => &mut self.sha1,
            HashAlgorithm::Sha256 => &mut self.sha256,
        }
    }

    /// Whether a file of this size could match any entry (so its contents are worth hashing).
    pub fn wants_size(&self, size: u64) -> bool {
        [
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
        ]
        .iter()
        .any(|&a| self.table(a).may_match_size(size))
    }

    /// Hashes `data` with the algorithms that could match a file of `size` bytes and returns the
    /// matching entries with the digests computed. Nothing matches unless `data` is the complete
    /// file (`data.len() as u64 == size`).
    pub fn check(&self, data: &[u8], size: u64) -> (Vec<&HashEntry>, FileDigests) {
        let mut digests = FileDigests::default();
        let mut found = Vec::new();
        if data.len() as u64 != size {
            return (found, digests);
        }
        for algorithm in [
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
        ] {
            let table = self.table(algorithm);
            if !table.may_match_size(size) {
                continue;
            }
            let digest: Vec<u8> = match algorithm {
                HashAlgorithm::Md5 => Md5::digest(data).to_vec(),
                HashAlgorithm::Sha1 => Sha1::digest(data).to_vec(),
                HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            };
            if let Some(idxs) = table.by_digest.get(&digest) {
                for &i in idxs {
                    if let Some(e) = self.entries.get(i) {
                        if e.size.is_none_or(|s| s == size) {
                            found.push(e);
                        }
                    }
                }
            }
            let hex = hex::encode(&digest);
            match algorithm {
                HashAlgorithm::Md5 => digests.md5 = Some(hex),
                HashAlgorithm::Sha1 => digests.sha1 = Some(hex),
                HashAlgorithm::Sha256 => digests.sha256 = Some(hex),
            }
        }
        (found, digests)
    }
}

/// Reads one line (through `\n`) keeping at most `MAX_LINE_BYTES + 1` bytes of it; returns the
/// number of bytes consumed (0 at end of input).
fn read_line_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut consumed = 0usize;
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        r.consume(n);
        consumed += n;
        if done {
            return Ok(consumed);
        }
    }
}

/// Which syntax a list file uses, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Plain,
    ClamMd5,
    ClamSha,
}

impl Format {
    fn of(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("hdb") | Some("hdu") => Format::ClamMd5,
            Some("hsb") | Some("hsu") => Format::ClamSha,
            _ => Format::Plain,
        }
    }
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    algorithm: HashAlgorithm,
    digest: Vec<u8>,
    size: Option<u64>,
    name: Option<String>,
}

fn decode_hex(s: &str) -> Option<(HashAlgorithm, Vec<u8>)> {
    let algorithm = HashAlgorithm::from_hex_len(s.len())?;
    let digest = hex::decode(s.to_ascii_lowercase()).ok()?;
    Some((algorithm, digest))
}

/// A plain list line: `HASH`, `HASH NAME`, `HASH,NAME` or `sha256sum` output (`HASH  *NAME`).
fn parse_plain_line(line: &str) -> Result<Option<Parsed>, String> {
    let line = line.trim_end_matches(['\n', '\r']).trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(line.len());
    let (hash, rest) = line.split_at(end);
    let (algorithm, digest) = decode_hex(hash).ok_or_else(|| {
        format!(
            "expected an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits), found {:?}",
            truncate(hash, 80)
        )
    })?;
    let name = rest
        .trim_start_matches(|c: char| c.is_whitespace() || c == ',')
        .trim_start_matches('*')
        .trim();
    Ok(Some(Parsed {
        algorithm,
        digest,
        size: None,
        name: (!name.is_empty()).then(|| name.to_string()),
    }))
}

/// A ClamAV hash signature: `HASH:SIZE:NAME[:MINFL[:MAXFL]]`.
fn parse_clam_line(line: &str, allowed: &[HashAlgorithm]) -> Result<Option<Parsed>, String> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 3 || fields.len() > 5 {
        return Err(format!(
            "expected HASH:SIZE:NAME[:MIN_FLEVEL[:MAX_FLEVEL]], found {} fields",
            fields.len()
        ));
    }
    let (algorithm, digest) = decode_hex(fields[0])
        .filter(|(a, _)| allowed.contains(a))
        .ok_or_else(|| {
            let want: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            format!(
                "expected a {} hash in hex, found {:?}",
                want.join(" or "),
                truncate(fields[0], 80)
            )
        })?;
    let min_flevel = match fields.get(3) {
        Some(f) => Some(
            f.parse::<u32>()
                .map_err(|_| format!("minimum functionality level {f:?} is not a number"))?,
        ),
        None => None,
    };
    if let Some(f) = fields.get(4) {
        f.parse::<u32>()
            .map_err(|_| format!("maximum functionality level {f:?} is not a number"))?;
    }
    let size = match fields[1] {
        "*" => {
            if min_flevel.is_none_or(|f| f < FLEVEL_WILDCARD_SIZE) {
                return Err(format!(
                    "size '*' needs a minimum functionality level of at least {FLEVEL_WILDCARD_SIZE} (HASH:*:NAME:{FLEVEL_WILDCARD_SIZE}), as ClamAV requires"
                ));
            }
            None
        }
        s => match s.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("size {s:?} is not a positive number or '*'")),
        },
    };
    let name = fields[2];
    if name.is_empty() {
        return Err("empty signature name".to_string());
    }
    Ok(Some(Parsed {
        algorithm,
        digest,
        size,
        name: Some(name.to_string()),
    }))
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MD5_ABC: &str = "900150983cd24fb0d6963f7d28e17f72";
    const SHA1_ABC: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
    const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn db(name: &str, text: &str) -> Result<HashDb, Error> {
        let dir =
            std::env::temp_dir().join(format!("vigil-detect-hashes-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let out = HashDb::load(&[&path]);
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    #[test]
    fn plain_lists_take_every_algorithm_and_optional_names() {
        let text = format!(
            "# comment\n\n{MD5_ABC}\n{}  *abc.txt\n{SHA256_ABC},Evil.Thing\n",
            SHA1_ABC.to_uppercase()
        );
        let db = db("list.txt", &text).expect("loads");
        assert_eq!(db.len(), 3);
        let (found, digests) = db.check(b"abc", 3);
        let names: Vec<&str> = found.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["list.txt", "abc.txt", "Evil.Thing"]);
        assert_eq!(digests.sha256.as_deref(), Some(SHA256_ABC));
        // Safe twin: other contents, and the same contents when only a prefix was read.
        assert!(db.check(b"abd", 3).0.is_empty());
        assert!(db.check(b"abc", 4).0.is_empty());
    }

    #[test]
    fn clamav_sizes_must_equal_the_file_size() {
        let db = db(
            "sigs.hdb",
            &format!("{MD5_ABC}:3:Test.Abc\n{MD5_ABC}:4:Test.Four\n"),
        )
        .unwrap();
        let (found, _) = db.check(b"abc", 3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "Test.Abc");
        assert!(db.wants_size(3) && db.wants_size(4) && !db.wants_size(5));
    }

    #[test]
    fn hsb_takes_sha1_and_sha256_and_wildcard_sizes_with_flevel() {
        let db = db(
            "sigs.hsb",
            &format!("{SHA256_ABC}:*:Test.Any:73\n{SHA1_ABC}:3:Test.Sha1:73:255\n"),
        )
        .unwrap();
        assert!(db.wants_size(12345));
        let names: Vec<String> = db
            .check(b"abc", 3)
            .0
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, ["Test.Sha1", "Test.Any"]);
    }

    #[test]
    fn malformed_lines_are_errors_naming_file_and_line() {
        let cases = [
            (
                "a.hsb",
                format!("{SHA256_ABC}:*:NoFlevel\n"),
                1,
                "functionality level",
            ),
            (
                "b.hdb",
                format!("\n{SHA256_ABC}:3:WrongAlgo\n"),
                2,
                "md5 hash",
            ),
            ("c.hdb", format!("{MD5_ABC}:0:ZeroSize\n"), 1, "positive"),
            ("d.hdb", format!("{MD5_ABC}:3\n"), 1, "fields"),
            ("e.txt", "nothex\n".to_string(), 1, "32, 40 or 64"),
            ("f.hsb", format!("{SHA1_ABC}:3:X:1:2:3\n"), 1, "fields"),
        ];
        for (name, text, line, needle) in cases {
            match db(name, &text) {
                Err(Error::HashList {
                    path,
                    line: l,
                    reason,
                }) => {
                    assert!(path.ends_with(name));
                    assert_eq!(l, line, "{name}");
                    assert!(reason.contains(needle), "{name}: {reason}");
                }
                other => panic!("{name}: expected a HashList error, got {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn line_parsers_never_panic(line in "\\PC{0,200}") {
            let _ = parse_plain_line(&line);
            let _ = parse_clam_line(&line, &[HashAlgorithm::Md5]);
            let _ = parse_clam_line(&line, &[HashAlgorithm::Sha1, HashAlgorithm::Sha256]);
        }

        #[test]
        fn clam_lines_round_trip(digest in proptest::collection::vec(any::<u8>(), 32), size in 1u64..1_000_000, name in "[A-Za-z0-9._-]{1,40}") {
            let line = format!("{}:{size}:{name}", hex::encode(&digest));
            let p = parse_clam_line(&line, &[HashAlgorithm::Sha256]).unwrap().unwrap();
            prop_assert_eq!(p.digest, digest);
            prop_assert_eq!(p.size, Some(size));
            prop_assert_eq!(p.name, Some(name));
        }

        #[test]
        fn bounded_line_reader_never_keeps_more_than_the_limit(data in proptest::collection::vec(any::<u8>(), 0..20_000)) {
            let mut r = std::io::BufReader::with_capacity(64, &data[..]);
            let mut buf = Vec::new();
            let mut total = 0;
            loop {
                buf.clear();
                let n = read_line_bounded(&mut r, &mut buf).unwrap();
                if n == 0 { break; }
                prop_assert!(buf.len() <= MAX_LINE_BYTES + 1);
                total += n;
            }
            prop_assert_eq!(total, data.len());
        }
    }
}
