//! Hostile requests against the real gateway on a loopback port: parameter names deep, long
//! or many enough to exhaust the stack or memory, huge list indices, malformed v1 nonces,
//! writes before the rate limit, clients that send headers or bodies too slowly, and metrics
//! scraped in a loop. Each must end in the cloud's error code, and the server keeps serving.

use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_api::ApiConfig;

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn describe_sites(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut p = kv(&[("Action", "DescribeSites"), ("Version", "2018-03-12")]);
    p.extend_from_slice(extra);
    p
}

/// A correctly signed v1 POST whose parameter name has 100,000 dot-separated segments
/// aborted the whole process (stack overflow in the flattened-parameter parser).
#[tokio::test]
async fn deep_parameter_names_are_refused_not_fatal() {
    let s = start(ApiConfig::default()).await;
    let deep = vec!["a"; 100_000].join(".");
    let v = s
        .v1_post(&describe_sites(&[(deep, "1".into())]), "11")
        .await;
    assert_eq!(code(&v), "InvalidParameter", "{v}");
    let msg = v["Response"]["Error"]["Message"].as_str().unwrap();
    assert!(
        msg.contains("longer than 256 bytes") && msg.len() < 300,
        "{msg}"
    );
    let nine = ["A"; 9].join(".");
    let v = s
        .v1_post(&describe_sites(&[(nine, "1".into())]), "15")
        .await;
    assert!(v["Response"]["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("nests deeper"));
    // The same path through a TC3-signed GET query.
    let deep_q = format!("{}=1", vec!["B"; 5_000].join("."));
    let v = tc3_get(&s, &deep_q).await;
    assert_eq!(code(&v), "InvalidParameter", "{v}");
    // Huge and out-of-range list indices, and tens of thousands of parameters.
    for (i, name) in [
        "SiteIds.4294967296",
        "SiteIds.10000",
        "SiteIds.99999999999999999999999",
    ]
    .iter()
    .enumerate()
    {
        let v = s
            .v1_post(
                &describe_sites(&[(name.to_string(), "1".into())]),
                &format!("{}", 20 + i),
            )
            .await;
        assert_eq!(code(&v), "InvalidParameter", "{name}: {v}");
    }
    let many: Vec<(String, String)> = (0..30_000)
        .map(|i| (format!("X{i}"), "1".to_string()))
        .collect();
    let started = Instant::now();
    let v = s.v1_post(&describe_sites(&many), "13").await;
    assert_eq!(code(&v), "InvalidParameter", "{v}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Still serving.
    let v = s
        .v1_post(&describe_sites(&kv(&[("Limit", "5")])), "14")
        .await;
    assert_eq!(code(&v), "OK", "{v}");
}

/// JSON nested 100,000 deep in a signed TC3 body is refused by the parser's depth limit,
/// and the server goes on.
#[tokio::test]
async fn deeply_nested_json_bodies_are_refused() {
    let s = start(ApiConfig::default()).await;
    let mut t = Tc3::new("DescribeSites", json!({}));
    t.body = format!(
        "{}1{}",
        "{\"Filters\":[".repeat(100_000),
        "]}".repeat(100_000)
    );
    let v = s.tc3(t).await;
    assert_eq!(code(&v), "InvalidParameter", "{v}");
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    assert_eq!(code(&v), "OK", "{v}");
}

/// A TC3-signed GET with `query` as its query string.
async fn tc3_get(s: &Server, query: &str) -> serde_json::Value {
    use vigil_api::sign::{tc3_signature, Tc3Input};
    let host = s.base.trim_start_matches("http://").to_string();
    let ts = now();
    let date = chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let sig = tc3_signature(
        &s.key.secret_key,
        &Tc3Input {
            method: "GET",
            uri: "/",
            query,
            canonical_headers: &format!("host:{host}\n"),
            signed_headers: "host",
            payload: Some(b""),
            timestamp: &ts.to_string(),
            date: &date,
            service: "cws",
        },
    );
    let auth = format!(
        "TC3-HMAC-SHA256 Credential={}/{date}/cws/tc3_request, SignedHeaders=host, Signature={sig}",
        s.key.secret_id
    );
    s.http
        .get(format!("{}/?{query}", s.base))
        .header("Authorization", auth)
        .header("X-TC-Action", "DescribeSites")
        .header("X-TC-Version", "2018-03-12")
        .header("X-TC-Timestamp", ts.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// v1 nonces are positive integers, as Tencent documents them.
#[tokio::test]
async fn v1_nonce_must_be_a_positive_integer() {
    let s = start(ApiConfig::default()).await;
    let p = describe_sites(&[]);
    for bad in [
        "abc",
        "0",
        "000",
        "-5",
        "1.5",
        "1&Limit=5",
        "123456789012345678901",
    ] {
        let v = s.v1_post(&p, bad).await;
        assert_eq!(code(&v), "InvalidParameterValue", "nonce {bad:?}: {v}");
    }
    let v = s.v1_post(&p, "4242").await;
    assert_eq!(code(&v), "OK", "{v}");
}

/// A request refused by the rate limit writes nothing: its nonce is still unused after.
#[tokio::test]
async fn rate_limit_comes_before_the_nonce_is_stored() {
    let s = start(ApiConfig {
        rate_per_second: 1,
        ..ApiConfig::default()
    })
    .await;
    let p = describe_sites(&[]);
    assert_eq!(code(&s.v1_post(&p, "500").await), "OK");
    let v = s.v1_post(&p, "501").await;
    assert_eq!(code(&v), "RequestLimitExceeded", "{v}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Had the refused request stored its nonce, this would be a replay.
    let v = s.v1_post(&p, "501").await;
    assert_eq!(code(&v), "OK", "{v}");
}

/// Clients that trickle their headers or body are cut off by the read deadlines.
#[tokio::test]
async fn slow_headers_and_bodies_time_out() {
    let s = start(ApiConfig {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        ..ApiConfig::default()
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_string();
    // Headers never finished: the server closes the connection.
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 10 s");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A body shorter than its Content-Length: the request is answered with an error.
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.contains("InvalidRequest"), "{text}");
    // The server still answers others.
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    assert_eq!(code(&v), "OK", "{v}");
}

/// `/metrics` in a tight loop reads the task table at most about once a second.
#[tokio::test]
async fn metrics_gauges_are_cached() {
    let s = start(ApiConfig::default()).await;
    let started = Instant::now();
    for _ in 0..50 {
        let r = s
            .http
            .get(format!("{}/metrics", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let secs = started.elapsed().as_secs() + 1;
    let reads = s.state.metrics.gauge_reads();
    assert!(
        reads <= secs + 1,
        "{reads} store reads for 50 scrapes in {secs} s"
    );
}
