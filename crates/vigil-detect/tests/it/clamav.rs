//! Hash lists cross-checked against a real ClamAV: the same `.hdb` / `.hsb` databases, the same
//! files, and Vigil must flag exactly the files `clamscan` flags, under the same names.
//! `clamscan` comes from Debian's `clamav` package (scripts/test installs it); outside CI its
//! absence skips the comparison, in CI it fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use vigil_detect::{Config, Scanner, Source};

fn hex_of<D: Digest>(data: &[u8]) -> String {
    hex::encode(D::digest(data))
}

/// Files to scan and the signature databases that describe some of them.
struct Fixture {
    dir: PathBuf,
    files: Vec<PathBuf>,
    dbs: Vec<PathBuf>,
}

fn fixture() -> Fixture {
    let dir = scratch_dir("clamav");
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).unwrap();
    let mut rng = Rng::new(2024);
    let mut files = Vec::new();
    let mut contents = Vec::new();
    for (i, size) in [1000usize, 2000, 3000, 4096, 777, 12345, 65536, 5000]
        .iter()
        .enumerate()
    {
        let data = rng.bytes(*size);
        let path = files_dir.join(format!("blob{i}.bin"));
        std::fs::write(&path, &data).unwrap();
        files.push(path);
        contents.push(data);
    }
    // A text file, and an exact copy of a listed binary under another name.
    let text = b"#!/bin/sh\necho dropper stage two\n".to_vec();
    let text_path = files_dir.join("stage2.sh");
    std::fs::write(&text_path, &text).unwrap();
    files.push(text_path);
    contents.push(text.clone());
    let copy = files_dir.join("copy-of-blob0.bin");
    std::fs::write(&copy, &contents[0]).unwrap();
    files.push(copy);

    let hdb = format!(
        "{}:1000:Vigil.Test.Md5Sized\n\
         {}:1999:Vigil.Test.WrongSize\n\
         {}:*:Vigil.Test.Md5AnySize:73\n\
         {}:{}:Vigil.Test.Script\n",
        hex_of::<Md5>(&contents[0]),
        hex_of::<Md5>(&contents[1]),
        hex_of::<Md5>(&contents[2]).to_uppercase(),
        hex_of::<Md5>(&text),
        text.len(),
    );
    let hsb = format!(
        "{}:4096:Vigil.Test.Sha256Sized\n\
         {}:777:Vigil.Test.Sha1Sized:70:255\n\
         {}:*:Vigil.Test.Sha256AnySize:73\n\
         {}:5001:Vigil.Test.Sha256WrongSize\n\
         {}:12345:Vigil.Test.NotPresent\n",
        hex_of::<Sha256>(&contents[3]),
        hex_of::<Sha1>(&contents[4]),
        hex_of::<Sha256>(&contents[5]),
        hex_of::<Sha256>(&contents[7]),
        hex_of::<Sha256>(b"some other file"),
    );
    let hdb_path = dir.join("vigil-test.hdb");
    let hsb_path = dir.join("vigil-test.hsb");
    std::fs::write(&hdb_path, hdb).unwrap();
    std::fs::write(&hsb_path, hsb).unwrap();
    Fixture {
        dir,
        files,
        dbs: vec![hdb_path, hsb_path],
    }
}

/// file -> signature name, as Vigil sees it.
fn vigil_flags(fx: &Fixture) -> BTreeMap<PathBuf, String> {
    let s = Scanner::new(Config {
        hash_files: fx.dbs.clone(),
        builtin_rules: false,
        secrets: false,
        sensitive_files: false,
        ..Config::default()
    })
    .expect("databases load");
    let mut out = BTreeMap::new();
    for f in &fx.files {
        let data = std::fs::read(f).unwrap();
        let size = data.len() as u64;
        if !s.wants(&f.to_string_lossy(), size) {
            continue;
        }
        let found = s.scan(&f.to_string_lossy(), &data, size);
        assert!(found.len() <= 1, "{found:#?}");
        if let Some(d) = found.first() {
            assert_eq!(d.source, Source::HashList);
            out.insert(f.clone(), d.rule.trim_start_matches("hash:").to_string());
        }
        // Never from partial contents.
        if data.len() > 1 {
            assert!(s
                .scan(&f.to_string_lossy(), &data[..data.len() - 1], size)
                .is_empty());
        }
    }
    out
}

/// file -> signature name, as `clamscan` reports it (without its `.UNOFFICIAL` suffix).
fn clamscan_flags(fx: &Fixture) -> Option<BTreeMap<PathBuf, String>> {
    if !have("clamscan") {
        assert!(
            !in_ci(),
            "clamscan must be installed in CI (scripts/test installs clamav)"
        );
        eprintln!("skipping the ClamAV comparison: clamscan is not installed");
        return None;
    }
    let mut cmd = Command::new("clamscan");
    cmd.args(["--no-summary", "--infected", "--stdout"]);
    for db in &fx.dbs {
        cmd.arg("-d").arg(db);
    }
    cmd.args(&fx.files);
    let out = cmd.output().expect("run clamscan");
    // 0: nothing found, 1: something found, 2: error.
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "clamscan failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut flags = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(rest) = line.strip_suffix(" FOUND") else {
            continue;
        };
        let Some((path, name)) = rest.rsplit_once(": ") else {
            continue;
        };
        let name = name.strip_suffix(".UNOFFICIAL").unwrap_or(name);
        flags.insert(PathBuf::from(path), name.to_string());
    }
    Some(flags)
}

#[test]
fn vigil_flags_exactly_what_clamscan_flags() {
    let fx = fixture();
    let vigil = vigil_flags(&fx);
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let expected: BTreeMap<String, &str> = [
        ("blob0.bin", "Vigil.Test.Md5Sized"),
        ("copy-of-blob0.bin", "Vigil.Test.Md5Sized"),
        ("blob2.bin", "Vigil.Test.Md5AnySize"),
        ("blob3.bin", "Vigil.Test.Sha256Sized"),
        ("blob4.bin", "Vigil.Test.Sha1Sized"),
        ("blob5.bin", "Vigil.Test.Sha256AnySize"),
        ("stage2.sh", "Vigil.Test.Script"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let got: BTreeMap<String, &str> = vigil.iter().map(|(p, n)| (name(p), n.as_str())).collect();
    assert_eq!(got, expected, "Vigil's own expectation");
    if let Some(clam) = clamscan_flags(&fx) {
        assert_eq!(clam, vigil, "clamscan and Vigil disagree");
    }
    let _ = std::fs::remove_dir_all(&fx.dir);
}

#[test]
fn a_database_clamav_rejects_is_rejected_too() {
    let dir = scratch_dir("clamav-bad");
    let db = dir.join("bad.hsb");
    std::fs::write(&db, format!("{}:*:Vigil.Test.NoFlevel\n", "ab".repeat(32))).unwrap();
    let err = Scanner::new(Config {
        hash_files: vec![db.clone()],
        ..Config::default()
    })
    .expect_err("'*' without a functionality level");
    let text = err.to_string();
    assert!(
        text.contains("bad.hsb") && text.contains("line 1"),
        "{text}"
    );
    if have("clamscan") {
        let target = dir.join("t");
        std::fs::write(&target, b"x").unwrap();
        let out = Command::new("clamscan")
            .arg("--no-summary")
            .arg("-d")
            .arg(&db)
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "ClamAV rejects it as well");
    } else {
        assert!(!in_ci(), "clamscan must be installed in CI");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
