//! Service detection of binary protocols ([`vigil_engine_net::probes`]) against real servers
//! on loopback, each started on a random port in a scratch directory and stopped afterwards:
//! OpenLDAP (`slapd`), Samba (`smbd`) and xrdp. Servers come from Debian packages (`slapd`,
//! `samba`, `xrdp`); a missing one skips its case with a note, except in CI (`CI` set), where
//! every one is required. MongoDB is not packaged in Debian and RabbitMQ starts too slowly
//! for this suite: their matchers are tested on spec-built and recorded bytes in the crate.

use crate::common::{detect, find_bin, free_port, required};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tmpdir(name: &str) -> PathBuf {
    vigil_testkit::scratch_dir(&format!("probes-{name}"))
}

/// A server process (stopped with its whole process group) and its scratch directory, removed
/// when dropped.
struct Daemon {
    /// `None` only while dropping.
    server: Option<vigil_testkit::daemon::Daemon>,
    dir: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // The server stops before its directory goes.
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start `bin` with `args` and wait until it accepts on `port`; `None` (skip) when the binary
/// is missing outside CI.
fn start(bin: &str, args: &[String], port: u16, dir: PathBuf) -> Option<Daemon> {
    let Some(path) = find_bin(bin) else {
        assert!(
            !required(),
            "{bin} must be installed in CI (Debian packages: slapd, samba, xrdp)"
        );
        eprintln!("note: {bin} not installed; its case skipped");
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let server = vigil_testkit::daemon::Daemon::spawn(
        Command::new(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    )
    .unwrap();
    let mut d = Daemon {
        server: Some(server),
        dir,
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = d
            .server
            .as_mut()
            .and_then(|s| s.child.try_wait().ok().flatten());
        if let Some(status) = exited {
            let log = std::fs::read_to_string(d.dir.join("server.log")).unwrap_or_default();
            panic!("{bin} exited ({status}) before listening on {port}:\n{log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{bin} did not start on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(d)
}

/// OpenLDAP with one empty MDB database, anonymous reads of the root DSE as by default.
fn start_slapd(port: u16) -> Option<Daemon> {
    let dir = tmpdir("slapd");
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let conf = dir.join("slapd.conf");
    std::fs::write(
        &conf,
        format!(
            "include /etc/ldap/schema/core.schema\n\
             pidfile {d}/slapd.pid\n\
             argsfile {d}/slapd.args\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             database mdb\n\
             suffix \"dc=vigil,dc=test\"\n\
             directory {db}\n\
             maxsize 10485760\n",
            d = dir.display(),
            db = db.display()
        ),
    )
    .unwrap();
    let args = vec![
        "-h".into(),
        format!("ldap://127.0.0.1:{port}/"),
        "-f".into(),
        conf.display().to_string(),
        "-d".into(),
        "0".into(),
    ];
    start("slapd", &args, port, dir)
}

/// A standalone smbd on loopback with every state directory in the scratch directory.
fn start_smbd(port: u16) -> Option<Daemon> {
    let dir = tmpdir("smbd");
    let mut conf = format!(
        "[global]\n\
         server role = standalone server\n\
         interfaces = 127.0.0.1\n\
         bind interfaces only = yes\n\
         smb ports = {port}\n\
         disable netbios = yes\n\
         load printers = no\n\
         printcap name = /dev/null\n\
         disable spoolss = yes\n\
         log file = {d}/log.smbd\n",
        d = dir.display()
    );
    for (key, sub) in [
        ("lock directory", "lock"),
        ("state directory", "state"),
        ("cache directory", "cache"),
        ("private dir", "private"),
        ("pid directory", "pid"),
        ("ncalrpc dir", "ncalrpc"),
        ("binddns dir", "binddns"),
    ] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).unwrap();
        conf.push_str(&format!("{key} = {}\n", p.display()));
    }
    let path = dir.join("smb.conf");
    std::fs::write(&path, conf).unwrap();
    // The daemon already runs in a process group of its own (which smbd signals as a whole
    // when it stops), so smbd must not try to make another (setsid fails for a group leader).
    let args = vec![
        "--foreground".into(),
        "--no-process-group".into(),
        "--debug-stdout".into(),
        "-s".into(),
        path.display().to_string(),
    ];
    start("smbd", &args, port, dir)
}

/// xrdp with Debian's configuration, listening on loopback only, not forking, logging to the
/// scratch directory.
fn start_xrdp(port: u16) -> Option<Daemon> {
    let dir = tmpdir("xrdp");
    let Ok(ini) = std::fs::read_to_string("/etc/xrdp/xrdp.ini") else {
        assert!(
            !required(),
            "xrdp must be installed in CI (Debian package xrdp)"
        );
        eprintln!("note: xrdp not installed; its case skipped");
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    let ini: String = ini
        .lines()
        .map(|l| {
            if l.starts_with("port=") {
                format!("port=tcp://127.0.0.1:{port}")
            } else if l.starts_with("fork=") {
                "fork=false".to_string()
            } else if l.starts_with("LogFile=") {
                format!("LogFile={}/xrdp.log", dir.display())
            } else if l.starts_with("EnableSyslog=") {
                "EnableSyslog=false".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("xrdp.ini");
    std::fs::write(&path, ini).unwrap();
    let args = vec![
        "--nodaemon".into(),
        "--config".into(),
        path.display().to_string(),
    ];
    start("xrdp", &args, port, dir)
}

#[tokio::test]
async fn openldap_root_dse() {
    let p = free_port();
    let Some(_d) = start_slapd(p) else { return };
    let s = detect(p).await;
    assert_eq!(
        (s.name.as_str(), s.product.as_deref()),
        ("ldap", Some("OpenLDAP")),
        "{s:?}"
    );
    eprintln!("slapd: {s:?}");
}

#[tokio::test]
async fn samba_dialect_and_product() {
    let p = free_port();
    let Some(_d) = start_smbd(p) else { return };
    let s = detect(p).await;
    // Samba 4.17 (Debian 12) negotiates SMB 3.1.1 and states NTLM version 6.1 build 0.
    assert_eq!(
        (s.name.as_str(), s.product.as_deref(), s.banner.as_deref()),
        ("smb", Some("Samba"), Some("SMB dialect 3.1.1")),
        "{s:?}"
    );
    eprintln!("smbd: {s:?}");
}

#[tokio::test]
async fn xrdp_negotiation() {
    let p = free_port();
    let Some(_d) = start_xrdp(p) else { return };
    let s = detect(p).await;
    // xrdp's confirm has the shape of Windows 7's: RDP, but no product claimed.
    assert_eq!(
        (s.name.as_str(), s.product.as_deref()),
        ("rdp", None),
        "{s:?}"
    );
    eprintln!("xrdp: {s:?}");
}

/// Safe twin: a server that answers every request with the bytes of another protocol's
/// greeting is not taken for any of the binary protocols.
#[tokio::test]
async fn foreign_answers_are_not_binary_protocols() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut c, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                if c.read(&mut buf).await.unwrap_or(0) > 0 {
                    // Looks binary (TPKT-like, NBSS-like, BER-like) but is none of them.
                    let _ = c.write_all(&[3, 0, 0, 9, 0x30, 0x84, 0, 0, 0]).await;
                }
            });
        }
    });
    let s = detect(port).await;
    assert_eq!(s.name, "unknown", "{s:?}");
}
