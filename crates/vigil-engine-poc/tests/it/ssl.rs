//! ssl templates against a TLS server on loopback: a self-signed certificate (found) and its
//! twin signed by a separate authority (not found).

use crate::support::run;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A TLS server for `localhost` with a self-signed certificate, or one signed by a CA.
async fn tls_server(self_signed: bool) -> u16 {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = if self_signed {
        params.self_signed(&key).unwrap()
    } else {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test Authority");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        params.signed_by(&key, &ca_cert, &ca_key).unwrap()
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(sock).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn self_signed_certificates_are_found_and_signed_ones_are_not() {
    let port = tls_server(true).await;
    let (found, sink) = run(
        &[format!("https://localhost:{port}")],
        &["t-ssl-self-signed"],
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    let f = sink.findings.lock().unwrap()[0].clone();
    // rcgen's default subject.
    assert_eq!(
        f.evidence["extracted"]["subject"][0],
        "rcgen self signed cert"
    );
    assert_eq!(f.evidence["extracted"]["version"][0], "tls13");
    assert_eq!(f.evidence["matched_at"], format!("tls://localhost:{port}"));
    let port = tls_server(false).await;
    let (found, _) = run(
        &[format!("https://localhost:{port}")],
        &["t-ssl-self-signed"],
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
}
