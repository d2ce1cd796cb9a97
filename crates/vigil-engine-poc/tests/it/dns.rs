//! dns templates against dnsmasq on loopback (the scan's resolver): a TXT record that
//! allows every sender is found, its twin that refuses them is not, and a name with no
//! record is not.

use crate::support::run_with;
use std::sync::Arc;
use vigil_engine::{Dns, ScopeGuard, ScopePolicy};

/// dnsmasq on a random loopback port answering only for `example.test`.
struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dnsmasq(port: u16, txt: &[(&str, &str)]) -> Dnsmasq {
    let path = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("dnsmasq (Debian's dnsmasq-base; scripts/test installs it)");
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
            .join(format!("vigil-poc-dnsmasq-{port}.pid"))
            .display()
    ));
    for (name, text) in txt {
        cmd.arg(format!("--txt-record={name},{text}"));
    }
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    Dnsmasq(child)
}

#[tokio::test]
async fn txt_records_are_matched_through_the_scans_resolver() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = dnsmasq(
        port,
        &[
            ("open.example.test", "v=spf1 +all"),
            ("strict.example.test", "v=spf1 -all"),
        ],
    );
    let dns = Arc::new(Dns::new(Some(format!("127.0.0.1:{port}").parse().unwrap())).unwrap());
    let scope = || ScopeGuard::operator(ScopePolicy::default()).with_dns(dns.clone());
    let (found, sink) = run_with(&["open.example.test".into()], &["t-dns-spf"], scope(), None)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let f = sink.findings.lock().unwrap()[0].clone();
    assert_eq!(f.evidence["matched_at"], "dns://open.example.test/TXT");
    assert!(f.evidence["response"]
        .as_str()
        .unwrap()
        .contains("v=spf1 +all"));
    for twin in ["strict.example.test", "missing.example.test"] {
        let (found, _) = run_with(&[twin.into()], &["t-dns-spf"], scope(), None)
            .await
            .unwrap();
        assert!(found.is_empty(), "{twin}: {found:?}");
    }
}
