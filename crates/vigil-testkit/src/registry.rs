//! A real container registry on loopback: Debian's `docker-registry` (the CNCF distribution
//! server) with filesystem storage in a scratch directory, on a random port, killed when
//! dropped. Anonymous, htpasswd Basic auth or token auth ([`Auth`]), plain HTTP or TLS, and
//! any extra configuration a test needs. [`installed`] tells whether the server is here (and
//! fails in CI, where `scripts/test` installs it).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary of Debian's `docker-registry` package.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Whether the registry server is installed; in CI its absence fails the test.
pub fn installed() -> bool {
    if Path::new(REGISTRY_BIN).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{REGISTRY_BIN} must be installed in CI (Debian package docker-registry; scripts/test)"
    );
    eprintln!("note: {REGISTRY_BIN} not installed (Debian package docker-registry); test skipped");
    false
}

/// How the registry authenticates.
pub enum Auth {
    /// Anonymous access.
    None,
    /// Basic auth from htpasswd file contents (bcrypt entries).
    Htpasswd(String),
    /// Bearer tokens from a token service.
    Token {
        /// The token service's URL.
        realm: String,
        /// The service name tokens must carry.
        service: String,
        /// The issuer tokens must carry.
        issuer: String,
        /// PEM certificate whose key signs the tokens.
        root_cert_pem: String,
    },
}

/// A running registry.
pub struct Registry {
    /// The server process; `None` only while dropping.
    daemon: Option<crate::daemon::Daemon>,
    /// Its scratch directory (config, storage under `data/`, log).
    pub dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Whether it serves TLS.
    pub tls: bool,
}

impl Drop for Registry {
    fn drop(&mut self) {
        // The server stops before its storage goes.
        drop(self.daemon.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Registry {
    /// Starts an anonymous registry, or with Basic auth from an htpasswd file's contents.
    /// `None` when the server is missing outside CI.
    pub fn start(htpasswd: Option<&str>) -> Option<Registry> {
        if !installed() {
            return None;
        }
        let auth = htpasswd.map_or(Auth::None, |h| Auth::Htpasswd(h.to_string()));
        Some(Registry::launch(auth, None, ""))
    }

    /// Starts a registry with `auth`, TLS from (certificate PEM, key PEM) when given, and
    /// `extra` top-level YAML appended to its config. The server must be [`installed`].
    pub fn launch(auth: Auth, tls: Option<(&str, &str)>, extra: &str) -> Registry {
        let d = crate::scratch_dir("registry");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut cfg = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: vigil-test-upload-state-secret\n",
            data = d.join("data").display()
        );
        if let Some((cert, key)) = tls {
            std::fs::write(d.join("tls.crt"), cert).expect("write certificate");
            std::fs::write(d.join("tls.key"), key).expect("write key");
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                d.join("tls.crt").display(),
                d.join("tls.key").display()
            ));
        }
        match auth {
            Auth::None => {}
            Auth::Htpasswd(content) => {
                std::fs::write(d.join("htpasswd"), content).expect("write htpasswd");
                cfg.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: vigil-test\n    path: {}\n",
                    d.join("htpasswd").display()
                ));
            }
            Auth::Token {
                realm,
                service,
                issuer,
                root_cert_pem,
            } => {
                std::fs::write(d.join("token-root.pem"), root_cert_pem).expect("write root");
                cfg.push_str(&format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    \
                     issuer: {issuer}\n    rootcertbundle: {}\n",
                    d.join("token-root.pem").display()
                ));
            }
        }
        cfg.push_str(extra);
        std::fs::write(d.join("config.yml"), &cfg).expect("write registry config");
        let log = std::fs::File::create(d.join("registry.log")).expect("registry log");
        let daemon = crate::daemon::Daemon::spawn(
            Command::new(REGISTRY_BIN)
                .arg("serve")
                .arg(d.join("config.yml"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log),
        )
        .expect("start docker-registry");
        let reg = Registry {
            daemon: Some(daemon),
            dir: d,
            port,
            tls: tls.is_some(),
        };
        reg.wait_ready();
        reg
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// The file holding blob `hex` in the filesystem storage.
    pub fn blob_path(&self, hex: &str) -> PathBuf {
        self.dir
            .join("data/docker/registry/v2/blobs/sha256")
            .join(hex.get(..2).unwrap_or(""))
            .join(hex)
            .join("data")
    }

    /// Waits until `/v2/` answers (plain HTTP) or the TLS port accepts connections.
    fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "registry did not start on {}; log:\n{}",
                self.port,
                self.log()
            );
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                if self.tls {
                    return;
                }
                s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
