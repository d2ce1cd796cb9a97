//! Golden files of one representative list response per product, whole (`{"Response": ...}`)
//! as the SDK receives it over a real loopback gateway: CWS `DescribeSites`, CSIP
//! `DescribeScanTaskList` after a run, TCSS `DescribeAssetImageList` after a scan. Each test
//! creates its rows through the API (the test plays the worker where a scan has to finish:
//! it claims the task, records findings and components, and finishes it), then replaces what
//! differs from run to run, named in the test: the `RequestId`, the random `AppId` and `UIN`
//! of the account, and times taken from the clock. Ids are not replaced: every test starts
//! from an empty database, so they are the same each run.
//!
//! Files: `tests/golden/{cws_describe_sites,csip_describe_scan_task_list,tcss_describe_asset_image_list}.json`;
//! regenerate with `UPDATE_GOLDEN=1 cargo test -p vigil-api --test it golden_responses` and
//! review the diff.

use crate::support::{Server, Tc3};
use serde_json::{json, Value};
use vigil_api::ApiConfig;
use vigil_core::{Component, Finding, Severity, TaskState};
use vigil_store::{NewImage, Store};
use vigil_testkit::golden;

/// The fields every response has that differ between runs.
const ALWAYS: &[(&str, &str)] = &[
    ("RequestId", "<request-id>"),
    ("AppId", "<app-id>"),
    ("Appid", "<app-id>"),
    ("UIN", "<uin>"),
    ("Uin", "<uin>"),
];

/// A gateway whose names resolve only through a DNS server that does not exist: nothing
/// leaves loopback. Targets are addresses (TEST-NET-3), so nothing waits for that server
/// either; none is ever reached.
async fn server() -> Server {
    crate::support::start_with_dns(
        ApiConfig::default(),
        Some("127.0.0.1:9".parse().expect("address")),
    )
    .await
}

/// The id of the server's one account.
async fn account_id(s: &Server) -> i64 {
    s.store.account_by_app_id(s.key.app_id).await.unwrap().id
}

async fn call(s: &Server, service: &'static str, action: &'static str, body: Value) -> Value {
    let version = match service {
        "cws" => "2018-03-12",
        "csip" => "2022-11-21",
        _ => "2020-11-01",
    };
    let v = s
        .tc3(Tc3 {
            service,
            version,
            ..Tc3::new(action, body)
        })
        .await;
    assert!(v["Response"].get("Error").is_none(), "{action}: {v}");
    v
}

/// Replaces the values of [`ALWAYS`] and of `times` (placeholder `<time>`), insisting that
/// each named field is there.
fn normalise(v: &mut Value, times: &[&str]) {
    assert_eq!(golden::redact_keys(v, &ALWAYS[..1]), 1, "one RequestId");
    golden::redact_keys(v, &ALWAYS[1..]);
    for t in times {
        assert!(golden::redact_keys(v, &[(t, "<time>")]) > 0, "{t} in {v}");
    }
}

/// Plays the worker for the next queued task of `kind`: records `findings` and `components`
/// and finishes it successfully.
async fn run_next(store: &Store, kind: &str, findings: &[Finding], components: &[Component]) {
    let mut lease = store
        .claim("golden-worker", &[kind.to_string()], 60_000)
        .await
        .unwrap()
        .expect("a queued task");
    let t = lease.task.clone();
    let scope = t.options["scope_key"].as_str().unwrap_or(kind).to_string();
    for f in findings {
        store
            .record_finding(t.account_id, t.id, &scope, f)
            .await
            .unwrap();
    }
    for c in components {
        store.record_component(t.account_id, t.id, c).await.unwrap();
    }
    lease.attempt = lease.task.max_attempts;
    assert!(store
        .finish(&lease, TaskState::Succeeded, None, 0)
        .await
        .unwrap());
}

fn xss(url: &str) -> Finding {
    Finding {
        kind: "xss".into(),
        severity: Some(Severity::High),
        title: "Reflected cross-site scripting in query parameter `q` of GET /search".into(),
        host: Some("203.0.113.10".into()),
        port: Some(443),
        protocol: Some("https".into()),
        url: Some(url.into()),
        parameter: Some("q".into()),
        cwe: vec!["CWE-79".into()],
        evidence: json!({"request": "GET /search?q=%3Cvgl%3E HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n",
                          "response": "HTTP/1.1 200\r\n\r\n<p><vgl></p>", "status": 200, "elapsed_ms": 12}),
        identity: vec!["GET".into(), "query".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn cws_describe_sites() {
    let s = server().await;
    call(
        &s,
        "cws",
        "CreateSites",
        json!({"Urls": ["https://203.0.113.10/", "http://203.0.113.11:8080/admin/"], "UserAgent": "vigil-golden"}),
    )
    .await;
    // The first site's host is proven (as a TXT record would) and scanned once.
    let account = account_id(&s).await;
    s.store
        .verification(account, "203.0.113.10", "token", i64::MAX)
        .await
        .unwrap();
    s.store
        .set_verified(account, "203.0.113.10", 1, "dns")
        .await
        .unwrap();
    call(
        &s,
        "cws",
        "CreateSitesScans",
        json!({"SiteIds": [1], "ScannerType": "normal", "RateLimit": 20}),
    )
    .await;
    run_next(&s.store, "web", &[xss("https://203.0.113.10/search")], &[]).await;
    let mut v = call(&s, "cws", "DescribeSites", json!({"Limit": 10})).await;
    normalise(
        &mut v,
        &[
            "CreatedAt",
            "UpdatedAt",
            "LastScanStartTime",
            "LastScanFinishTime",
        ],
    );
    golden::assert_json("tests/golden/cws_describe_sites.json", &v);
}

fn open_port(host: &str, port: u16, service: &str) -> Finding {
    Finding {
        kind: "open_port".into(),
        severity: Some(Severity::Info),
        title: format!("{port}/tcp open: {service}"),
        host: Some(host.into()),
        port: Some(port),
        protocol: Some("tcp".into()),
        service: Some(service.into()),
        evidence: json!({"address": host, "state": "open", "rtt_ms": 0.4, "service": {"name": service}}),
        ..Default::default()
    }
}

#[tokio::test]
async fn csip_describe_scan_task_list() {
    let s = server().await;
    // The account proved it owns both targets (as a TXT record would).
    let account = account_id(&s).await;
    for host in ["203.0.113.10", "203.0.113.11"] {
        s.store
            .verification(account, host, "token", i64::MAX)
            .await
            .unwrap();
        s.store.set_verified(account, host, 1, "dns").await.unwrap();
    }
    let created = call(
        &s,
        "csip",
        "CreateRiskCenterScanTask",
        json!({"TaskName": "shop perimeter", "ScanAssetType": 3,
               "SelfDefiningAssets": ["203.0.113.10", "203.0.113.11"],
               "ScanItem": ["port", "weakpass", "configrisk"], "ScanPlanType": 1,
               "TaskMode": 1}),
    )
    .await;
    assert_eq!(created["Response"]["Status"], 0, "{created}");
    run_next(
        &s.store,
        "net",
        &[
            open_port("203.0.113.10", 22, "ssh"),
            open_port("203.0.113.10", 443, "https"),
        ],
        &[],
    )
    .await;
    let mut v = call(&s, "csip", "DescribeScanTaskList", json!({})).await;
    normalise(&mut v, &["InsertTime", "StartTime", "EndTime"]);
    golden::redact_pointer(&mut v, "/Response/UINList/0", "<uin>");
    golden::assert_json("tests/golden/csip_describe_scan_task_list.json", &v);
}

fn image_vuln(image: &str, cve: &str, severity: Severity, fixed: Option<&str>) -> Finding {
    let purl = "pkg:apk/alpine/openssl@3.1.4-r0?arch=x86_64&distro=alpine-3.19.0";
    Finding {
        kind: "image-vuln".into(),
        severity: Some(severity),
        title: format!("{cve} in openssl 3.1.4-r0"),
        cve: vec![cve.into()],
        path: Some("/lib/apk/db/installed".into()),
        identity: vec![image.into(), cve.into()],
        evidence: json!({
            "package": {"name": "openssl", "version": "3.1.4-r0", "ecosystem": "apk", "purl": purl,
                        "path": "/lib/apk/db/installed", "layer": 0, "source_name": "openssl", "source_version": null},
            "fixed_version": fixed, "fix_status": if fixed.is_some() { "fixed" } else { "not-fixed" },
            "advisory": {"id": cve, "aliases": [], "summary": "openssl flaw", "details": "",
                         "severity": severity.as_str(), "cvss": null, "references": [],
                         "published": "2024-01-01T00:00:00Z", "modified": "2024-01-02T00:00:00Z", "source": "alpine-secdb"},
        }),
        fixable: fixed.is_some(),
        ..Default::default()
    }
}

#[tokio::test]
async fn tcss_describe_asset_image_list() {
    let s = server().await;
    let image = format!("sha256:{}", "5e".repeat(32));
    s.store
        .upsert_image(
            account_id(&s).await,
            &NewImage {
                image_id: image.clone(),
                source: "docker-archive:/images/shop-web.tar".into(),
                name: "shop/web:1.0".into(),
                size: 7_340_032,
                os_name: "alpine:3.19".into(),
                architecture: "amd64".into(),
                history: "ADD alpine-minirootfs.tar.gz /\nCOPY app /app".into(),
                created_at: Some(1_767_323_045_000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    call(
        &s,
        "tcss",
        "CreateAssetImageScanTask",
        json!({"Images": [image], "ScanVul": true, "ScanVirus": true, "ScanRisk": true}),
    )
    .await;
    let components = [("alpine", "3.19.0", "os"), ("openssl", "3.1.4-r0", "apk")].map(
        |(name, version, kind)| Component {
            name: name.into(),
            version: Some(version.into()),
            kind: kind.into(),
            purl: None,
            path: Some("/lib/apk/db/installed".into()),
            detail: None,
        },
    );
    run_next(
        &s.store,
        "image",
        &[
            image_vuln(&image, "CVE-2024-0727", Severity::Medium, Some("3.1.4-r5")),
            image_vuln(&image, "CVE-2023-6129", Severity::Low, None),
        ],
        &components,
    )
    .await;
    let mut v = call(&s, "tcss", "DescribeAssetImageList", json!({"Limit": 10})).await;
    normalise(&mut v, &["ScanTime"]);
    golden::assert_json("tests/golden/tcss_describe_asset_image_list.json", &v);
}
