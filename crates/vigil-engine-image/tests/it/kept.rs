//! What one scan holds in memory, on images the test builds: hard links share the kept bytes of
//! their target (a 16 MiB `Cargo.lock` and 300 links to it cost one copy), also in `dir:`
//! sources; the inventory of a linked lock file appears under every path (parsed once) and so
//! do its vulnerabilities, also when the original name is deleted; the `max_kept_bytes` budget
//! refuses an image whose kept bytes or inventory pass it, naming the limit; and sparse
//! entries claiming a terabyte cost nothing unread, are charged as their holes are read out
//! (GNU), or are read as the bytes the tar stores (PAX).

use crate::common::vulndb;
use std::collections::BTreeSet;
use std::path::Path;

use vigil_engine_image::sbom::{self, Binaries};
use vigil_engine_image::scan::{self, ScanConfig, ScanError, Scanners};
use vigil_engine_image::testing::{
    file, gnu_sparse, hardlink, pax_sparse, whiteout, Entry, Layer, TempDir, TestImage,
};
use vigil_engine_image::{
    read, read_within, FileKind, Image, ImageError, KeptBudget, Limits, NoInspection, ReadOptions,
    Source,
};

const MIB: u64 = 1 << 20;
const TIB: u64 = 1 << 40;
const REGEX: &str = "GHSA-m5pq-gvj9-9vr8";

/// A `Cargo.lock` with the vulnerable regex 1.5.4 and its three dependencies, then `extra`
/// generated crates, padded with a comment to exactly `size` bytes when given.
fn cargo_lock(extra: usize, size: Option<usize>) -> Vec<u8> {
    let registry = "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let mut lock = String::from("version = 3\n");
    for (name, version) in [
        ("aho-corasick", "0.7.18"),
        ("memchr", "2.4.1"),
        ("regex", "1.5.4"),
        ("regex-syntax", "0.6.25"),
    ] {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n{registry}"
        ));
    }
    for i in 0..extra {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"generated-{i:06}\"\nversion = \"1.0.{}\"\n{registry}\
             checksum = \"{:064x}\"\n",
            i % 50,
            i
        ));
    }
    if let Some(size) = size {
        assert!(lock.len() < size);
        let line = format!("# {}\n", "x".repeat(125));
        while lock.len() + line.len() <= size {
            lock.push_str(&line);
        }
        let rest = size - lock.len();
        if rest > 0 {
            lock.push_str(&"#".repeat(rest - 1));
            lock.push('\n');
        }
        assert_eq!(lock.len(), size);
    }
    lock.into_bytes()
}

/// `app/Cargo.lock` and `links` hard links to it (`app/copyNNN/Cargo.lock`), in one layer.
fn linked_locks(lock: Vec<u8>, links: usize) -> Vec<Entry> {
    let mut entries = vec![file("app/Cargo.lock", lock)];
    for i in 0..links {
        entries.push(hardlink(
            &format!("app/copy{i:03}/Cargo.lock"),
            "app/Cargo.lock",
        ));
    }
    entries
}

fn archive(img: &TestImage, dir: &Path) -> Source {
    let path = dir.join("image.tar");
    img.write_docker_archive(&path).unwrap();
    Source::DockerArchive(path)
}

/// Reads like a scan: the analyzers' keep-predicate, [`Binaries`], and the inventory, all
/// within one budget; returns the image, the inventory and what the budget counted.
fn inventory(source: &Source, limits: Limits) -> Result<(Image, sbom::Inventory, u64), ImageError> {
    let opts = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    let budget = KeptBudget::of(&opts.limits);
    let mut binaries = Binaries::within(budget.clone());
    let keep = sbom::keep_within(&opts.limits);
    let image = read_within(source, &opts, &keep, &mut binaries, &budget)?;
    let inv = sbom::inventory(&image, &binaries, &budget)?;
    Ok((image, inv, budget.used()))
}

fn lock_paths(links: usize) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = (0..links)
        .map(|i| format!("/app/copy{i:03}/Cargo.lock"))
        .collect();
    paths.insert("/app/Cargo.lock".into());
    paths
}

#[test]
fn hard_links_share_the_kept_bytes_of_their_target() {
    let tmp = TempDir::new().unwrap();
    let lock = cargo_lock(0, Some(16 << 20));
    let img = TestImage::new(vec![Layer::new(linked_locks(lock, 300))]);
    let source = archive(&img, tmp.path());
    let (image, inv, used) = inventory(&source, Limits::default()).unwrap();

    // 301 paths, one allocation.
    let target = &image.fs.contents["/app/Cargo.lock"];
    assert_eq!(target.len(), 16 << 20);
    assert_eq!(image.fs.contents.len(), 301);
    for (path, data) in &image.fs.contents {
        assert_eq!(data.as_ptr(), target.as_ptr(), "{path} has its own copy");
        assert_eq!(data.len(), target.len());
    }
    // Kept once (16 MiB), plus 301 x 4 packages.
    assert!((16 * MIB..17 * MIB).contains(&used), "{used}");

    // The inventory names every path (a hard link is the same file under another name).
    assert_eq!(inv.packages.len(), 301 * 4);
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    let regex: BTreeSet<String> = inv
        .packages
        .iter()
        .filter(|p| p.name == "regex")
        .map(|p| {
            assert_eq!((p.version.as_str(), p.layer), ("1.5.4", 0));
            p.path.clone()
        })
        .collect();
    assert_eq!(regex, lock_paths(300));
}

#[test]
fn linked_lock_files_report_their_vulnerabilities_per_path() {
    let data = vulndb();

    // Three links in a later layer, then the original name deleted: the links keep the
    // contents (shared, not copied) and each reports the advisory under its own path.
    let mut second = vec![];
    for i in 0..3 {
        second.push(hardlink(
            &format!("app/copy{i:03}/Cargo.lock"),
            "app/Cargo.lock",
        ));
    }
    let img = TestImage::new(vec![
        Layer::new(vec![file("app/Cargo.lock", cargo_lock(0, None))]),
        Layer::new(second),
        Layer::new(vec![whiteout("app/Cargo.lock")]),
    ]);
    let tmp = TempDir::new().unwrap();
    let cfg = ScanConfig {
        scanners: Scanners::parse(&["vuln"]).unwrap(),
        data_dir: Some(data.path().to_path_buf()),
        ..ScanConfig::default()
    };
    let report = scan::scan(&archive(&img, tmp.path()), "test", &cfg).unwrap();
    assert!(!report.image.fs.entries.contains_key("/app/Cargo.lock"));
    let findings = report.findings();
    let mut paths = BTreeSet::new();
    let mut fingerprints = BTreeSet::new();
    for f in &findings {
        assert_eq!(f.evidence["advisory"]["id"], REGEX, "{f:?}");
        assert_eq!(f.evidence["package"]["layer"], 1);
        paths.insert(f.path.clone().unwrap_or_default());
        fingerprints.insert(f.fingerprint());
    }
    let mut want = lock_paths(3);
    want.remove("/app/Cargo.lock");
    assert_eq!(paths, want);
    assert_eq!(fingerprints.len(), 3, "one finding per path");
}

#[test]
fn the_budget_refuses_an_inventory_multiplied_by_links() {
    // 2,000 crates under 301 names: some 600,000 packages, far more than 16 MiB.
    let tmp = TempDir::new().unwrap();
    let img = TestImage::new(vec![Layer::new(linked_locks(cargo_lock(2000, None), 300))]);
    let source = archive(&img, tmp.path());
    let limits = Limits {
        max_kept_bytes: 16 * MIB,
        ..Limits::default()
    };
    let err = inventory(&source, limits).unwrap_err();
    assert!(
        matches!(
            err.root(),
            ImageError::Limit {
                limit: "max_kept_bytes",
                max
            } if *max == 16 * MIB
        ),
        "{err}"
    );
    assert!(err.to_string().contains("max_kept_bytes"), "{err}");

    // With room for it, the same image reads, each package under every name.
    let (_, inv, used) = inventory(&source, Limits::default()).unwrap();
    assert_eq!(inv.packages.len(), 301 * 2004);
    assert!(used > 16 * MIB && used < Limits::default().max_kept_bytes);
}

#[test]
fn the_budget_counts_kept_bytes_across_files() {
    // Three 1 MiB lock files (distinct, not links) against a 2 MiB budget.
    let tmp = TempDir::new().unwrap();
    let lock = cargo_lock(0, Some(MIB as usize));
    let img = TestImage::new(vec![Layer::new(vec![
        file("a/Cargo.lock", lock.clone()),
        file("b/Cargo.lock", lock.clone()),
        file("c/Cargo.lock", lock),
    ])]);
    let source = archive(&img, tmp.path());
    let limits = Limits {
        max_kept_bytes: 2 * MIB,
        ..Limits::default()
    };
    let err = inventory(&source, limits.clone()).unwrap_err();
    assert!(err.to_string().contains("max_kept_bytes"), "{err}");

    // The same through the scan, which uses one budget for everything.
    let cfg = ScanConfig {
        scanners: Scanners::none(),
        read: ReadOptions {
            limits,
            ..ReadOptions::default()
        },
        ..ScanConfig::default()
    };
    match scan::scan(&source, "test", &cfg) {
        Err(ScanError::Image(e)) => assert!(e.to_string().contains("max_kept_bytes"), "{e}"),
        other => panic!("{:?}", other.map(|r| r.inventory.packages.len())),
    }
}

#[test]
fn dir_sources_read_hard_links_once() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::write(root.join("app/Cargo.lock"), cargo_lock(0, None)).unwrap();
    for i in 0..5 {
        let dir = root.join(format!("app/copy{i:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::hard_link(root.join("app/Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    let (image, inv, _) = inventory(&Source::Dir(root), Limits::default()).unwrap();
    let target = image.fs.contents["/app/Cargo.lock"].as_ptr();
    assert_eq!(image.fs.contents.len(), 6);
    assert!(image.fs.contents.values().all(|d| d.as_ptr() == target));
    assert_eq!(inv.packages.len(), 6 * 4);
}

/// An ELF-looking block at the start of a sparse file of a terabyte.
fn elf_head() -> Vec<u8> {
    let mut head = b"\x7fELF\x02\x01\x01".to_vec();
    head.resize(512, 0);
    head
}

#[test]
fn a_gnu_sparse_entry_claiming_a_terabyte() {
    let tmp = TempDir::new().unwrap();
    let img = TestImage::new(vec![Layer::new(vec![
        gnu_sparse("usr/bin/huge", 0, elf_head(), TIB),
        file("etc/os-release", "ID=test\n"),
    ])]);
    let source = archive(&img, tmp.path());

    // Unread, it costs nothing: recorded with the size it claims.
    let opts = ReadOptions::default();
    let budget = KeptBudget::of(&opts.limits);
    let image = read_within(&source, &opts, &|_| false, &mut NoInspection, &budget).unwrap();
    let meta = &image.fs.entries["/usr/bin/huge"];
    assert_eq!((meta.kind.clone(), meta.size), (FileKind::File, TIB));
    assert_eq!(budget.used(), 0);

    // An executable the binary analyzers read on and on: its holes are charged as they are
    // read out, and the scan stops at the budget (not at a terabyte, nor at max_stream_bytes).
    let limits = Limits {
        max_kept_bytes: 8 * MIB,
        max_inspect_bytes: MIB,
        ..Limits::default()
    };
    let cfg = ScanConfig {
        scanners: Scanners::none(),
        read: ReadOptions {
            limits,
            ..ReadOptions::default()
        },
        ..ScanConfig::default()
    };
    let started = std::time::Instant::now();
    match scan::scan(&source, "test", &cfg) {
        Err(ScanError::Image(e)) => {
            assert!(
                matches!(e.root(), ImageError::Limit { limit: "max_kept_bytes", max } if *max == 8 * MIB),
                "{e}"
            );
        }
        other => panic!("{:?}", other.map(|r| r.inventory.packages.len())),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn a_pax_sparse_entry_is_read_as_stored() {
    let tmp = TempDir::new().unwrap();
    let img = TestImage::new(vec![Layer::new(vec![pax_sparse(
        "usr/bin/huge",
        TIB - 512,
        elf_head(),
        TIB,
    )])]);
    let source = archive(&img, tmp.path());
    let limits = Limits {
        max_kept_bytes: 8 * MIB,
        ..Limits::default()
    };
    // Not expanded: the entry is the map and the data the tar stores, under the stored name.
    let image = read(
        &source,
        &ReadOptions {
            limits: limits.clone(),
            ..ReadOptions::default()
        },
        &|_| true,
    )
    .unwrap();
    assert!(!image.fs.entries.contains_key("/usr/bin/huge"));
    let stored = &image.fs.entries["/usr/bin/GNUSparseFile.0/huge"];
    assert_eq!(stored.size, 1024);
    assert_eq!(
        image.fs.contents["/usr/bin/GNUSparseFile.0/huge"].len(),
        1024
    );
    // A whole scan of it stays within a small budget.
    let (_, inv, used) = inventory(&source, limits).unwrap();
    assert!(inv.packages.is_empty());
    assert!(used < MIB, "{used}");
}
