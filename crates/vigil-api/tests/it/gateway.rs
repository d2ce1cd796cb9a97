//! The gateway over a real loopback HTTP server: every common error code provoked on the wire,
//! both signature schemes with tampering, replay, skew, body limit, routing by credential
//! scope, host and path, and database errors that must not leak.

use crate::support::*;
use serde_json::{json, Value};
use vigil_api::ApiConfig;
use vigil_testkit::dnsmasq::{dnsmasq, free_port};

#[tokio::test]
async fn tc3_errors_on_the_wire() {
    let s = start(ApiConfig::default()).await;
    let ok = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    assert_eq!(code(&ok), "OK", "{ok}");
    assert_envelope(&ok);
    let cases: Vec<(Tc3, &str)> = vec![
        (
            Tc3 {
                ts: now() - 1000,
                ..Tc3::new("DescribeSites", json!({}))
            },
            "AuthFailure.SignatureExpire",
        ),
        (
            Tc3 {
                sign_body: Some("{}".into()),
                ..Tc3::new("DescribeSites", json!({"Limit": 5}))
            },
            "AuthFailure.SignatureFailure",
        ),
        (
            Tc3 {
                date: Some("2001-01-01".into()),
                ..Tc3::new("DescribeSites", json!({}))
            },
            "AuthFailure.SignatureFailure",
        ),
        (
            Tc3 {
                extra: vec![("X-TC-Token", "tok".into())],
                ..Tc3::new("DescribeSites", json!({}))
            },
            "AuthFailure.TokenFailure",
        ),
        (Tc3::new("NoSuchAction", json!({})), "InvalidAction"),
        (
            Tc3 {
                version: "2017-01-01",
                ..Tc3::new("DescribeSites", json!({}))
            },
            "InvalidAction",
        ),
        (
            Tc3 {
                service: "nosuch",
                ..Tc3::new("DescribeSites", json!({}))
            },
            "InvalidAction",
        ),
        (
            // An action of the cloud's API that Vigil does not serve yet.
            Tc3 {
                version: "2022-11-21",
                service: "csip",
                ..Tc3::new("DescribeRiskCenterWebsiteRiskList", json!({}))
            },
            "UnsupportedOperation",
        ),
        (Tc3::new("CreateSites", json!({})), "MissingParameter"),
        (
            Tc3::new("DescribeSites", json!({"Bogus": 1})),
            "UnknownParameter",
        ),
        (
            Tc3::new("DescribeSites", json!({"Limit": "x"})),
            "InvalidParameter",
        ),
        (
            Tc3::new("DescribeSites", json!({"Limit": 101})),
            "InvalidParameterValue",
        ),
        (
            Tc3::new("ModifySiteAttribute", json!({"SiteId": 999})),
            "ResourceNotFound",
        ),
        (
            Tc3 {
                body: "{not json".into(),
                ..Tc3::new("DescribeSites", json!({}))
            },
            "InvalidParameter",
        ),
    ];
    for (req, want) in cases {
        let what = format!("{} {}", req.action, req.body);
        let got = s.tc3(req).await;
        assert_eq!(code(&got), want, "{what}: {got}");
        assert_envelope(&got);
    }
    // The payload may be left unsigned when the client says so.
    let unsigned = s
        .tc3(Tc3 {
            unsigned: true,
            ..Tc3::new("DescribeSites", json!({"Limit": 3}))
        })
        .await;
    assert_eq!(code(&unsigned), "OK", "{unsigned}");
}

#[tokio::test]
async fn malformed_and_missing_authentication() {
    let s = start(ApiConfig::default()).await;
    let send = |auth: Option<&'static str>, action: Option<&'static str>| {
        let mut r = s
            .http
            .post(format!("{}/", s.base))
            .header("Content-Type", "application/json")
            .body("{}");
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        if let Some(a) = action {
            r = r.header("X-TC-Action", a);
        }
        r.header("X-TC-Version", "2018-03-12")
            .header("X-TC-Timestamp", now().to_string())
            .send()
    };
    let v: Value = send(None, Some("DescribeSites"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), "AuthFailure.InvalidAuthorization");
    let v: Value = send(Some("Basic abc"), Some("DescribeSites"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), "AuthFailure.InvalidAuthorization");
    let unknown = "TC3-HMAC-SHA256 Credential=AKIDunknown/2020-01-01/cws/tc3_request, SignedHeaders=content-type;host, Signature=00";
    let v: Value = send(Some(unknown), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), "MissingParameter");
    let v: Value = send(Some(unknown), Some("DescribeSites"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The scope date must match the timestamp before the key is even looked up.
    assert_eq!(code(&v), "AuthFailure.SignatureFailure", "{v}");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let unknown_today = format!("TC3-HMAC-SHA256 Credential=AKIDunknown/{today}/cws/tc3_request, SignedHeaders=content-type;host, Signature=00");
    let v: Value = s
        .http
        .post(format!("{}/", s.base))
        .header("Content-Type", "application/json")
        .header("Authorization", unknown_today)
        .header("X-TC-Action", "DescribeSites")
        .header("X-TC-Version", "2018-03-12")
        .header("X-TC-Timestamp", now().to_string())
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), "AuthFailure.SecretIdNotFound", "{v}");
    // A revoked key is refused the same way.
    s.store.revoke_key(&s.key.secret_id).await.unwrap();
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    assert_eq!(code(&v), "AuthFailure.SecretIdNotFound");
}

#[tokio::test]
async fn v1_replay_routing_and_methods() {
    let s = start(ApiConfig::default()).await;
    let base = [
        ("Action", "DescribeSites"),
        ("Version", "2018-03-12"),
        ("Limit", "5"),
    ];
    let v = s.v1(&base, "1001", None, "/").await;
    assert_eq!(code(&v), "OK", "{v}");
    let v = s.v1(&base, "1001", None, "/").await;
    assert_eq!(
        code(&v),
        "AuthFailure.SignatureFailure",
        "replayed nonce: {v}"
    );
    assert!(v["Response"]["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("Nonce"));
    // Service from the Host header's first label, or from the path.
    let v = s.v1(&base, "1002", Some("cws.vigil.test"), "/").await;
    assert_eq!(code(&v), "OK", "{v}");
    let v = s.v1(&base, "1003", None, "/cws").await;
    assert_eq!(code(&v), "OK", "{v}");
    let v = s.v1(&base, "1004", None, "/csip").await;
    assert_eq!(code(&v), "InvalidAction", "{v}");
    let wrong_version = [("Action", "DescribeSites"), ("Version", "2099-01-01")];
    let v = s.v1(&wrong_version, "1005", None, "/").await;
    assert_eq!(code(&v), "InvalidAction", "{v}");
    let v = s
        .v1(
            &[
                ("Action", "DescribeSites"),
                ("Version", "2018-03-12"),
                ("Limit", "abc"),
            ],
            "1006",
            None,
            "/",
        )
        .await;
    assert_eq!(code(&v), "InvalidParameter", "{v}");
    let v = s.v1(&[("Version", "2018-03-12")], "1007", None, "/").await;
    assert_eq!(code(&v), "MissingParameter", "{v}");
    // A flattened list reaches the handler as a list.
    let v = s
        .v1(
            &[
                ("Action", "DeleteSites"),
                ("Version", "2018-03-12"),
                ("SiteIds.0", "41"),
                ("SiteIds.1", "42"),
            ],
            "1008",
            None,
            "/",
        )
        .await;
    assert_eq!(code(&v), "ResourceNotFound", "{v}");
    // Tampering with a parameter after signing.
    let url = format!("{}/?Action=DescribeSites&Version=2018-03-12&Nonce=9&Timestamp={}&SecretId={}&SignatureMethod=HmacMD5&Signature=x", s.base, now(), s.key.secret_id);
    let v: Value = s.http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(code(&v), "InvalidParameterValue", "{v}");
}

#[tokio::test]
async fn limits_body_size_rate_and_sites() {
    let cfg = ApiConfig {
        max_body_bytes: 4096,
        rate_per_second: 5,
        max_sites: 2,
        ..ApiConfig::default()
    };
    let s = start(cfg).await;
    let big = json!({"Urls": ["http://127.0.0.1/".to_string() + &"a".repeat(5000)]});
    let v = s.tc3(Tc3::new("CreateSites", big)).await;
    assert_eq!(code(&v), "RequestSizeLimitExceeded", "{v}");
    assert_envelope(&v);
    let v = s
        .tc3(Tc3::new(
            "CreateSites",
            json!({"Urls": ["http://203.0.113.1:1/", "http://203.0.113.1:2/", "http://203.0.113.1:3/"]}),
        ))
        .await;
    assert_eq!(code(&v), "LimitExceeded", "{v}");
    let mut limited = 0;
    for _ in 0..15 {
        if code(&s.tc3(Tc3::new("DescribeSiteQuota", json!({}))).await) == "RequestLimitExceeded" {
            limited += 1;
        }
    }
    assert!(limited >= 5, "only {limited} of 15 limited at 5/s");
    // Other actions have their own budget.
    assert_eq!(
        code(&s.tc3(Tc3::new("DescribeSites", json!({}))).await),
        "OK"
    );
    // Metrics count by action and code.
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains(
            "vigil_api_requests_total{action=\"DescribeSiteQuota\",code=\"RequestLimitExceeded\"}"
        ),
        "{m}"
    );
    assert!(m.contains("vigil_queue_depth 0"), "{m}");
    assert!(m.contains("vigil_task_duration_seconds_count 0"), "{m}");
    // Client-chosen action names never become metric labels.
    let v = s.tc3(Tc3::new("NoSuchAction", json!({}))).await;
    assert_eq!(code(&v), "InvalidAction");
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !m.contains("NoSuchAction") && m.contains("action=\"unknown\",code=\"InvalidAction\""),
        "{m}"
    );
    assert_eq!(
        s.http
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn database_failures_do_not_leak() {
    let s = start(ApiConfig::default()).await;
    // Break the database behind the server's back.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.db_url).await.unwrap();
    sqlx::query("DROP TABLE sites")
        .execute(&pool)
        .await
        .unwrap();
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    assert_eq!(code(&v), "InternalError", "{v}");
    let msg = v["Response"]["Error"]["Message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(
        !msg.contains("sites") && !msg.contains("sql") && !msg.contains("table"),
        "{msg}"
    );
}

#[tokio::test]
async fn dns_txt_ownership_proof() {
    let port = free_port();
    let s = start_with_dns(
        ApiConfig::default(),
        Some(format!("127.0.0.1:{port}").parse().unwrap()),
    )
    .await;
    let urls = json!({"Urls": ["http://good.example.test:8000/", "http://bad.example.test:8000/"]});
    // Tokens first (no lookups needed), then the DNS server that publishes them.
    let v = s
        .tc3(Tc3::new("DescribeSitesVerification", urls.clone()))
        .await;
    let list = v["Response"]["SitesVerification"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list[0]["TxtName"], "_vigil-verify.good.example.test");
    let good = list[0]["TxtText"].as_str().unwrap().to_string();
    let bad = list[1]["TxtText"].as_str().unwrap().to_string();
    // The safe twin publishes a token, but not its own.
    let Some(_dns) = dnsmasq(
        port,
        &[
            ("_vigil-verify.good.example.test", &good),
            ("_vigil-verify.bad.example.test", "0123456789abcdef"),
        ],
    ) else {
        return;
    };
    assert_ne!(bad, "0123456789abcdef");
    let v = s.tc3(Tc3::new("CreateSites", urls.clone())).await;
    assert_eq!(code(&v), "OK", "{v}");
    let v = s.tc3(Tc3::new("VerifySites", urls.clone())).await;
    assert_eq!(
        (
            v["Response"]["SuccessNumber"].as_i64(),
            v["Response"]["FailNumber"].as_i64()
        ),
        (Some(1), Some(1)),
        "{v}"
    );
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    let sites = v["Response"]["Sites"].as_array().unwrap();
    let status = |host: &str| {
        sites
            .iter()
            .find(|x| x["Url"].as_str().unwrap().contains(host))
            .unwrap()["VerifyStatus"]
            .as_i64()
    };
    assert_eq!(status("good.example.test"), Some(1));
    assert_eq!(status("bad.example.test"), Some(0));
}
