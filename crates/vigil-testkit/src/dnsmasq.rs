//! dnsmasq (Debian's `dnsmasq-base`) on a loopback port, answering only for names under
//! `example.test` with the TXT records a test gives it; stopped when dropped. Outside CI a
//! machine without dnsmasq skips the test with a note; in CI its absence is a failure.

/// A running dnsmasq.
pub struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free UDP port on loopback for a DNS server.
pub fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// dnsmasq on 127.0.0.1:`port` with `txt` records (name, text); `None` (with a note) when
/// dnsmasq is not installed outside CI.
pub fn dnsmasq(port: u16, txt: &[(&str, &str)]) -> Option<Dnsmasq> {
    let Some(path) = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "dnsmasq must be installed in CI (scripts/test installs dnsmasq-base)"
        );
        eprintln!("note: dnsmasq not installed; DNS test skipped");
        return None;
    };
    let mut cmd = std::process::Command::new(path);
    cmd.args([
        "--keep-in-foreground",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--local=/example.test/",
        "--user=root",
    ])
    .arg(format!("--port={port}"))
    .arg(format!(
        "--pid-file={}",
        std::env::temp_dir()
            .join(format!("vigil-dnsmasq-{port}.pid"))
            .display()
    ));
    for (name, text) in txt {
        cmd.arg(format!("--txt-record={name},{text}"));
    }
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dnsmasq");
    std::thread::sleep(std::time::Duration::from_millis(300));
    Some(Dnsmasq(child))
}
