//! The container reader on real APKs built by Debian's tools, compared with Info-ZIP's
//! `unzip` (the entry list and every entry's bytes) and `aapt list`; nested APKs; and a
//! real APK patched the way BadPack samples are.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::support::apk::{build, manifest, reference, App};
use vigil_engine_apk::zip::{Anomaly, Archive, Method, ZipLimits};

/// A small signed APK with a few extra files (built once per test run).
pub fn small_apk() -> &'static (PathBuf, Vec<u8>) {
    static APK: OnceLock<(PathBuf, Vec<u8>)> = OnceLock::new();
    APK.get_or_init(|| {
        let mut app = App::new(&manifest("com.example.zip", "", ""));
        app.files = vec![
            ("assets/readme.txt".into(), b"read me ".repeat(300)),
            ("assets/raw.bin".into(), (0..=255u8).collect()),
        ];
        let path = build("zip", &app);
        let data = std::fs::read(&path).unwrap();
        (path, data)
    })
}

#[test]
fn entries_and_bytes_match_unzip() {
    let (path, data) = small_apk();
    let path = path.to_str().unwrap();
    let a = Archive::new(data, &ZipLimits::default()).unwrap();
    assert!(a.anomalies().is_empty(), "{:?}", a.anomalies());
    let names: Vec<&str> = a.entries().iter().map(|e| e.name.as_str()).collect();
    let listing = reference("unzip", &["-Z1", path]);
    assert_eq!(names, listing.lines().collect::<Vec<_>>());
    let aapt = reference("aapt", &["list", path]);
    assert_eq!(names, aapt.lines().collect::<Vec<_>>());
    for name in ["AndroidManifest.xml", "classes.dex", "META-INF/MANIFEST.MF"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let mut deflated = 0;
    for e in a.entries() {
        let c = a.read_entry(e).unwrap();
        assert!(c.crc_matches && c.size_matches, "{}", e.name);
        let out = std::process::Command::new("unzip")
            .args(["-p", path, &e.name])
            .output()
            .unwrap();
        assert!(out.status.success(), "unzip -p {}", e.name);
        assert_eq!(c.data, out.stdout, "{}", e.name);
        deflated += usize::from(e.method == Method::Deflated);
    }
    assert!(deflated > 0);
    // The signing block sits between the last entry's data and the central directory.
    let last_end = a
        .entries()
        .iter()
        .filter_map(|e| e.data_range())
        .map(|r| r.end)
        .max()
        .unwrap();
    let block = &data[last_end as usize..a.cd_offset()];
    assert!(
        block.ends_with(b"APK Sig Block 42"),
        "{} bytes",
        block.len()
    );
}

#[test]
fn apks_nested_in_assets_and_bundles() {
    let (_, inner) = small_apk();
    let mut app = App::new(&manifest("com.example.outer", "", ""));
    app.files = vec![("assets/payload.apk".into(), inner.clone())];
    let outer = std::fs::read(build("zip-outer", &app)).unwrap();
    let a = Archive::new(&outer, &ZipLimits::default()).unwrap();
    let entry = a.by_name("assets/payload.apk").unwrap();
    assert!(entry.has_archive_name());
    let n = a.nested(entry).unwrap();
    assert_eq!(n.depth(), 1);
    let direct = Archive::new(inner, &ZipLimits::default()).unwrap();
    assert_eq!(n.entries(), direct.entries());
    assert_eq!(
        n.read_name("classes.dex").unwrap(),
        direct.read_name("classes.dex").unwrap()
    );
}

/// Offset of the local header of `name` in `data`.
fn local_header(data: &[u8], name: &str) -> usize {
    let a = Archive::new(data, &ZipLimits::default()).unwrap();
    a.by_name(name).unwrap().local_header_offset as usize
}

#[test]
fn badpack_local_headers_do_not_change_what_is_read() {
    let (_, data) = small_apk();
    let a = Archive::new(data, &ZipLimits::default()).unwrap();
    let manifest = a.read_name("AndroidManifest.xml").unwrap().unwrap();
    let mut patched = data.clone();
    let at = local_header(data, "AndroidManifest.xml");
    // Method 0x5a5a and garbage sizes in the local header only.
    patched[at + 8..at + 10].copy_from_slice(&0x5a5au16.to_le_bytes());
    patched[at + 18..at + 26].copy_from_slice(&[0xee; 8]);
    let b = Archive::new(&patched, &ZipLimits::default()).unwrap();
    assert_eq!(
        b.read_name("AndroidManifest.xml").unwrap().unwrap(),
        manifest
    );
    assert!(matches!(
        b.anomalies(),
        [Anomaly::LocalHeaderMismatch {
            local_method: 0x5a5a,
            ..
        }]
    ));
}

#[test]
fn hostile_patches_of_a_real_apk_are_reported_or_refused() {
    let (_, data) = small_apk();
    let eocd = vigil_engine_apk::zip::find_eocd(data).unwrap();
    // Central directory offset past the end.
    let mut p = data.clone();
    p[eocd.offset + 16..eocd.offset + 20].copy_from_slice(&u32::MAX.wrapping_sub(1).to_le_bytes());
    assert!(Archive::new(&p, &ZipLimits::default()).is_err());
    // Truncated anywhere: an error or an archive whose reads fail cleanly.
    for cut in (0..data.len()).step_by(97) {
        if let Ok(a) = Archive::new(&data[..cut], &ZipLimits::default()) {
            for e in a.entries() {
                let _ = a.read(e);
            }
        }
    }
    // Bytes appended after the archive.
    let mut p = data.clone();
    p.extend(b"appended");
    let a = Archive::new(&p, &ZipLimits::default()).unwrap();
    assert!(a
        .anomalies()
        .iter()
        .any(|x| matches!(x, Anomaly::CommentLengthMismatch { .. }) && x.android_rejects()));
}
