//! dns templates against dnsmasq on loopback (the scan's resolver): a TXT record that
//! allows every sender is found, its twin that refuses them is not, and a name with no
//! record is not.

use crate::support::run_with;
use std::sync::Arc;
use vigil_engine::{Dns, ScopeGuard, ScopePolicy};

#[tokio::test]
async fn txt_records_are_matched_through_the_scans_resolver() {
    let port = vigil_testkit::dnsmasq::free_port();
    let records = [
        ("open.example.test", "v=spf1 +all"),
        ("strict.example.test", "v=spf1 -all"),
    ];
    let Some(_server) = vigil_testkit::dnsmasq::dnsmasq(port, &records) else {
        return;
    };
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
