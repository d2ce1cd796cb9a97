//! TLS for [`super::Wire`]: rustls with the ring provider, TLS 1.2 and 1.3, and a
//! certificate verifier that accepts every certificate (scanners must reach self-signed and
//! expired targets; certificates are judged by whoever reads [`TlsInfo`], never by the
//! transport). SNI is the endpoint's host when it is a name; ALPN offers `http/1.1` only for
//! HTTP and nothing for raw connections.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::IpAddr;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// What a TLS handshake settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `tls12` or `tls13`.
    pub version: String,
    /// The cipher suite's IANA name, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher: String,
    /// ALPN protocol the server chose, if any.
    pub alpn: Option<String>,
    /// The server's certificate chain, leaf first, DER.
    pub peer_certificates: Vec<Vec<u8>>,
}

impl TlsInfo {
    /// Read from an established client connection.
    pub(crate) fn of(c: &rustls::ClientConnection) -> TlsInfo {
        let version = match c.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "tls13".to_string(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "tls12".to_string(),
            Some(other) => format!("{other:?}").to_ascii_lowercase(),
            None => String::new(),
        };
        TlsInfo {
            version,
            cipher: c
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or_default()
                .to_string(),
            alpn: c
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            peer_certificates: c
                .peer_certificates()
                .map(|cs| cs.iter().map(|c| c.as_ref().to_vec()).collect())
                .unwrap_or_default(),
        }
    }
}

/// Accepts any certificate: detection only.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A connector accepting any certificate, offering `alpn` (empty: no ALPN).
pub(crate) fn connector(alpn: &[&[u8]]) -> Result<TlsConnector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(TlsConnector::from(Arc::new(cfg)))
}

/// The name presented in the handshake: the host when it is a DNS name (sent as SNI), else
/// the address (no SNI).
pub(crate) fn server_name(host: &str, fallback: IpAddr) -> ServerName<'static> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return ServerName::IpAddress(ip.into());
    }
    ServerName::try_from(bare.trim_end_matches('.').to_string())
        .unwrap_or_else(|_| ServerName::IpAddress(fallback.into()))
}
