//! Shared by the gateway tests: a real gateway on a loopback port over a fresh SQLite
//! database with one account, and signed TC3 and v1 requests with knobs for breaking them.

use serde_json::Value;
use std::sync::Arc;
use vigil_api::sign::{tc3_signature, v1_signature, v1_string_to_sign, Tc3Input};
use vigil_api::{app, ApiConfig, AppState};
use vigil_engine::{Dns, ScopeGuard};
use vigil_store::{NewKey, Store};

pub struct Server {
    pub base: String,
    pub key: NewKey,
    pub store: Store,
    pub db_url: String,
    pub http: reqwest::Client,
    pub state: Arc<AppState>,
}

pub async fn start(cfg: ApiConfig) -> Server {
    start_with_dns(cfg, None).await
}

pub async fn start_with_dns(cfg: ApiConfig, dns: Option<std::net::SocketAddr>) -> Server {
    let db_url = vigil_testkit::sqlite_url("gateway");
    let store = Store::open(&db_url, vigil_testkit::secrets())
        .await
        .unwrap();
    let acct = store.create_account("t").await.unwrap();
    let key = store.create_key(&acct, "t").await.unwrap();
    // Names resolve only through a test DNS server on loopback, never the system's.
    let scope = match dns {
        Some(_) => ScopeGuard::default().with_dns(Arc::new(Dns::new(dns).unwrap())),
        None => ScopeGuard::default(),
    };
    let scope = Arc::new(scope);
    let dns = Arc::new(Dns::new(dns.or(Some("127.0.0.1:9".parse().unwrap()))).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let cfg = ApiConfig {
        listen: Some(addr),
        ..cfg
    };
    let state = Arc::new(AppState::new(store.clone(), scope, dns, cfg));
    let header_timeout = state.config.header_read_timeout;
    tokio::spawn(vigil_api::server::serve(
        listener,
        app(state.clone()),
        header_timeout,
        std::future::pending(),
    ));
    Server {
        base,
        key,
        store,
        db_url,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        state,
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A TC3 request with knobs for breaking it.
pub struct Tc3 {
    pub action: &'static str,
    pub version: &'static str,
    pub service: &'static str,
    pub body: String,
    pub ts: i64,
    pub sign_body: Option<String>,
    pub date: Option<String>,
    pub unsigned: bool,
    pub extra: Vec<(&'static str, String)>,
}

impl Tc3 {
    pub fn new(action: &'static str, body: Value) -> Self {
        Tc3 {
            action,
            version: "2018-03-12",
            service: "cws",
            body: body.to_string(),
            ts: now(),
            sign_body: None,
            date: None,
            unsigned: false,
            extra: vec![],
        }
    }
}

impl Server {
    pub async fn tc3(&self, r: Tc3) -> Value {
        let host = self.base.trim_start_matches("http://").to_string();
        let date = r.date.clone().unwrap_or_else(|| {
            chrono::DateTime::from_timestamp(r.ts, 0)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string()
        });
        let signed_body = r.sign_body.clone().unwrap_or_else(|| r.body.clone());
        let payload = (!r.unsigned).then_some(signed_body.as_bytes());
        let auth = tc3_authorization(&self.key, &host, r.service, r.ts, &date, payload);
        let mut req = self
            .http
            .post(format!("{}/", self.base))
            .header("Content-Type", "application/json")
            .header("Authorization", auth)
            .header("X-TC-Action", r.action)
            .header("X-TC-Version", r.version)
            .header("X-TC-Timestamp", r.ts.to_string())
            .body(r.body.clone());
        if r.unsigned {
            req = req.header("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD");
        }
        for (k, v) in &r.extra {
            req = req.header(*k, v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        resp.json().await.unwrap()
    }

    /// A v1 GET request; `host` overrides the Host header, `path` the request path.
    pub async fn v1(
        &self,
        params: &[(&str, &str)],
        nonce: &str,
        host: Option<&str>,
        path: &str,
    ) -> Value {
        let host = host
            .map(str::to_string)
            .unwrap_or_else(|| self.base.trim_start_matches("http://").to_string());
        let p = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query = v1_signed(&self.key, "GET", &host, path, p, nonce);
        let resp = self
            .http
            .get(format!("{}{path}?{query}", self.base))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// A v1 POST (HmacSHA256, form body) with `params` and the common parameters, signed
    /// correctly.
    pub async fn v1_post(&self, params: &[(String, String)], nonce: &str) -> Value {
        let host = self.base.trim_start_matches("http://").to_string();
        let body = v1_signed(&self.key, "POST", &host, "/", params.to_vec(), nonce);
        let resp = self
            .http
            .post(format!("{}/", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

/// The `Authorization` header of a TC3-HMAC-SHA256 signed JSON POST to `/` on `host` at
/// `ts` (`date` its UTC day), over `payload` (`None`: an unsigned payload).
pub fn tc3_authorization(
    key: &NewKey,
    host: &str,
    service: &str,
    ts: i64,
    date: &str,
    payload: Option<&[u8]>,
) -> String {
    let sig = tc3_signature(
        &key.secret_key,
        &Tc3Input {
            method: "POST",
            uri: "/",
            query: "",
            canonical_headers: &format!("content-type:application/json\nhost:{host}\n"),
            signed_headers: "content-type;host",
            payload,
            timestamp: &ts.to_string(),
            date,
            service,
        },
    );
    format!(
        "TC3-HMAC-SHA256 Credential={}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
        key.secret_id
    )
}

/// `params` with the v1 common parameters and a correct HmacSHA256 signature for `key`,
/// form-encoded.
pub fn v1_signed(
    key: &NewKey,
    method: &str,
    host: &str,
    path: &str,
    params: Vec<(String, String)>,
    nonce: &str,
) -> String {
    let mut p = params;
    for (k, v) in [
        ("Nonce", nonce.to_string()),
        ("Timestamp", now().to_string()),
        ("SecretId", key.secret_id.clone()),
        ("SignatureMethod", "HmacSHA256".to_string()),
    ] {
        p.push((k.to_string(), v));
    }
    let sig = v1_signature(
        &key.secret_key,
        "HmacSHA256",
        &v1_string_to_sign(method, host, path, &p),
    )
    .unwrap();
    p.push(("Signature".into(), sig));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&p)
        .finish()
}

pub fn code(v: &Value) -> &str {
    v["Response"]["Error"]["Code"].as_str().unwrap_or("OK")
}

pub fn assert_envelope(v: &Value) {
    let id = v["Response"]["RequestId"].as_str().expect("RequestId");
    assert_eq!(id.len(), 36, "uuid RequestId");
}
