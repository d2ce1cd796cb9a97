//! Exposed servers: services that answer without authentication, each proven by a real
//! protocol exchange whose request and response become the finding's evidence. Checks never
//! write or change anything on the target: they read server information or list contents.

use crate::service::{ask, ask_until, connect, http_get, read_some, ServiceInfo};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use vigil_core::Severity;

/// An unauthenticated service, with its proof.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// Product or protocol exposed (`redis`, `docker`, ...).
    pub what: &'static str,
    /// How bad.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// Request and response excerpts.
    pub proof: Value,
}

fn exposure(
    what: &'static str,
    severity: Severity,
    title: &str,
    request: &str,
    response: &[u8],
) -> Exposure {
    Exposure {
        what,
        severity,
        title: title.to_string(),
        proof: json!({"request": request, "response": excerpt(response)}),
    }
}

/// Printable start of a response, at most 600 characters, lines kept.
fn excerpt(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(600)]);
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { '.' } else { c })
        .collect()
}

/// Body of an HTTP response when its status is 200.
fn ok_body(raw: &[u8]) -> Option<&[u8]> {
    let text = std::str::from_utf8(raw.get(..raw.len().min(64))?).unwrap_or("");
    let status_ok = text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    status_ok.then(|| &raw[split + 4..])
}

/// Redis answering `INFO server` without `AUTH`.
pub fn redis_open(info: &[u8]) -> bool {
    info.starts_with(b"$") && String::from_utf8_lossy(info).contains("redis_version:")
}

/// memcached answering `stats`.
pub fn memcached_open(stats: &[u8]) -> bool {
    stats.starts_with(b"STAT pid ")
}

/// ZooKeeper answering the `srvr` four-letter word.
pub fn zookeeper_open(srvr: &[u8]) -> bool {
    srvr.starts_with(b"Zookeeper version:")
}

/// rsync daemon module list (lines before `@RSYNCD: EXIT`), after the greeting.
pub fn rsync_modules(listing: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(listing)
        .lines()
        .filter(|l| !l.starts_with("@RSYNCD:") && !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// What an unauthenticated HTTP API reveals, judged from `GET path` bodies.
pub fn http_exposure(path: &str, body: &[u8]) -> Option<(&'static str, Severity, &'static str)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match path {
        "/" if v.get("tagline").and_then(Value::as_str) == Some("You Know, for Search")
            && v.get("cluster_name").is_some() =>
        {
            Some((
                "elasticsearch",
                Severity::High,
                "Elasticsearch answers without authentication",
            ))
        }
        "/version" if v.get("ApiVersion").is_some() && v.get("Os").is_some() => Some((
            "docker",
            Severity::Critical,
            "Docker Engine API answers without authentication (host takeover)",
        )),
        "/version" if v.get("etcdserver").is_some() => Some((
            "etcd",
            Severity::High,
            "etcd answers without authentication",
        )),
        "/v1/agent/self" if v.get("Config").is_some() && v.get("Member").is_some() => Some((
            "consul",
            Severity::High,
            "Consul agent API answers without an ACL token",
        )),
        "/api/kernels" if v.is_array() => Some((
            "jupyter",
            Severity::Critical,
            "Jupyter server runs code without a token",
        )),
        "/api" if v.get("kind").and_then(Value::as_str) == Some("APIVersions") => Some((
            "kubernetes",
            Severity::Critical,
            "Kubernetes API server answers anonymous requests",
        )),
        "/pods" if v.get("kind").and_then(Value::as_str) == Some("PodList") => Some((
            "kubelet",
            Severity::Critical,
            "Kubelet API answers anonymous requests",
        )),
        _ => None,
    }
}

const HTTP_PATHS: &[&str] = &[
    "/",
    "/version",
    "/v1/agent/self",
    "/api/kernels",
    "/api",
    "/pods",
];

async fn ftp_anonymous(addr: SocketAddr, t: Duration) -> Option<Exposure> {
    let mut s = connect(addr, t).await?;
    let mut transcript = Vec::new();
    let banner = read_some(&mut s, t).await;
    transcript.extend_from_slice(&banner);
    for cmd in [
        &b"USER anonymous\r\n"[..],
        b"PASS vigil@example.invalid\r\n",
    ] {
        s.write_all(cmd).await.ok()?;
        let reply = read_some(&mut s, t).await;
        transcript.extend_from_slice(cmd);
        transcript.extend_from_slice(&reply);
        if reply.starts_with(b"230") {
            let _ = s.write_all(b"QUIT\r\n").await;
            return Some(exposure(
                "ftp",
                Severity::Medium,
                "FTP server accepts anonymous logins",
                "USER anonymous / PASS",
                &transcript,
            ));
        }
        if !reply.starts_with(b"331") {
            return None;
        }
    }
    None
}

async fn rsync_listing(addr: SocketAddr, t: Duration) -> Option<Exposure> {
    let mut s = connect(addr, t).await?;
    let greeting = read_some(&mut s, t).await;
    if !greeting.starts_with(b"@RSYNCD:") {
        return None;
    }
    s.write_all(b"@RSYNCD: 31.0\n\n").await.ok()?;
    let listing = crate::service::read_all(&mut s, t).await;
    let modules = rsync_modules(&listing);
    (!modules.is_empty()).then(|| Exposure {
        what: "rsync",
        severity: Severity::High,
        title: format!("rsync daemon lists modules without authentication: {}", modules.join(", ")),
        proof: json!({"request": "@RSYNCD: 31.0 / (list modules)", "response": excerpt(&listing), "modules": modules}),
    })
}

/// Check one open port whose service was identified.
pub async fn check(addr: SocketAddr, host: &str, svc: &ServiceInfo, t: Duration) -> Vec<Exposure> {
    let mut out = Vec::new();
    match svc.name.as_str() {
        "redis" => {
            let info = ask_until(addr, b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", t, |b| {
                b.starts_with(b"-") || b.windows(14).any(|w| w == b"redis_version:")
            })
            .await;
            if redis_open(&info) {
                out.push(exposure(
                    "redis",
                    Severity::Critical,
                    "Redis accepts commands without authentication",
                    "INFO server",
                    &info,
                ));
            }
        }
        "memcached" => {
            let stats = ask_until(addr, b"stats\r\n", t, |b| {
                b.ends_with(b"END\r\n") || b.starts_with(b"ERROR")
            })
            .await;
            if memcached_open(&stats) {
                out.push(exposure(
                    "memcached",
                    Severity::High,
                    "memcached answers without authentication",
                    "stats",
                    &stats,
                ));
            }
        }
        "ftp" => out.extend(ftp_anonymous(addr, t).await),
        "mqtt" => {
            let ack = ask(addr, &crate::service::mqtt_connect(), t).await;
            if crate::service::mqtt_connack(&ack) == Some(0) {
                out.push(exposure(
                    "mqtt",
                    Severity::High,
                    "MQTT broker accepts anonymous clients",
                    "CONNECT without credentials",
                    &ack,
                ));
            }
        }
        "rsync" => out.extend(rsync_listing(addr, t).await),
        "mongodb" => {
            if let Some(dbs) = crate::mongoauth::open_databases(addr, t).await {
                let listing = dbs.join(", ");
                out.push(exposure(
                    "mongodb",
                    Severity::Critical,
                    "MongoDB lists its databases without authentication",
                    "listDatabases",
                    listing.as_bytes(),
                ));
            }
        }
        "unknown" => {
            let srvr = ask(addr, b"srvr", t).await;
            if zookeeper_open(&srvr) {
                out.push(exposure(
                    "zookeeper",
                    Severity::High,
                    "ZooKeeper answers four-letter commands without authentication",
                    "srvr",
                    &srvr,
                ));
            }
        }
        "http" | "https" => {
            for path in HTTP_PATHS {
                let raw = http_get(addr, host, path, svc.tls, t).await;
                if let Some((what, sev, title)) = ok_body(&raw).and_then(|b| http_exposure(path, b))
                {
                    out.push(exposure(what, sev, title, &format!("GET {path}"), &raw));
                    break;
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_answers() {
        assert!(redis_open(b"$300\r\n# Server\r\nredis_version:7.0.15\r\n"));
        assert!(!redis_open(b"-NOAUTH Authentication required.\r\n"));
        assert!(memcached_open(b"STAT pid 1234\r\nSTAT uptime 5\r\n"));
        assert!(!memcached_open(b"ERROR\r\n"));
        assert!(zookeeper_open(b"Zookeeper version: 3.8.0-abc, built on\n"));
        assert!(!zookeeper_open(b""));
        assert_eq!(
            rsync_modules(b"pub            \tPublic files\ndata\n@RSYNCD: EXIT\n"),
            vec!["pub", "data"]
        );
        assert!(rsync_modules(b"@RSYNCD: EXIT\n").is_empty());
    }

    #[test]
    fn http_apis_and_their_safe_twins() {
        let es = br#"{"name":"n1","cluster_name":"prod","version":{"number":"8.11.0"},"tagline":"You Know, for Search"}"#;
        assert_eq!(http_exposure("/", es).map(|x| x.0), Some("elasticsearch"));
        let docker = br#"{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}"#;
        assert_eq!(
            http_exposure("/version", docker).map(|x| x.1),
            Some(Severity::Critical)
        );
        assert_eq!(
            http_exposure(
                "/version",
                br#"{"etcdserver":"3.5.9","etcdcluster":"3.5.0"}"#
            )
            .map(|x| x.0),
            Some("etcd")
        );
        assert_eq!(
            http_exposure("/api", br#"{"kind":"APIVersions","versions":["v1"]}"#).map(|x| x.0),
            Some("kubernetes")
        );
        assert_eq!(
            http_exposure("/pods", br#"{"kind":"PodList","items":[]}"#).map(|x| x.0),
            Some("kubelet")
        );
        assert_eq!(
            http_exposure("/api/kernels", b"[]").map(|x| x.0),
            Some("jupyter")
        );
        // Safe twins: an ordinary JSON API, an auth error body, HTML.
        assert!(http_exposure("/version", br#"{"version":"1.2.3"}"#).is_none());
        assert!(http_exposure(
            "/api",
            br#"{"kind":"Status","status":"Failure","code":401}"#
        )
        .is_none());
        assert!(http_exposure("/", b"<html>Welcome to nginx!</html>").is_none());
        assert!(ok_body(b"HTTP/1.1 401 Unauthorized\r\n\r\n{}").is_none());
        assert_eq!(
            ok_body(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n[]"),
            Some(&b"[]"[..])
        );
    }
}
