//! The `vigil` binary end to end: keys, actions, migrate, bad input, and `serve` on SQLite and
//! PostgreSQL with graceful shutdown on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    vigil_testkit::scratch_dir(&format!("cli-{name}"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = bin()
        .args(args)
        .env_remove("VIGIL_MASTER_KEY")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn keys_lifecycle_and_encryption_at_rest() {
    let d = tmp("keys");
    let dir = d.to_str().unwrap();
    let (ok, out, err) = run(&["keys", "create", "--name", "alice", "--data-dir", dir]);
    assert!(ok, "{err}");
    let key: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let secret_id = key["SecretId"].as_str().unwrap();
    let secret_key = key["SecretKey"].as_str().unwrap();
    assert!(key["AppId"].as_i64().unwrap() > 0 && !key["Uin"].as_str().unwrap().is_empty());
    // A second key for the same account.
    let app_id = key["AppId"].to_string();
    let (ok, out2, err) = run(&["keys", "create", "--app-id", &app_id, "--data-dir", dir]);
    assert!(ok, "{err}");
    assert!(out2.contains(&app_id));
    // The secret never appears in the database files, and the key file is private.
    for f in std::fs::read_dir(&d).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(secret_key.len())
                .any(|w| w == secret_key.as_bytes()),
            "secret key stored in clear"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(d.join("master.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let (ok, out, _) = run(&["keys", "list", "--data-dir", dir]);
    assert!(ok && out.lines().count() == 2 && out.contains(secret_id) && !out.contains(secret_key));
    let (ok, _, _) = run(&["keys", "revoke", secret_id, "--data-dir", dir]);
    assert!(ok);
    let (_, out, _) = run(&["keys", "list", "--data-dir", dir]);
    assert!(out
        .lines()
        .any(|l| l.contains(secret_id) && l.contains("revoked")));
    let (ok, _, err) = run(&["keys", "revoke", secret_id, "--data-dir", dir]);
    assert!(!ok && err.contains("no active key"), "{err}");
    // The data directory and the database are private whatever the umask.
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&d), 0o700);
    assert_eq!(mode(&d.join("vigil.db")), 0o600);
    // A master key other users could read is refused with the fix named; tightened, it works.
    std::fs::set_permissions(d.join("master.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, _, err) = run(&["keys", "list", "--data-dir", dir]);
    assert!(!ok && err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(d.join("master.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    // An existing data directory open to others is tightened.
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ok, _, err) = run(&["keys", "list", "--data-dir", dir]);
    assert!(ok, "{err}");
    assert_eq!(mode(&d), 0o700);
}

#[test]
fn actions_catalogue_and_bad_input() {
    let (ok, out, _) = run(&["actions", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let create = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Action"] == "CreateSites")
        .unwrap();
    assert_eq!(create["Product"], "cws");
    assert_eq!(create["Parameters"][0]["Name"], "Urls");
    assert_eq!(create["Parameters"][0]["Required"], true);
    let (ok, _, err) = run(&[
        "serve",
        "--scope-allow",
        "not a rule!",
        "--data-dir",
        tmp("bad").to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("invalid scope rule"), "{err}");
    let (ok, _, err) = run(&["migrate", "--database-url", "mysql://x"]);
    assert!(!ok && err.contains("unsupported database URL"), "{err}");
    let (ok, _, _) = run(&["frobnicate"]);
    assert!(!ok);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve_and_stop(store_args: &[&str]) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = bin()
        .args(["serve", "--listen", &listen, "--workers", "2"])
        .args(store_args)
        .env("VIGIL_MASTER_KEY", "12".repeat(32))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(&listen) {
            use std::io::{Read, Write};
            s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
            let mut r = String::new();
            let _ = s.read_to_string(&mut r);
            if r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "serve did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGTERM: graceful shutdown, exit status 0.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "serve exited with {status}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_on_sqlite_starts_and_stops_gracefully() {
    let d = tmp("serve");
    serve_and_stop(&["--data-dir", d.to_str().unwrap()]);
    assert!(d.join("vigil.db").exists());
}

#[test]
fn serve_on_postgres_starts_and_stops_gracefully() {
    let Ok(url) = std::env::var("VIGIL_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "VIGIL_TEST_POSTGRES_URL must be set in CI"
        );
        return;
    };
    let (ok, _, err) = run(&[
        "migrate",
        "--database-url",
        &url,
        "--data-dir",
        tmp("pgkey").to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    serve_and_stop(&["--database-url", &url]);
}

/// `vigil scan host 127.0.0.1 ARGS...`.
fn scan_local(args: &[&str]) -> std::process::Output {
    bin()
        .args(["scan", "host", "127.0.0.1"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn scan_host_output_contract_and_exit_status() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let ports = format!("{port},{closed}");
    let out = scan_local(&["--ports", &ports, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"], "127.0.0.1");
    assert!(v["started"].is_string() && v["finished"].is_string() && v["components"].is_array());
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["kind"], "open_port");
    assert_eq!(f[0]["port"].to_string(), port);
    assert_eq!(f[0]["protocol"], "tcp");
    assert_eq!(f[0]["fingerprint"].as_str().unwrap().len(), 32);
    assert!(
        f[0].get("url").is_none(),
        "fields that do not apply are left out"
    );
    // --fail-on turns findings into a failing status.
    let out = scan_local(&["--ports", &ports, "--format", "sarif", "--fail-on", "info"]);
    assert_eq!(out.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["runs"][0]["results"][0]["ruleId"], "open_port");
    let out = scan_local(&["--ports", &closed, "--fail-on", "info", "--format", "table"]);
    assert_eq!(out.status.code(), Some(0), "no finding, no failure");
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 findings"));
    // Bad input: non-zero with a clear message.
    let (ok, _, err) = run(&["scan", "host", "127.0.0.1", "--ports", "99999"]);
    assert!(!ok && err.contains("invalid port specification"), "{err}");
    let (ok, _, err) = run(&["scan", "host", "127.0.0.1", "--items", "poc"]);
    assert!(!ok && err.contains("unknown scan item `poc`"), "{err}");
    let (ok, _, err) = run(&["scan", "host", "169.254.169.254", "--ports", "80"]);
    assert!(!ok && err.contains("out of scope"), "{err}");
    drop(l);
}

/// `vigil scan web` against the test web application: the JSON contract with web findings and
/// their proof, SARIF and HTML, `--fail-on`, the rate limit, and bad input refused clearly.
#[test]
fn scan_web_output_contract_and_exit_status() {
    let Some(app) = vigil_testkit::webapp::start(false) else {
        return;
    };
    let url = app.url();
    let web = |args: &[&str]| {
        bin()
            .args(["scan", "web", &url])
            .args(args)
            .output()
            .unwrap()
    };
    let out = web(&["--checks", "xss,sensitive-file", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"], url.as_str());
    let f = v["findings"].as_array().unwrap();
    let xss = f
        .iter()
        .find(|f| f["kind"] == "xss" && f["url"].as_str().unwrap_or("").ends_with("/xss/html"))
        .expect("the reflected XSS of /xss/html");
    assert_eq!(xss["parameter"], "q");
    assert_eq!(xss["severity"], "high");
    assert!(xss["evidence"]["request"]
        .as_str()
        .unwrap()
        .starts_with("GET /xss/html?"));
    assert!(f.iter().any(|f| f["kind"] == "sensitive-file"));
    assert!(
        f.iter()
            .all(|f| f["kind"] == "xss" || f["kind"] == "sensitive-file"),
        "--checks limits the kinds"
    );
    assert!(
        !f.iter()
            .any(|f| f["url"].as_str().unwrap_or("").contains("-safe")),
        "no safe twin reported"
    );
    // The site map is the inventory.
    assert!(v["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "page"));
    // SARIF and --fail-on; HTML is one self-contained page.
    let out = web(&[
        "--checks",
        "xss",
        "--format",
        "sarif",
        "--fail-on",
        "high",
        "--rate",
        "200",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "xss"));
    let out = web(&["--checks", "crlf", "--format", "html", "--max-pages", "5"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<!DOCTYPE html>"));
    // Bad input.
    let (ok, _, err) = run(&["scan", "web", &url, "--checks", "nosuch"]);
    assert!(!ok && err.contains("unknown check `nosuch`"), "{err}");
    let (ok, _, err) = run(&["scan", "web", "ftp://127.0.0.1/"]);
    assert!(!ok && err.contains("not an http or https URL"), "{err}");
    let (ok, _, err) = run(&["scan", "web", "http://169.254.169.254/"]);
    assert!(!ok && err.contains("out of scope"), "{err}");
}

/// `vigil actions --json | head -c 100`: the reader closes the pipe after a few bytes, long
/// before the 170 kB catalogue is written; vigil ends quietly with status 0 (it panicked).
/// The twin reads everything and gets the whole catalogue.
#[test]
fn a_reader_closing_the_pipe_ends_vigil_quietly() {
    use std::io::Read;
    let mut child = bin()
        .args(["actions", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
    assert!(String::from_utf8_lossy(&head).trim_start().starts_with('['));

    let (ok, all, err) = run(&["actions", "--json"]);
    assert!(ok, "{err}");
    let cat: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert!(cat.as_array().unwrap().len() > 80);
}
