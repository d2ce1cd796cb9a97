//! The deliberately vulnerable test web application (`tests/webapp/vulnapp.py`) on a
//! loopback port. It needs Python with jinja2 and lxml: `VIGIL_WEBAPP_PYTHON`, default
//! `~/.cache/vigil-compat-venv/bin/python` (scripts/test installs them there). Without it a
//! test is skipped with a note, unless `CI` is set: then it fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python that runs the app.
pub fn python() -> String {
    std::env::var("VIGIL_WEBAPP_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/vigil-compat-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    })
}

/// A running app; stopped (SIGTERM, so that it removes its temp dir, then SIGKILL) when
/// dropped.
pub struct App {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its request log (one JSON line per request).
    pub log: PathBuf,
}

impl App {
    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn skip_or_fail(why: String) -> Option<App> {
    assert!(
        std::env::var_os("CI").is_none(),
        "the test app must start in CI: {why}"
    );
    eprintln!("note: test app not started ({why}); skipped");
    None
}

/// Start the app (the `--hardened` instance when asked); `None` (skip) outside CI when it
/// cannot start.
pub fn start(hardened: bool) -> Option<App> {
    let log = crate::scratch_dir("webapp").join("requests.jsonl");
    let mut cmd = Command::new(python());
    cmd.arg(repo_root().join("tests/webapp/vulnapp.py"))
        .args(["--port", "0", "--log"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if hardened {
        cmd.arg("--hardened");
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return skip_or_fail(format!("{}: {e}", python())),
    };
    let Some(out) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return skip_or_fail("no stdout".into());
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let mut app = App {
        child,
        port: 0,
        log,
    };
    match line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
    {
        Some(port) => {
            app.port = port;
            Some(app)
        }
        None => {
            drop(app);
            skip_or_fail(format!(
                "no READY line (jinja2 and lxml needed in {})",
                python()
            ))
        }
    }
}
