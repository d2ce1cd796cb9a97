//! `vigil templates update|status` and `vigil scan poc` end to end: an archive of templates
//! installed into a data directory (and a bad archive refused, leaving it unchanged), its
//! status shown, then a scan of a server on loopback that one template matches (exit 1
//! under `--fail-on high`), in the JSON contract and as SARIF, and its safe twin.

use std::io::{Read, Write};
use std::process::Command;

fn vigil(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A server on loopback answering every request with `body` (text/plain, 200).
fn serve(body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let _ = conn.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The engine's test templates as a release-style archive (one top directory).
fn archive(dir: &std::path::Path) -> std::path::PathBuf {
    let src =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-engine-poc/tests/data");
    let out = dir.join("templates.tar.gz");
    let status = Command::new("tar")
        .arg("czf")
        .arg(&out)
        .arg("-C")
        .arg(&src)
        .arg("templates")
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn templates_are_installed_then_a_scan_uses_them() {
    let dir = vigil_testkit::scratch_dir("poc-cli");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let tgz = archive(&dir);
    let (code, out, err) = vigil(&[
        "templates",
        "update",
        "--url",
        &format!("file:{}", tgz.display()),
        "--data-dir",
        data,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("files parse"), "{out}");
    // A file that is not an archive of templates leaves the installed ones in place.
    let junk = dir.join("junk.tar");
    std::fs::write(&junk, b"not a tar").unwrap();
    let (code, _, err) = vigil(&[
        "templates",
        "update",
        "--url",
        junk.to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert_ne!(code, 0);
    assert!(!err.is_empty());
    let (code, out, err) = vigil(&["templates", "status", "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("templates.tar.gz"), "{out}");
    assert!(
        out.contains("not run:") && out.contains("interactsh"),
        "{out}"
    );

    // One template (t-path-word) on a server, in a format, failing on high findings.
    let scan = |url: &str, format: &str| {
        vigil(&[
            "scan",
            "poc",
            url,
            "--data-dir",
            data,
            "--id",
            "t-path-word",
            "--format",
            format,
            "--fail-on",
            "high",
        ])
    };
    let vulnerable = serve("DB_PASSWORD=hunter2");
    let (code, out, err) = scan(&vulnerable, "json");
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &report["findings"][0];
    assert_eq!(f["evidence"]["template_id"], "t-path-word");
    assert_eq!(f["severity"], "high");
    assert!(f["evidence"]["request"]
        .as_str()
        .unwrap()
        .starts_with("GET /admin/config.php HTTP/1.1\r\n"));
    let (code, out, _) = scan(&vulnerable, "sarif");
    assert_eq!(code, 1);
    assert!(
        out.contains("\"ruleId\"") && out.contains("poc-vuln"),
        "{out}"
    );

    let safe = serve("db_user=app");
    let (code, out, err) = scan(&safe, "json");
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);

    let (code, _, err) = vigil(&[
        "scan",
        "poc",
        &safe,
        "--data-dir",
        data,
        "--severity",
        "severe",
    ]);
    assert_eq!(code, 2, "{err}");
}
