//! A measurement, not run by default: a DEX file of many classes (20,000 unless
//! `VIGIL_DEX_LARGE_CLASSES` says otherwise) generated in smali and assembled, then parsed and
//! summarised whole, printing the time taken and the process's peak memory (and, for 6,000
//! classes or fewer, compared with `dexdump`). Run with
//! `cargo test --release -p vigil-engine-apk --test it dex_large -- --ignored --nocapture`.

use std::fmt::Write as _;
use std::time::Instant;

use vigil_engine_apk::dex::{Dex, DexSummary};

use crate::support::apk::scratch;

/// The process's peak resident memory in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "a measurement: builds a large DEX with smali (about a minute)"]
fn walks_a_large_dex() {
    let classes: usize = std::env::var("VIGIL_DEX_LARGE_CLASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = scratch("dex-large");
    let src = dir.join("smali/big");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..classes {
        let mut s = format!(
            ".class public Lbig/C{i};\n.super Ljava/lang/Object;\n.source \"C{i}.java\"\n\
             .field private f{i}:Ljava/lang/String;\n"
        );
        // Two methods a class (the 64K method reference limit), each loading ten strings of
        // their own (so the file is tens of MB) and calling Runtime.exec.
        for m in 0..2 {
            let _ = write!(
                s,
                ".method public m{m}(Ljava/lang/String;)Ljava/lang/String;\n.registers 4\n"
            );
            for k in 0..10 {
                let _ = writeln!(
                    s,
                    "const-string/jumbo v0, \"class {i} method {m} string {k}: caf\u{e9} \
                     some longer text to fill the file\""
                );
            }
            let _ = write!(
                s,
                "invoke-static {{}}, Ljava/lang/Runtime;->getRuntime()Ljava/lang/Runtime;\n\
                 move-result-object v1\n\
                 invoke-virtual {{v1, v0}}, Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;\n\
                 invoke-virtual {{p0, p1}}, Lbig/C{i};->m{m}(Ljava/lang/String;)Ljava/lang/String;\n\
                 return-object v0\n.end method\n"
            );
        }
        std::fs::write(src.join(format!("C{i}.smali")), s).unwrap();
    }
    let out = std::process::Command::new("smali")
        .current_dir(&dir)
        .args([
            "assemble",
            "--api",
            "26",
            "-j",
            "2",
            "-o",
            "classes.dex",
            "smali",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(dir.join("classes.dex")).unwrap();
    let before = peak_kib();
    let t = Instant::now();
    let dex = Dex::parse(&bytes).unwrap();
    let parsed = t.elapsed();
    // The lazy way: every string decoded and dropped, every class's code walked.
    let mut chars = 0usize;
    for string in dex.strings() {
        chars += string.unwrap().len();
    }
    let mut invokes = 0usize;
    for c in dex.class_defs() {
        let data = dex.class_data(&c.unwrap()).unwrap();
        for m in data.direct_methods.iter().chain(&data.virtual_methods) {
            invokes += dex.code_refs(m.code_off).unwrap().methods.len();
        }
    }
    let lazy = t.elapsed();
    let lazy_peak = peak_kib();
    let summary = DexSummary::build(&dex).unwrap();
    let built = t.elapsed();
    let calls = summary.callers_of("Ljava/lang/Runtime;", "exec").count();
    let all = t.elapsed();
    println!(
        "dex of {} bytes: {} classes, {} methods, {} strings; parse (checksum + SHA-1) {:?}, \
         lazy walk {:?} ({chars} bytes of strings, {invokes} invokes, peak {lazy_peak} KiB), \
         summary {:?}, callers of exec {:?} ({calls}); peak memory {} KiB before, {} KiB after",
        bytes.len(),
        summary.classes.len(),
        summary.method_refs.len(),
        summary.strings.len(),
        parsed,
        lazy - parsed,
        built - lazy,
        all - built,
        before,
        peak_kib(),
    );
    assert_eq!(summary.classes.len(), classes);
    assert_eq!(calls, classes * 2);
    assert!(summary.errors.is_empty());
    // A file small enough for dexdump's text is compared with it too.
    if classes <= 6_000 {
        crate::dex::compare_with_dexdump("dex-large-dump", &bytes);
    }
    let _ = std::fs::remove_dir_all(dir);
}
