//! The native library rules on tiny x86-64 shared objects built by `gcc` for each test run:
//! one without stack protector, one with an executable stack, one with a writable and
//! executable LOAD segment (an `awx` section), in an unsigned app (which is also the
//! vulnerable app of `apk.signing.unsigned`); the twin app ships the same code built with
//! `-fstack-protector-all` and default linking. A file in `lib/` that is not ELF and a
//! library outside `lib/<abi>/` are not judged.

use std::path::Path;
use std::process::Command;

use crate::rules_manifest::{expect, hits, manifest_with, places, proof};
use crate::support::apk::{build, scratch, App};

/// A function with a local array, so stack protection has something to guard.
const SOURCE: &str = "int f(int x) { char b[64]; b[x & 63] = 1; return b[(x + 1) & 63]; }\n";
/// The same, plus a section the linker must map readable, writable and executable.
const RWX_SOURCE: &str =
    "__asm__(\".section .rwx,\\\"awx\\\",@progbits\\n.byte 0\\n.previous\\n\");\n\
    int f(int x) { char b[64]; b[x & 63] = 1; return b[(x + 1) & 63]; }\n";

/// Compile `source` into a shared object with these extra `gcc` flags.
fn shared_object(dir: &Path, name: &str, source: &str, flags: &[&str]) -> Vec<u8> {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let so = dir.join(format!("{name}.so"));
    let out = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O0", "-o"])
        .arg(&so)
        .arg(&c)
        .args(flags)
        .output()
        .expect("gcc");
    assert!(out.status.success(), "{out:?}");
    std::fs::read(&so).unwrap()
}

fn app(package: &str) -> App {
    App::new(&manifest_with(
        package,
        (24, 28),
        "",
        r#"android:allowBackup="false""#,
        "",
    ))
}

#[test]
fn unhardened_libraries_and_their_twin() {
    let dir = scratch("rules-native-so");
    let protected = ["-fstack-protector-all"];
    let nossp = shared_object(&dir, "nossp", SOURCE, &["-fno-stack-protector"]);
    let exec = shared_object(
        &dir,
        "exec",
        SOURCE,
        &["-fstack-protector-all", "-z", "execstack"],
    );
    let rwx = shared_object(&dir, "rwx", RWX_SOURCE, &protected);
    let safe = shared_object(&dir, "safe", SOURCE, &protected);

    let mut vulnerable = app("com.example.native");
    vulnerable.signing = None;
    vulnerable.files = vec![
        ("lib/x86_64/libnossp.so".into(), nossp.clone()),
        ("lib/x86_64/libexec.so".into(), exec),
        ("lib/x86_64/librwx.so".into(), rwx),
        (
            "lib/x86_64/libnotelf.so".into(),
            b"not an ELF file".to_vec(),
        ),
        ("assets/libnossp.so".into(), nossp),
    ];
    let hits = hits(&build("rules-native", &vulnerable));
    let rwx_code = hits
        .iter()
        .find(|h| h.rule.id == "apk.native.rwx_segment")
        .map(|h| h.place.code.clone())
        .unwrap_or_default();
    assert!(rwx_code.starts_with("PT_LOAD #"), "{hits:#?}");
    assert_eq!(
        places(&hits),
        expect(&[
            (
                "apk.native.no_stack_protector",
                "lib/x86_64/libnossp.so",
                ".dynsym"
            ),
            (
                "apk.native.executable_stack",
                "lib/x86_64/libexec.so",
                "PT_GNU_STACK"
            ),
            ("apk.native.rwx_segment", "lib/x86_64/librwx.so", &rwx_code),
            ("apk.signing.unsigned", "META-INF/", "package"),
        ]),
        "{hits:#?}"
    );
    assert_eq!(
        proof(&hits, "apk.native.executable_stack", "PT_GNU_STACK"),
        "PT_GNU_STACK flags RWX"
    );
    assert!(proof(&hits, "apk.native.rwx_segment", &rwx_code).ends_with("flags RWX"));
    assert!(proof(&hits, "apk.native.no_stack_protector", ".dynsym")
        .starts_with("no __stack_chk_fail import among "));

    let mut twin = app("com.example.nativesafe");
    twin.files = vec![("lib/x86_64/libsafe.so".into(), safe)];
    let hits = crate::rules_manifest::hits(&build("rules-native-safe", &twin));
    assert_eq!(places(&hits), expect(&[]), "{hits:#?}");
}
