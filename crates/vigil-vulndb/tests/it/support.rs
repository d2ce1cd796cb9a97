//! Helpers shared by the database tests: paths to the shared data, scratch
//! directories, zip building.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The PyPA OSV snapshot (`../shared/vulndb/pypa` beside the repository).
pub const PYPA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vulndb/pypa");
/// The Alpine secdb snapshot.
pub const SECDB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vulndb/alpine-secdb"
);
/// This crate's fixtures.
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// Whether the shared snapshot `dir` is present; outside CI a missing
/// snapshot skips the test with a note, in CI it fails.
pub fn shared_present(dir: &str) -> bool {
    if Path::new(dir).is_dir() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{dir} must be present in CI (the shared vulnerability data)"
    );
    eprintln!("NOTE: {dir} not present; test skipped");
    false
}

/// A fresh scratch directory (removed when dropped).
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("scratch directory")
}

/// Writes a zip archive of `(name, bytes)` entries (deflated) to `path`.
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(path).expect("create zip");
    let mut w = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts).expect("start entry");
        w.write_all(bytes).expect("write entry");
    }
    w.finish().expect("finish zip");
}

/// The `*.json` files of a directory, sorted, as zip entries.
pub fn json_entries(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read(&p).expect("read json"))
        })
        .collect()
}

/// Ids of the matches, sorted.
pub fn ids(ms: &[vigil_vulndb::Match]) -> Vec<String> {
    let mut v: Vec<String> = ms.iter().map(|m| m.advisory.id.clone()).collect();
    v.sort();
    v
}
