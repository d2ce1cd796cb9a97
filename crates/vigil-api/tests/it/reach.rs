//! Nothing fetched on a tenant's behalf reaches an internal address the operator's scope
//! does not name: a listener on 127.0.0.1 sees no connection when a tenant of a service
//! without operator scope names it as a site (ownership proof, scan), a registry, a
//! callback or a scan target, and every request is answered with the cloud's error.

use crate::support::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use vigil_api::ApiConfig;

/// A loopback listener that counts the connections it accepts.
async fn tripwire() -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            drop(sock);
        }
    });
    (port, hits)
}

fn tc3(
    action: &'static str,
    service: &'static str,
    version: &'static str,
    body: serde_json::Value,
) -> Tc3 {
    let mut t = Tc3::new(action, body);
    t.service = service;
    t.version = version;
    t
}

#[tokio::test]
async fn tenants_never_reach_loopback() {
    let s = start(ApiConfig::default()).await;
    let (port, hits) = tripwire().await;
    let site = format!("http://127.0.0.1:{port}/");

    // CWS: a site on loopback; its ownership proof is never fetched, and it cannot be scanned.
    let v = s
        .tc3(Tc3::new("CreateSites", json!({"Urls": [site]})))
        .await;
    // Registering is allowed (it reaches nothing); proving and scanning are not.
    assert_eq!(code(&v), "OK", "{v}");
    let v = s
        .tc3(Tc3::new("VerifySites", json!({"Urls": [site]})))
        .await;
    assert_eq!(v["Response"]["SuccessNumber"], 0, "{v}");
    let v = s.tc3(Tc3::new("DescribeSites", json!({}))).await;
    let id = v["Response"]["Sites"][0]["Id"].as_i64().unwrap();
    let v = s
        .tc3(Tc3::new(
            "CreateSitesScans",
            json!({"SiteIds": [id], "ScannerType": "normal", "RateLimit": 20}),
        ))
        .await;
    assert_eq!(code(&v), "UnauthorizedOperation", "{v}");

    // TCSS: a registry on loopback.
    let v = s
        .tc3(tc3(
            "AddAssetImageRegistryRegistryDetail",
            "tcss",
            "2020-11-01",
            json!({"Name": "r", "Username": "", "Password": "", "Url": format!("http://127.0.0.1:{port}"),
                   "RegistryType": "harbor", "NetType": "private", "Insecure": 1}),
        ))
        .await;
    assert_ne!(code(&v), "OK", "{v}");

    // CSIP: a loopback target and a loopback callback.
    let v = s
        .tc3(tc3(
            "CreateRiskCenterScanTask",
            "csip",
            "2022-11-21",
            json!({"TaskName": "t", "ScanAssetType": 3, "SelfDefiningAssets": ["127.0.0.1"],
                   "ScanItem": ["port"], "ScanPlanType": 0, "TaskMode": 0,
                   "FinishWebHook": format!("http://127.0.0.1:{port}/hook")}),
        ))
        .await;
    assert!(
        code(&v) != "OK" || v["Response"]["Status"] == -1,
        "a loopback target was accepted: {v}"
    );

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a tenant's request reached 127.0.0.1:{port}"
    );
}
