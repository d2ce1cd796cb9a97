//! Running one `ssl:` block on one target: one TLS handshake through the shared wire (the
//! host name as SNI), the leaf certificate read with `x509-parser`, and the fields nuclei's
//! `tlsx` output gives matchers (`tls_version`, `cipher`, `expired`, `self_signed`,
//! `mismatched`, `wildcard_certificate`, `subject_cn`, `subject_an`, `issuer_cn`, `serial`,
//! `not_after`, `domains`, fingerprints, ...) both as variables and as the JSON `response`
//! that `json` extractors read. Revocation and trust in the system's roots are not checked,
//! so `revoked` and `untrusted` are left undefined (a matcher reading them does not match).

use crate::dsl::{Layered, Value, Vars};
use crate::exec::compile::{Compiled, SslBlock};
use crate::exec::{evidence, RunState, Target};
use crate::operators::Data;
use serde_json::{json, Map};
use sha1::Digest;
use std::sync::Arc;
use vigil_engine::wire::{Endpoint, WireError};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Runs `block`; true when its matchers matched.
pub(crate) async fn run_block(
    shared: &super::Shared,
    _compiled: &Compiled,
    block: &SslBlock,
    target: &Target,
    state: &mut RunState,
) -> bool {
    let port = if target.tls() || target.explicit_port {
        target.port
    } else {
        443
    };
    let mut vars = state.base.clone();
    vars.insert("Port".into(), Value::from(port.to_string()));
    vars.insert(
        "Hostname".into(),
        Value::from(format!("{}:{port}", target.host_for_url())),
    );
    let address = {
        let stack: [&dyn Vars; 2] = [&state.dynamic, &vars];
        block.address.render(&Layered::new(&stack))
    };
    if !address.unresolved.is_empty() {
        return false;
    }
    let Some((host, port)) = super::target::split_host_port(address.text().trim()) else {
        state
            .outcome
            .failed(format!("{} is not an address", address.text()));
        return false;
    };
    let ep = Endpoint::new(true, host.clone(), port.unwrap_or(443));
    let mut conn = match shared.wire.open(&ep).await {
        Ok(c) => c,
        Err(WireError::Connect(_)) | Err(WireError::Tls(_)) => return false,
        Err(e) => {
            state.outcome.failed(e.to_string());
            return false;
        }
    };
    let ip = conn.peer().ip().to_string();
    let Some(info) = conn.tls_info().cloned() else {
        return false;
    };
    let _ = conn.shutdown().await;
    let fields = certificate_fields(&host, &ip, ep.port, &info);
    let response = serde_json::to_string(&fields).unwrap_or_default();
    let mut data = Data::new();
    for (k, v) in &fields {
        data.insert(k.clone(), json_value(v));
    }
    data.insert("response", response.clone());
    data.insert("body", response.clone());
    data.insert("raw", response.clone());
    data.insert("matched", format!("{}:{}", ep.host, ep.port));
    data.push_layer(Arc::new(state.dynamic.clone()));
    data.push_layer(Arc::new(vars));
    let (matched, _) = super::judge(state, &block.operators, &data, || {
        (
            format!("tls://{}:{}", ep.host, ep.port),
            format!("TLS handshake with {}:{} (SNI {host})", ep.host, ep.port),
            evidence(response.as_bytes()),
        )
    });
    matched
}

fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::from(n.as_f64().unwrap_or(0.0)), Value::from),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => Value::list_of_strings(
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string()),
        ),
        other => Value::from(other.to_string()),
    }
}

/// The handshake's and leaf certificate's fields, named as nuclei's `tlsx` names them.
pub(crate) fn certificate_fields(
    host: &str,
    ip: &str,
    port: u16,
    info: &vigil_engine::wire::TlsInfo,
) -> Map<String, serde_json::Value> {
    let mut m = Map::new();
    m.insert("host".into(), json!(host));
    m.insert("ip".into(), json!(ip));
    m.insert("port".into(), json!(port.to_string()));
    m.insert("probe_status".into(), json!(true));
    m.insert("tls_version".into(), json!(info.version));
    m.insert("cipher".into(), json!(cipher_name(&info.cipher)));
    let Some(der) = info.peer_certificates.first() else {
        return m;
    };
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return m;
    };
    let names = |n: &x509_parser::x509::X509Name<'_>,
                 oid: &x509_parser::der_parser::oid::Oid<'_>|
     -> Vec<String> {
        n.iter_by_oid(oid)
            .filter_map(|a| a.as_str().ok().map(str::to_string))
            .collect()
    };
    use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
    let subject_cn = names(cert.subject(), &OID_X509_COMMON_NAME)
        .into_iter()
        .next()
        .unwrap_or_default();
    let issuer_cn = names(cert.issuer(), &OID_X509_COMMON_NAME)
        .into_iter()
        .next()
        .unwrap_or_default();
    let mut san: Vec<String> = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => san.push(d.to_string()),
                GeneralName::IPAddress(b) => san.push(ip_text(b)),
                _ => {}
            }
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    let mut domains: Vec<String> = Vec::new();
    if !subject_cn.is_empty() {
        domains.push(subject_cn.clone());
    }
    for s in &san {
        if !domains.contains(s) {
            domains.push(s.clone());
        }
    }
    let wildcard = domains.iter().any(|d| d.starts_with("*."));
    let serial = cert
        .raw_serial()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    m.insert("not_before".into(), json!(rfc3339(not_before)));
    m.insert("not_after".into(), json!(rfc3339(not_after)));
    m.insert("expired".into(), json!(now > not_after));
    m.insert("self_signed".into(), json!(self_signed));
    m.insert(
        "mismatched".into(),
        json!(!domains.iter().any(|d| name_matches(d, host))),
    );
    m.insert("wildcard_certificate".into(), json!(wildcard));
    m.insert("subject_dn".into(), json!(cert.subject().to_string()));
    m.insert("subject_cn".into(), json!(subject_cn));
    m.insert(
        "subject_org".into(),
        json!(names(cert.subject(), &OID_X509_ORGANIZATION_NAME)),
    );
    m.insert("subject_an".into(), json!(san));
    m.insert("issuer_dn".into(), json!(cert.issuer().to_string()));
    m.insert("issuer_cn".into(), json!(issuer_cn));
    m.insert(
        "issuer_org".into(),
        json!(names(cert.issuer(), &OID_X509_ORGANIZATION_NAME)),
    );
    m.insert("serial".into(), json!(serial));
    m.insert("domains".into(), json!(domains));
    m.insert(
        "fingerprint_hash".into(),
        json!({
            "md5": hex::encode(md5::Md5::digest(der)),
            "sha1": hex::encode(sha1::Sha1::digest(der)),
            "sha256": hex::encode(sha2::Sha256::digest(der)),
        }),
    );
    m
}

/// `TLS13_AES_128_GCM_SHA256` (rustls) as the IANA name `TLS_AES_128_GCM_SHA256`.
fn cipher_name(rustls: &str) -> String {
    rustls
        .strip_prefix("TLS13_")
        .map_or_else(|| rustls.to_string(), |rest| format!("TLS_{rest}"))
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => <[u8; 16]>::try_from(b)
            .map(|a| std::net::Ipv6Addr::from(a).to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Whether a certificate name (`*.example.com` allowed) covers `host`.
fn name_matches(name: &str, host: &str) -> bool {
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    match name.strip_prefix("*.") {
        Some(rest) => host.split_once('.').is_some_and(|(_, h)| h == rest),
        None => name == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_wildcards() {
        assert!(name_matches("*.example.com", "a.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(name_matches("Example.com", "example.com"));
        assert_eq!(
            cipher_name("TLS13_AES_128_GCM_SHA256"),
            "TLS_AES_128_GCM_SHA256"
        );
    }

    #[test]
    fn a_self_signed_certificate_reads_as_nuclei_sees_it() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
        let info = vigil_engine::wire::TlsInfo {
            version: "tls13".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            alpn: None,
            peer_certificates: vec![cert.cert.der().to_vec()],
        };
        let f = certificate_fields("localhost", "127.0.0.1", 443, &info);
        assert_eq!(f["self_signed"], true);
        assert_eq!(f["expired"], false);
        assert_eq!(f["mismatched"], false);
        assert_eq!(f["subject_an"], json!(["localhost"]));
        assert_eq!(f["tls_version"], "tls13");
        let f = certificate_fields("other.test", "127.0.0.1", 443, &info);
        assert_eq!(f["mismatched"], true);
    }
}
