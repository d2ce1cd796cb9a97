//! Request signatures: TC3-HMAC-SHA256 (API 3.0) and the v1 HmacSHA1/HmacSHA256 scheme, as the
//! official SDKs compute them. Pure functions; the gateway gathers the inputs.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// Parsed `Authorization: TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Authorization {
    /// SecretId.
    pub secret_id: String,
    /// Date of the credential scope (`YYYY-MM-DD`).
    pub date: String,
    /// Service of the credential scope.
    pub service: String,
    /// Signed header names, lower case.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parse a TC3 Authorization header; `None` when malformed.
pub fn parse_tc3_authorization(h: &str) -> Option<Tc3Authorization> {
    let rest = h.strip_prefix("TC3-HMAC-SHA256")?.trim();
    let mut cred = None;
    let mut signed = None;
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => cred = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => sig = Some(v.trim()),
            _ => return None,
        }
    }
    let mut c = cred?.split('/');
    let secret_id = c.next()?.to_string();
    let date = c.next()?.to_string();
    let service = c.next()?.to_string();
    if c.next()? != "tc3_request" || c.next().is_some() || secret_id.is_empty() {
        return None;
    }
    let signed_headers: Vec<String> = signed?
        .split(';')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    if signed_headers.iter().any(String::is_empty) {
        return None;
    }
    Some(Tc3Authorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature: sig?.to_ascii_lowercase(),
    })
}

/// Inputs of a TC3 signature.
#[derive(Debug, Clone)]
pub struct Tc3Input<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Canonical URI (path), normally `/`.
    pub uri: &'a str,
    /// Raw query string (GET) or empty.
    pub query: &'a str,
    /// `name:value\n` lines of the signed headers, in signed order.
    pub canonical_headers: &'a str,
    /// `a;b` list of signed header names.
    pub signed_headers: &'a str,
    /// Request body, or `None` for `UNSIGNED-PAYLOAD`.
    pub payload: Option<&'a [u8]>,
    /// X-TC-Timestamp as sent.
    pub timestamp: &'a str,
    /// Credential scope date.
    pub date: &'a str,
    /// Credential scope service.
    pub service: &'a str,
}

/// Compute the hex TC3-HMAC-SHA256 signature.
pub fn tc3_signature(secret_key: &str, i: &Tc3Input<'_>) -> String {
    let payload_hash = match i.payload {
        Some(p) => hex::encode(Sha256::digest(p)),
        None => hex::encode(Sha256::digest(b"UNSIGNED-PAYLOAD")),
    };
    tc3_signature_hashed(secret_key, i, &payload_hash)
}

/// The TC3 signature over a payload known by its hex SHA-256 (`i.payload` is ignored): for
/// bodies streamed after the signature is checked, whose hash is then compared.
pub fn tc3_signature_hashed(secret_key: &str, i: &Tc3Input<'_>, payload_hash: &str) -> String {
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        i.method, i.uri, i.query, i.canonical_headers, i.signed_headers, payload_hash
    );
    let scope = format!("{}/{}/tc3_request", i.date, i.service);
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{}\n{}\n{}",
        i.timestamp,
        scope,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac256(format!("TC3{secret_key}").as_bytes(), i.date.as_bytes());
    let k_service = hmac256(&k_date, i.service.as_bytes());
    let k_signing = hmac256(&k_service, b"tc3_request");
    hex::encode(hmac256(&k_signing, to_sign.as_bytes()))
}

/// The v1 string to sign: method, host, path, `?`, then every parameter except `Signature`
/// sorted by name as `k=v` joined by `&`, unencoded, with `_` in names read as `.`.
pub fn v1_string_to_sign(
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
) -> String {
    let mut kv: Vec<(String, &str)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (k.replace('_', "."), v.as_str()))
        .collect();
    kv.sort();
    let joined: Vec<String> = kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{method}{host}{path}?{}", joined.join("&"))
}

/// Compute a base64 v1 signature; `None` for an unknown method.
pub fn v1_signature(secret_key: &str, method: &str, to_sign: &str) -> Option<String> {
    let raw = match method {
        "HmacSHA256" => hmac256(secret_key.as_bytes(), to_sign.as_bytes()),
        "HmacSHA1" => {
            let mut m = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret_key.as_bytes())
                .expect("HMAC takes any key length");
            m.update(to_sign.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Compare two signatures in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Tencent's TC3 documentation (CVM DescribeInstances); the official
    /// Python SDK's `Sign.sign_tc3` gives the same value for these inputs.
    #[test]
    fn tc3_documented_vector() {
        let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let sig = tc3_signature(
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            &Tc3Input {
                method: "POST",
                uri: "/",
                query: "",
                canonical_headers:
                    "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n",
                signed_headers: "content-type;host",
                payload: Some(body),
                timestamp: "1551113065",
                date: "2019-02-25",
                service: "cvm",
            },
        );
        assert_eq!(
            sig,
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    #[test]
    fn tc3_tamper_changes_signature() {
        let base = Tc3Input {
            method: "POST",
            uri: "/",
            query: "",
            canonical_headers: "content-type:application/json\nhost:127.0.0.1:8080\n",
            signed_headers: "content-type;host",
            payload: Some(b"{}"),
            timestamp: "1700000000",
            date: "2023-11-14",
            service: "cws",
        };
        let good = tc3_signature("key", &base);
        assert_ne!(good, tc3_signature("key2", &base));
        assert_ne!(
            good,
            tc3_signature(
                "key",
                &Tc3Input {
                    payload: Some(b"{ }"),
                    ..base.clone()
                }
            )
        );
        assert_ne!(
            good,
            tc3_signature(
                "key",
                &Tc3Input {
                    service: "csip",
                    ..base.clone()
                }
            )
        );
        assert_ne!(
            good,
            tc3_signature(
                "key",
                &Tc3Input {
                    payload: None,
                    ..base.clone()
                }
            )
        );
    }

    /// The v1 example of Tencent's signature documentation (CVM DescribeInstances, HmacSHA1).
    #[test]
    fn v1_documented_vector() {
        let params: Vec<(String, String)> = [
            ("Action", "DescribeInstances"),
            ("InstanceIds.0", "ins-09dx96dg"),
            ("Limit", "20"),
            ("Nonce", "11886"),
            ("Offset", "0"),
            ("Region", "ap-guangzhou"),
            ("SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******"),
            ("Timestamp", "1465185768"),
            ("Version", "2017-03-12"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = v1_string_to_sign("GET", "cvm.tencentcloudapi.com", "/", &params);
        assert_eq!(s, "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******&Timestamp=1465185768&Version=2017-03-12");
        let sig = v1_signature("Gu5t9xGARNpq86cd98joQYCN3*******", "HmacSHA1", &s).unwrap();
        assert_eq!(sig, "zmmjn35mikh6pM3V7sUEuX4wyYM=");
        let sig256 = v1_signature("Gu5t9xGARNpq86cd98joQYCN3*******", "HmacSHA256", &s).unwrap();
        assert_ne!(sig256, sig);
        assert!(v1_signature("k", "HmacMD5", &s).is_none());
    }

    #[test]
    fn authorization_parsing() {
        let a = parse_tc3_authorization(
            "TC3-HMAC-SHA256 Credential=AKIDx/2024-01-02/cws/tc3_request, SignedHeaders=content-type;host, Signature=ABCDEF",
        )
        .unwrap();
        assert_eq!(
            (a.secret_id.as_str(), a.date.as_str(), a.service.as_str()),
            ("AKIDx", "2024-01-02", "cws")
        );
        assert_eq!(a.signed_headers, vec!["content-type", "host"]);
        assert_eq!(a.signature, "abcdef");
        for bad in [
            "",
            "HMAC Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=x",
            "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=x",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=x",
            "TC3-HMAC-SHA256 Credential=/b/c/tc3_request, SignedHeaders=host, Signature=x",
        ] {
            assert!(parse_tc3_authorization(bad).is_none(), "{bad}");
        }
    }
}
