//! Peak memory of `vigil scan image` (the real binary) on a hostile layer of a few KiB more
//! than one file: a 16 MiB `Cargo.lock` and 300 hard links to it, in a docker archive the
//! test builds. Hard links share the kept bytes, so the scan stays far under 1 GiB of peak
//! resident memory: a lock file padded with comments is reported under all 301 names; a lock
//! file full of crates (some 85,000, times 301 names) is refused by the scan-wide budget,
//! which the error names (`max_kept_bytes`). Peak memory is the child's `VmHWM`, polled from
//! `/proc/PID/status` until it exits.

use std::collections::BTreeSet;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use vigil_engine_image::testing::{file, hardlink, Layer, TempDir, TestImage};

const LOCK_BYTES: usize = 16 << 20;
const LINKS: usize = 300;
const GIB_KIB: u64 = 1 << 20;

/// A `Cargo.lock` of exactly 16 MiB: `crates` generated crates (as many as fit when `None`),
/// the rest a comment.
fn cargo_lock(crates: Option<usize>) -> Vec<u8> {
    let mut lock = String::from("version = 3\n");
    let mut i = 0;
    loop {
        if crates.is_some_and(|n| i >= n) {
            break;
        }
        let entry = format!(
            "\n[[package]]\nname = \"crate-{i:06}\"\nversion = \"1.0.{}\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             checksum = \"{i:064x}\"\n",
            i % 50
        );
        if lock.len() + entry.len() + 2 > LOCK_BYTES {
            break;
        }
        lock.push_str(&entry);
        i += 1;
    }
    let line = format!("# {}\n", "x".repeat(125));
    while lock.len() + line.len() <= LOCK_BYTES {
        lock.push_str(&line);
    }
    let rest = LOCK_BYTES - lock.len();
    if rest > 0 {
        lock.push_str(&"#".repeat(rest - 1));
        lock.push('\n');
    }
    assert_eq!(lock.len(), LOCK_BYTES);
    lock.into_bytes()
}

/// The docker archive: `app/Cargo.lock` and 300 hard links to it, in one layer.
fn image(dir: &std::path::Path, lock: Vec<u8>) -> String {
    let mut entries = vec![file("app/Cargo.lock", lock)];
    for i in 0..LINKS {
        entries.push(hardlink(
            &format!("app/copy{i:03}/Cargo.lock"),
            "app/Cargo.lock",
        ));
    }
    let path = dir.join("image.tar");
    TestImage::new(vec![Layer::new(entries)])
        .write_docker_archive(&path)
        .unwrap();
    format!("docker-archive:{}", path.display())
}

/// The child's `VmHWM` in KiB, when it can be read.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Runs `vigil scan image REFERENCE --format json` (no vulnerability database); returns the
/// exit status, stdout, stderr and the peak resident memory seen, in KiB.
fn scan(dir: &std::path::Path, reference: &str) -> (ExitStatus, String, String, u64) {
    let out_path = dir.join("out.json");
    let err_path = dir.join("err.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["scan", "image", reference, "--format", "json", "--data-dir"])
        .arg(dir.join("no-data"))
        .env_remove("VIGIL_DATA_DIR")
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows, so the last reading before the exit is the peak (short of the
        // last few milliseconds).
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            panic!("the scan took more than 10 minutes (peak so far {peak} KiB)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = std::fs::read_to_string(out_path).unwrap();
    let err = std::fs::read_to_string(err_path).unwrap();
    (status, out, err, peak)
}

#[test]
fn hard_linked_lock_file_is_scanned_under_every_name_in_little_memory() {
    let tmp = TempDir::new().unwrap();
    // Four crates; the rest of the 16 MiB is a comment.
    let reference = image(tmp.path(), cargo_lock(Some(4)));
    let (status, out, err, peak) = scan(tmp.path(), &reference);
    eprintln!("peak RSS (padded lock, 300 links): {peak} KiB");
    assert!(status.success(), "{status}: {err}");
    assert!(peak > 0, "no VmHWM read");
    assert!(peak < GIB_KIB, "peak RSS {peak} KiB");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let components = v["components"].as_array().unwrap();
    assert_eq!(components.len(), 4 * (LINKS + 1));
    let paths: BTreeSet<&str> = components
        .iter()
        .filter(|c| c["name"] == "crate-000000")
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), LINKS + 1);
    assert!(paths.contains("/app/Cargo.lock"));
    assert!(paths.contains("/app/copy299/Cargo.lock"));
}

#[test]
fn hard_linked_lock_file_full_of_crates_stays_under_a_gib_or_is_refused() {
    let tmp = TempDir::new().unwrap();
    let reference = image(tmp.path(), cargo_lock(None));
    let (status, out, err, peak) = scan(tmp.path(), &reference);
    eprintln!("peak RSS (full lock, 300 links): {peak} KiB; status {status}");
    assert!(peak > 0, "no VmHWM read");
    assert!(peak < GIB_KIB, "peak RSS {peak} KiB");
    if status.success() {
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(!v["components"].as_array().unwrap().is_empty());
    } else {
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(err.contains("max_kept_bytes"), "{err}");
    }
}
