//! TCSS image actions over a real loopback HTTP server (TC3-signed requests, and one v1 GET
//! with flattened filters): scan tasks as task groups, their state and results mapped from
//! findings and components put into the store the way the worker does, tenant isolation,
//! validation codes, the periodic scan setting and its preflight, registries with sealed
//! passwords and the operator scope, and a sync against a real `docker-registry`.
//!
//! No engine runs here: a test plays the worker (claims the `image` tasks, records findings
//! and components, finishes them). The end-to-end scan of a real image comes with the image
//! engine's wiring.

use crate::support::{tc3_authorization, v1_signed};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use vigil_api::{app, ApiConfig, AppState};
use vigil_core::{Component, Finding, FindingStatus, Severity, TaskState};
use vigil_engine::{Dns, ScopeGuard, ScopePolicy};
use vigil_store::{NewImage, NewKey, NewTask, Store};

struct Server {
    base: String,
    store: Store,
    state: Arc<AppState>,
    db_url: String,
    http: reqwest::Client,
}

/// Download an export link: its sheet XML and shared strings.
async fn workbook(s: &Server, url: &str) -> (String, Vec<String>) {
    use std::io::Read;
    let resp = s.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut out = String::new();
        if let Ok(mut f) = zip.by_name(name) {
            f.read_to_string(&mut out).unwrap();
        }
        out
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let strings = read("xl/sharedStrings.xml")
        .split("<t")
        .skip(1)
        .filter_map(|p| {
            let body = &p[p.find('>')? + 1..];
            Some(body[..body.find("</t>")?].to_string())
        })
        .collect();
    (sheet, strings)
}

/// A server whose operator scope allows `allow` (nothing: no allow rules).
async fn start(allow: &[&str]) -> Server {
    let db_url = vigil_testkit::sqlite_url("tcss");
    let store = Store::open(&db_url, vigil_testkit::secrets())
        .await
        .unwrap();
    // Names resolve only through a DNS server that does not exist: nothing leaves loopback.
    let dns = Arc::new(Dns::new(Some("127.0.0.1:9".parse().unwrap())).unwrap());
    let scope = ScopeGuard::new(ScopePolicy {
        allow: allow.iter().map(|a| a.parse().unwrap()).collect(),
        deny: vec![],
    })
    .with_dns(dns.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    // Links Vigil hands out name the address it listens on.
    let state = Arc::new(AppState::new(
        store.clone(),
        Arc::new(scope),
        dns,
        ApiConfig {
            listen: Some(addr),
            ..ApiConfig::default()
        },
    ));
    let st = state.clone();
    let timeout = st.config.header_read_timeout;
    tokio::spawn(vigil_api::server::serve(
        listener,
        app(st),
        timeout,
        std::future::pending(),
    ));
    Server {
        base,
        store,
        state,
        db_url,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

struct Caller {
    key: NewKey,
    account: i64,
}

impl Server {
    async fn account(&self, name: &str) -> Caller {
        let a = self.store.create_account(name).await.unwrap();
        Caller {
            key: self.store.create_key(&a, "k").await.unwrap(),
            account: a.id,
        }
    }

    /// A TC3-signed TCSS call; returns the `Response` object.
    async fn call(&self, who: &Caller, action: &str, body: Value) -> Value {
        let host = self.base.trim_start_matches("http://").to_string();
        let ts = chrono::Utc::now().timestamp();
        let date = chrono::DateTime::from_timestamp(ts, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        let body = body.to_string();
        let auth = tc3_authorization(&who.key, &host, "tcss", ts, &date, Some(body.as_bytes()));
        let resp = self
            .http
            .post(format!("{}/", self.base))
            .header("Content-Type", "application/json")
            .header("Authorization", auth)
            .header("X-TC-Action", action)
            .header("X-TC-Version", "2020-11-01")
            .header("X-TC-Timestamp", ts.to_string())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        assert!(v["Response"]["RequestId"].is_string(), "{v}");
        v["Response"].clone()
    }

    /// A call that must succeed.
    async fn ok(&self, who: &Caller, action: &str, body: Value) -> Value {
        let r = self.call(who, action, body.clone()).await;
        assert!(
            r.get("Error").is_none(),
            "{action} {body} failed: {}",
            r["Error"]
        );
        r
    }

    /// The error code of a call that must fail.
    async fn err(&self, who: &Caller, action: &str, body: Value) -> String {
        let r = self.call(who, action, body.clone()).await;
        r["Error"]["Code"]
            .as_str()
            .unwrap_or_else(|| panic!("{action} {body} should fail: {r}"))
            .to_string()
    }

    /// A v1 (HmacSHA256) GET with flattened parameters on the `/tcss` path.
    async fn v1(&self, who: &Caller, params: &[(&str, &str)]) -> Value {
        let host = self.base.trim_start_matches("http://").to_string();
        let mut p: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.push(("Version".into(), "2020-11-01".into()));
        let query = v1_signed(&who.key, "GET", &host, "/tcss", p, &rand_nonce());
        let v: Value = self
            .http
            .get(format!("{}/tcss?{query}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["Response"].clone()
    }
}

fn rand_nonce() -> String {
    format!(
        "{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) % 1_000_000_007
    )
}

fn id(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

async fn import(s: &Server, account: i64, n: u8, name: &str) -> i64 {
    s.store
        .upsert_image(
            account,
            &NewImage {
                image_id: id(n),
                source: format!("docker-archive:/images/{n}.tar"),
                name: name.into(),
                size: 5_000_000 + i64::from(n),
                os_name: "linux".into(),
                architecture: "amd64".into(),
                created_at: Some(1_700_000_000_000 + i64::from(n)),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

fn vuln(image: &str, cve: &str, sev: Severity, fixed: Option<&str>, pkg: &str) -> Finding {
    Finding {
        kind: "image-vuln".into(),
        severity: Some(sev),
        title: format!("{cve} in {pkg}"),
        cve: vec![cve.into()],
        path: Some("/lib/apk/db/installed".into()),
        identity: vec![image.into(), pkg.into()],
        evidence: json!({
            "package": {"name": pkg, "version": "3.0.1-r0", "ecosystem": "apk", "purl": format!("pkg:apk/alpine/{pkg}@3.0.1-r0"),
                        "path": "/lib/apk/db/installed", "layer": 1, "layer_digest": "sha256:11", "source_name": pkg, "source_version": "3.0.1-r0"},
            "fixed_version": fixed, "fix_status": if fixed.is_some() { "fixed" } else { "not-fixed" },
            "advisory": {"id": cve, "aliases": [], "summary": format!("{pkg} flaw"), "details": "",
                         "severity": sev.as_str(), "cvss": {"score": 9.1, "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", "version": "3.1"},
                         "references": ["https://security.example/advisory"], "published": "2024-02-01T00:00:00Z",
                         "modified": "2024-02-02T00:00:00Z", "source": "osv"},
        }),
        fixable: fixed.is_some(),
        ..Default::default()
    }
}

fn virus(image: &str) -> Finding {
    Finding {
        kind: "image-virus".into(),
        severity: Some(Severity::Critical),
        title: "webshell /var/www/shell.php".into(),
        path: Some("/var/www/shell.php".into()),
        identity: vec![image.into()],
        evidence: json!({"file": "/var/www/shell.php", "layer": 2, "rule": "Php.Webshell.Generic",
                          "category": "webshell", "sha256": "ab", "md5": "0123456789abcdef0123456789abcdef", "size": 77,
                          "source": "yara", "description": "A PHP web shell.", "remediation": "Remove the file and rebuild."}),
        ..Default::default()
    }
}

fn secret(image: &str) -> Finding {
    Finding {
        kind: "image-risk".into(),
        severity: Some(Severity::High),
        title: "AWS access key in /app/.env".into(),
        path: Some("/app/.env".into()),
        identity: vec![image.into()],
        evidence: json!({"type": "secret", "rule": "aws-access-key", "file": "/app/.env", "layer": 3,
                          "line": 2, "masked": "AKIA************", "description": "An AWS access key.",
                          "remediation": "Revoke the key."}),
        sensitive: true,
        ..Default::default()
    }
}

fn component(name: &str, version: &str, kind: &str) -> Component {
    Component {
        name: name.into(),
        version: Some(version.into()),
        kind: kind.into(),
        purl: None,
        path: Some("/lib/apk/db/installed".into()),
        detail: None,
    }
}

/// Play the worker for the next queued `image` task: record what `record` gives, finish it.
async fn run_next(
    store: &Store,
    outcome: TaskState,
    record: impl FnOnce(&vigil_store::TaskRecord) -> (Vec<Finding>, Vec<Component>),
) -> vigil_store::TaskRecord {
    let lease = store
        .claim("test-worker", &["image".to_string()], 60_000)
        .await
        .unwrap()
        .expect("a queued image task");
    let t = lease.task.clone();
    let (findings, components) = record(&t);
    let scope = t.options["scope_key"].as_str().unwrap().to_string();
    for f in &findings {
        store
            .record_finding(t.account_id, t.id, &scope, f)
            .await
            .unwrap();
    }
    for c in &components {
        store.record_component(t.account_id, t.id, c).await.unwrap();
    }
    let err = (outcome == TaskState::Failed).then_some("cannot read layer 2");
    // A failure that is not retried (as the worker does for bad input).
    let mut lease = lease;
    lease.attempt = lease.task.max_attempts;
    assert!(store.finish(&lease, outcome, err, 0).await.unwrap());
    t
}

/// The fields of the SDK's models (tencentcloud-sdk-python tcss/v20201101/models.py).
const IMAGES_INFO: &[&str] = &[
    "ImageID",
    "ImageName",
    "CreateTime",
    "Size",
    "HostCnt",
    "SuperNodeCnt",
    "ContainerCnt",
    "ScanTime",
    "VulCnt",
    "VirusCnt",
    "RiskCnt",
    "IsTrustImage",
    "OsName",
    "AgentError",
    "ScanError",
    "ScanStatus",
    "ScanVirusError",
    "ScanVulError",
    "ScanRiskError",
    "IsSuggest",
    "IsAuthorized",
    "ComponentCnt",
    "CriticalLevelVulCnt",
    "HighLevelVulCnt",
    "MediumLevelVulCnt",
    "LowLevelVulCnt",
    "IsLatestImage",
    "RecommendedFix",
    "Solution",
    "Reason",
];
const IMAGES_VUL: &[&str] = &[
    "CVEID",
    "Name",
    "Component",
    "Version",
    "Category",
    "CategoryType",
    "Level",
    "Des",
    "OfficialSolution",
    "Reference",
    "DefenseSolution",
    "SubmitTime",
    "CVSSV3Score",
    "CVSSV3Desc",
    "IsSuggest",
    "FixedVersions",
    "Tag",
    "AttackLevel",
];
const IMAGE_VIRUS_INFO: &[&str] = &[
    "Path",
    "RiskLevel",
    "VirusName",
    "Tags",
    "Desc",
    "Solution",
    "Size",
    "FirstScanTime",
    "LatestScanTime",
    "Md5",
    "FileName",
    "CheckPlatform",
];
const IMAGE_COMPONENT: &[&str] = &["Name", "Version", "Path", "Type", "VulCount", "ImageID"];
const IMAGE_REPO_INFO: &[&str] = &[
    "ImageDigest",
    "ImageRepoAddress",
    "RegistryType",
    "ImageName",
    "ImageTag",
    "ImageSize",
    "ScanTime",
    "ScanStatus",
    "VulCnt",
    "VirusCnt",
    "RiskCnt",
    "SentiveInfoCnt",
    "IsTrustImage",
    "OsName",
    "ScanVirusError",
    "ScanVulError",
    "InstanceId",
    "InstanceName",
    "Namespace",
    "ScanRiskError",
    "ScanVirusProgress",
    "ScanVulProgress",
    "ScanRiskProgress",
    "ScanRemainTime",
    "CveStatus",
    "RiskStatus",
    "VirusStatus",
    "Progress",
    "IsAuthorized",
    "RegistryRegion",
    "Id",
    "ImageId",
    "ImageCreateTime",
    "IsLatestImage",
    "LowLevelVulCnt",
    "MediumLevelVulCnt",
    "HighLevelVulCnt",
    "CriticalLevelVulCnt",
    "ContainerCnt",
    "ComponentCnt",
    "IsRunning",
    "HasNeedFixVul",
    "SensitiveInfoCnt",
    "RecommendedFix",
    "Solution",
    "Reason",
];
const IMAGE_VUL: &[&str] = &[
    "CVEID",
    "POCID",
    "Name",
    "Components",
    "Category",
    "CategoryType",
    "Level",
    "Des",
    "OfficialSolution",
    "Reference",
    "DefenseSolution",
    "SubmitTime",
    "CvssScore",
    "CvssVector",
    "IsSuggest",
    "FixedVersions",
    "Tag",
    "Component",
    "Version",
    "AttackLevel",
    "LayerInfos",
];
const IMAGE_VIRUS: &[&str] = &[
    "Path",
    "RiskLevel",
    "Category",
    "VirusName",
    "Tags",
    "Desc",
    "Solution",
    "FileType",
    "FileName",
    "FileMd5",
    "FileSize",
    "FirstScanTime",
    "LatestScanTime",
];
const IMAGE_DETAIL: &[&str] = &[
    "ImageID",
    "ImageName",
    "ImageDigest",
    "CreateTime",
    "Size",
    "HostCnt",
    "ContainerCnt",
    "SuperNodeCnt",
    "ScanTime",
    "VulCnt",
    "RiskCnt",
    "SensitiveInfoCnt",
    "IsTrustImage",
    "OsName",
    "AgentError",
    "ScanError",
    "Architecture",
    "Author",
    "BuildHistory",
    "ScanVirusProgress",
    "ScanVulProgress",
    "ScanRiskProgress",
    "ScanVirusError",
    "ScanVulError",
    "ScanRiskError",
    "ScanStatus",
    "VirusCnt",
    "Status",
    "RemainScanTime",
    "IsAuthorized",
    "Solution",
    "Reason",
    "RepoDigests",
    "RequestId",
];

/// A rendered object has exactly the model's fields.
fn assert_keys(obj: &Value, model: &[&str]) {
    let mut have: Vec<&str> = obj
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = model.to_vec();
    have.sort();
    want.sort();
    assert_eq!(have, want);
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| match &r[field] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn local_scan_lifecycle_and_results() {
    let s = start(&[]).await;
    let a = s.account("a").await;
    let empty = s.ok(&a, "DescribeAssetImageList", json!({})).await;
    assert_eq!(empty["TotalCount"], 0);
    assert_eq!(empty["List"], json!([]));
    import(&s, a.account, 1, "shop/web:1.0").await;
    import(&s, a.account, 2, "shop/web:2.0").await;

    let created = s
        .ok(
            &a,
            "CreateAssetImageScanTask",
            json!({"Images": [id(1)], "ScanVul": true, "ScanVirus": true, "ScanRisk": true,
                   "IsOneClickScanningTask": true, "Timeout": 600}),
        )
        .await;
    let task_id = created["TaskID"].as_str().unwrap().to_string();
    let status = s
        .ok(
            &a,
            "DescribeAssetImageScanStatus",
            json!({"TaskID": task_id}),
        )
        .await;
    assert_eq!(status["Status"], "READY");
    assert_eq!(status["ImageTotal"], 1);
    assert_eq!(status["ImageScanCnt"], 0);
    let list = s.ok(&a, "DescribeAssetImageList", json!({})).await;
    assert_eq!(list["TotalCount"], 2);
    let row1 = list["List"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ImageID"] == id(1))
        .unwrap()
        .clone();
    assert_eq!(row1["ScanStatus"], "SCANNING");
    // The image is being scanned: a second scan of it is refused.
    assert_eq!(
        s.err(
            &a,
            "CreateAssetImageScanTask",
            json!({"Images": [id(1)], "ScanVul": true})
        )
        .await,
        "FailedOperation.ErrAlreadyScanning"
    );

    let image1 = id(1);
    let t = run_next(&s.store, TaskState::Succeeded, |t| {
        assert_eq!(t.product, "tcss");
        assert_eq!(
            t.target,
            json!({"image": "docker-archive:/images/1.tar", "image_id": image1})
        );
        assert_eq!(t.options["scanners"], json!(["vuln", "virus", "risk"]));
        assert_eq!(t.options["timeout_secs"], 600);
        assert_eq!(t.options["scope_key"], format!("tcss:image:{image1}"));
        (
            vec![
                vuln(
                    &image1,
                    "CVE-2024-0001",
                    Severity::Critical,
                    Some("3.0.2-r0"),
                    "openssl",
                ),
                vuln(&image1, "CVE-2024-0002", Severity::Low, None, "openssl"),
                vuln(&image1, "CVE-2024-0003", Severity::Medium, None, "musl"),
                virus(&image1),
                secret(&image1),
            ],
            vec![
                component("alpine", "3.19", "os"),
                component("openssl", "3.0.1-r0", "apk"),
                component("musl", "3.0.1-r0", "apk"),
                component("zlib", "1.3", "apk"),
            ],
        )
    })
    .await;

    let status = s
        .ok(
            &a,
            "DescribeAssetImageScanStatus",
            json!({"TaskID": task_id}),
        )
        .await;
    assert_eq!(status["Status"], "END");
    assert_eq!(status["Schedule"], 100);
    assert_eq!(status["ImageScanCnt"], 1);
    assert_eq!(status["RiskCount"], 1);
    assert_eq!(status["SuccessCount"], 0);
    assert_eq!(status["LeftSeconds"], 0);
    // Without a TaskID: the latest task.
    assert_eq!(
        s.ok(&a, "DescribeAssetImageScanStatus", json!({})).await["ImageTotal"],
        1
    );
    let task = s.ok(&a, "DescribeAssetImageScanTask", json!({})).await;
    assert_eq!(task["TaskID"], task_id);
    assert_eq!(task["Status"], "END");
    assert_eq!(task["SubStatus"], "Success");

    let list = s
        .ok(
            &a,
            "DescribeAssetImageList",
            json!({"By": "CreateTime", "Order": "asc"}),
        )
        .await;
    assert_eq!(names(&list["List"], "ImageID"), vec![id(1), id(2)]);
    let r = &list["List"][0];
    assert_keys(r, IMAGES_INFO);
    assert_eq!(r["ScanStatus"], "SCANNED");
    assert_eq!(r["VulCnt"], 3);
    assert_eq!(r["CriticalLevelVulCnt"], 1);
    assert_eq!(r["MediumLevelVulCnt"], 1);
    assert_eq!(r["LowLevelVulCnt"], 1);
    assert_eq!(r["HighLevelVulCnt"], 0);
    assert_eq!(r["VirusCnt"], 1);
    assert_eq!(r["RiskCnt"], 1);
    assert_eq!(r["ComponentCnt"], 3);
    assert_eq!(r["OsName"], "alpine:3.19");
    assert_eq!(r["IsSuggest"], 1);
    assert_eq!(r["RecommendedFix"], true);
    assert_eq!(r["IsLatestImage"], false);
    assert_eq!(list["List"][1]["IsLatestImage"], true);
    assert_eq!(r["IsAuthorized"], 1);
    assert_eq!(r["HostCnt"], 0);
    assert_eq!(r["ImageName"], "shop/web:1.0");
    assert_eq!(r["CreateTime"], "2023-11-14T22:13:20Z");
    assert!(r["ScanTime"].as_str().unwrap().len() == 19);
    assert_eq!(list["List"][1]["ScanStatus"], "NOT_SCAN");
    assert_eq!(list["List"][1]["VulCnt"], 0);
    // Filters: AND of filters, OR of values.
    let f = |filters: Value| json!({"Filters": filters});
    let n = |v: Value| v["TotalCount"].as_u64().unwrap();
    assert_eq!(
        n(s.ok(
            &a,
            "DescribeAssetImageList",
            f(json!([{"Name": "SecurityRisk", "Values": ["CriticalLevelVul"]}]))
        )
        .await),
        1
    );
    assert_eq!(
        n(s.ok(
            &a,
            "DescribeAssetImageList",
            f(json!([{"Name": "ScanStatus", "Values": ["notScan", "scanErr"]}]))
        )
        .await),
        1
    );
    assert_eq!(
        n(s.ok(
            &a,
            "DescribeAssetImageList",
            f(json!([{"Name": "ImageName", "Values": ["SHOP/WEB"]}]))
        )
        .await),
        2
    );
    assert_eq!(
        n(s.ok(
            &a,
            "DescribeAssetImageList",
            f(json!([{"Name": "ImageName", "Values": ["shop/web"], "ExactMatch": true}]))
        )
        .await),
        0
    );
    assert_eq!(
        n(s.ok(&a, "DescribeAssetImageList", f(json!([
            {"Name": "ImageName", "Values": ["web"]}, {"Name": "ScanStatus", "Values": ["scanned"]}]))).await),
        1
    );
    // The same filter through v1 flattened parameters.
    let v1 = s
        .v1(
            &a,
            &[
                ("Action", "DescribeAssetImageList"),
                ("Filters.0.Name", "SecurityRisk"),
                ("Filters.0.Values.0", "VirusCnt"),
                ("Filters.0.ExactMatch", "false"),
                ("Limit", "5"),
            ],
        )
        .await;
    assert_eq!(v1["TotalCount"], 1, "{v1}");

    let d = s
        .ok(&a, "DescribeAssetImageDetail", json!({"ImageID": id(1)}))
        .await;
    assert_keys(&d, IMAGE_DETAIL);
    assert_eq!(d["ScanStatus"], "SCANNED");
    assert_eq!(d["Status"], 2);
    assert_eq!(d["SensitiveInfoCnt"], 1);
    assert_eq!(d["ImageDigest"], id(1));
    assert_eq!(d["Architecture"], "amd64");
    assert_eq!(d["ScanVulProgress"], 100);
    assert_eq!(d["RepoDigests"], json!([]));

    // Vulnerabilities.
    let v = s
        .ok(&a, "DescribeAssetImageVulList", json!({"ImageID": id(1)}))
        .await;
    assert_eq!(v["TotalCount"], 3);
    assert_eq!(names(&v["List"], "Level"), vec!["4", "2", "1"]);
    let top = &v["List"][0];
    assert_keys(top, IMAGES_VUL);
    assert_eq!(top["CVEID"], "CVE-2024-0001");
    assert_eq!(top["Component"], "openssl");
    assert_eq!(top["Version"], "3.0.1-r0");
    assert_eq!(top["FixedVersions"], "3.0.2-r0");
    assert_eq!(top["IsSuggest"], true);
    assert_eq!(top["CVSSV3Score"], 9.1);
    assert_eq!(top["Tag"], json!(["CanBeFixed"]));
    assert_eq!(top["CategoryType"], "SYSTEM");
    assert_eq!(top["SubmitTime"], "2024-02-01T00:00:00Z");
    let v = s
        .ok(&a, "DescribeAssetImageVulList",
            json!({"ImageID": id(1), "Filters": [{"Name": "Level", "Values": ["HIGH", "1"]}], "By": "Level", "Order": "+"}))
        .await;
    assert_eq!(v["TotalCount"], 1);
    let v = s
        .ok(
            &a,
            "DescribeAssetImageVulList",
            json!({"ImageID": id(1), "Limit": 1, "Offset": 1}),
        )
        .await;
    assert_eq!(v["TotalCount"], 3);
    assert_eq!(names(&v["List"], "CVEID"), vec!["CVE-2024-0003"]);

    // Viruses, risks, components.
    let v = s
        .ok(&a, "DescribeAssetImageVirusList", json!({"ImageID": id(1)}))
        .await;
    assert_eq!(v["TotalCount"], 1);
    assert_eq!(v["VirusScanStatus"], 2);
    let row = &v["List"][0];
    assert_keys(row, IMAGE_VIRUS_INFO);
    assert_eq!(row["Path"], "/var/www/shell.php");
    assert_eq!(row["FileName"], "shell.php");
    assert_eq!(row["RiskLevel"], 4);
    assert_eq!(row["VirusName"], "Php.Webshell.Generic");
    assert_eq!(row["Md5"], "0123456789abcdef0123456789abcdef");
    assert_eq!(row["Size"], 77);
    assert_eq!(row["Solution"], "Remove the file and rebuild.");
    let v = s
        .ok(&a, "DescribeAssetImageVirusList", json!({"ImageID": id(2)}))
        .await;
    assert_eq!(
        (v["TotalCount"].as_u64(), v["VirusScanStatus"].as_u64()),
        (Some(0), Some(0))
    );
    let r = s
        .ok(&a, "DescribeAssetImageRiskList", json!({"ImageID": id(1)}))
        .await;
    assert_eq!(r["TotalCount"], 1);
    assert_eq!(
        r["List"][0],
        json!({"Behavior": 3, "Type": 1, "Level": 3, "Desc": "An AWS access key.",
                                      "InstructionContent": "/app/.env:2: AKIA************"})
    );
    let c = s
        .ok(&a, "DescribeImageComponentList", json!({"ImageID": id(1)}))
        .await;
    assert_eq!(c["TotalCount"], 3, "the os entry is not a component");
    assert_eq!(names(&c["List"], "Name"), vec!["openssl", "musl", "zlib"]);
    assert_keys(&c["List"][0], IMAGE_COMPONENT);
    assert_eq!(c["List"][0]["VulCount"], 2);
    assert_eq!(c["List"][0]["Type"], "SYSTEM_COMPONENT");
    assert_eq!(c["List"][0]["ImageID"], id(1));
    let c = s
        .ok(
            &a,
            "DescribeImageComponentList",
            json!({"ImageID": id(1), "Filters": [{"Name": "HasVul", "Values": ["false"]}]}),
        )
        .await;
    assert_eq!(names(&c["List"], "Name"), vec!["zlib"]);
    let c = s
        .ok(&a, "DescribeImageComponentList",
            json!({"ImageID": id(1), "Filters": [{"Name": "VulLevel", "Values": ["2"]}, {"Name": "ComponentName", "Values": ["ALL"]}]}))
        .await;
    assert_eq!(names(&c["List"], "Name"), vec!["musl"]);

    // A false positive leaves every count and list.
    let crit = s
        .store
        .findings_seen_by(a.account, t.id)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.finding.cve.first().map(String::as_str) == Some("CVE-2024-0001"))
        .unwrap();
    s.store
        .set_finding_status(a.account, &[crit.id], FindingStatus::FalsePositive)
        .await
        .unwrap();
    let d = s
        .ok(
            &a,
            "DescribeAssetImageList",
            json!({"Filters": [{"Name": "ImageID", "Values": [id(1)], "ExactMatch": true}]}),
        )
        .await;
    assert_eq!(d["List"][0]["VulCnt"], 2);
    assert_eq!(d["List"][0]["CriticalLevelVulCnt"], 0);
    assert_eq!(d["List"][0]["RecommendedFix"], false);
    assert_eq!(
        s.ok(&a, "DescribeAssetImageVulList", json!({"ImageID": id(1)}))
            .await["TotalCount"],
        2
    );

    // A new scan stopped by its TaskID: the task ends cancelled, the image keeps its results.
    let t2 = s
        .ok(&a, "CreateAssetImageScanTask",
            json!({"Filters": [{"Name": "ImageName", "Values": ["shop/web"]}], "ExcludeImageIds": [id(2)],
                   "ScanVul": true, "IsOneClickScanningTask": true}))
        .await["TaskID"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(t2, task_id);
    assert_eq!(
        s.ok(&a, "DescribeAssetImageScanStatus", json!({"TaskID": t2}))
            .await["ImageTotal"],
        1
    );
    let running = s.ok(&a, "DescribeAssetImageScanTask", json!({})).await;
    assert_eq!(
        (running["TaskID"].as_str(), running["Status"].as_str()),
        (Some(t2.as_str()), Some("READY"))
    );
    assert_eq!(running["SubStatus"], "");
    let stop = s
        .ok(&a, "ModifyAssetImageScanStop", json!({"TaskID": t2}))
        .await;
    assert_eq!(stop["Status"], "SUCCESS");
    let task = s.ok(&a, "DescribeAssetImageScanTask", json!({})).await;
    assert_eq!(task["TaskID"], t2);
    assert_eq!(task["Status"], "END");
    assert_eq!(task["SubStatus"], "Cancel");
    let status = s
        .ok(&a, "DescribeAssetImageScanStatus", json!({"TaskID": t2}))
        .await;
    assert_eq!(
        (status["Status"].as_str(), status["Schedule"].as_u64()),
        (Some("END"), Some(100))
    );
    let d = s
        .ok(&a, "DescribeAssetImageDetail", json!({"ImageID": id(1)}))
        .await;
    assert_eq!(d["ScanStatus"], "SCANNED");
    assert_eq!(d["VulCnt"], 2);

    // Stop by image, and a scan that fails.
    s.ok(
        &a,
        "CreateAssetImageScanTask",
        json!({"ScanScope": 1, "Images": [id(2)], "ScanRisk": true}),
    )
    .await;
    run_next(&s.store, TaskState::Failed, |_| (vec![], vec![])).await;
    let d = s
        .ok(&a, "DescribeAssetImageDetail", json!({"ImageID": id(2)}))
        .await;
    assert_eq!(d["ScanStatus"], "SCAN_ERR");
    assert_eq!(d["ScanError"], "cannot read layer 2");
    assert_eq!(d["ScanRiskError"], "cannot read layer 2");
    assert_eq!(
        d["ScanVulError"], "",
        "the vulnerability scanner did not run"
    );
    assert!(!d["Reason"].as_str().unwrap().is_empty());
    let task = s.ok(&a, "DescribeAssetImageScanStatus", json!({})).await;
    assert_eq!(task["Status"], "END");
    s.ok(
        &a,
        "CreateAssetImageScanTask",
        json!({"All": true, "ScanVul": true}),
    )
    .await;
    let stop = s
        .ok(&a, "ModifyAssetImageScanStop",
            json!({"Filters": [{"Name": "ImageName", "Values": ["web"]}], "ExcludeImageIds": format!("[\"{}\"]", id(1))}))
        .await;
    assert_eq!(stop["Status"], "SUCCESS");
    let list = s
        .ok(
            &a,
            "DescribeAssetImageList",
            json!({"By": "CreateTime", "Order": "asc"}),
        )
        .await;
    assert_eq!(
        list["List"][0]["ScanStatus"], "SCANNING",
        "excluded from the stop"
    );
    assert_eq!(
        list["List"][1]["ScanStatus"], "SCAN_ERR",
        "stopped: back to what it was"
    );
    s.ok(&a, "ModifyAssetImageScanStop", json!({"Images": [id(1)]}))
        .await;
    let list = s.ok(&a, "DescribeAssetImageList", json!({})).await;
    assert!(names(&list["List"], "ScanStatus")
        .iter()
        .all(|x| x != "SCANNING"));

    // Recommended scan (ScanScope 2): the image with high or critical vulnerabilities... none
    // any more (the critical one is a false positive), so nothing to scan.
    assert_eq!(
        s.err(
            &a,
            "CreateAssetImageScanTask",
            json!({"ScanScope": 2, "ScanVul": true})
        )
        .await,
        "ResourceNotFound"
    );
    // Audit trail.
    let n = {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&s.db_url).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'tcss.CreateAssetImageScanTask'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n
    };
    assert_eq!(n, 4);
}

#[tokio::test]
async fn accounts_never_see_each_others_images_or_results() {
    let s = start(&[]).await;
    let a = s.account("a").await;
    let b = s.account("b").await;
    import(&s, a.account, 1, "a/app:1").await;
    import(&s, b.account, 1, "b/app:1").await;
    import(&s, a.account, 2, "a/only:1").await;
    let ta = s
        .ok(
            &a,
            "CreateAssetImageScanTask",
            json!({"Images": [id(1)], "ScanVul": true}),
        )
        .await["TaskID"]
        .as_str()
        .unwrap()
        .to_string();
    let image1 = id(1);
    run_next(&s.store, TaskState::Succeeded, |t| {
        assert_eq!(t.account_id, a.account);
        (
            vec![vuln(
                &image1,
                "CVE-2024-0001",
                Severity::High,
                None,
                "openssl",
            )],
            vec![component("openssl", "3.0.1-r0", "apk")],
        )
    })
    .await;
    // B has the same image id imported, but none of A's scans or results.
    let lb = s.ok(&b, "DescribeAssetImageList", json!({})).await;
    assert_eq!(lb["TotalCount"], 1);
    assert_eq!(lb["List"][0]["ImageName"], "b/app:1");
    assert_eq!(lb["List"][0]["ScanStatus"], "NOT_SCAN");
    assert_eq!(lb["List"][0]["VulCnt"], 0);
    assert_eq!(
        s.ok(&b, "DescribeAssetImageVulList", json!({"ImageID": id(1)}))
            .await["TotalCount"],
        0
    );
    assert_eq!(
        s.ok(&b, "DescribeImageComponentList", json!({"ImageID": id(1)}))
            .await["TotalCount"],
        0
    );
    assert_eq!(
        s.err(&b, "DescribeAssetImageDetail", json!({"ImageID": id(2)}))
            .await,
        "ResourceNotFound"
    );
    assert_eq!(
        s.err(&b, "DescribeAssetImageScanStatus", json!({"TaskID": ta}))
            .await,
        "ResourceNotFound"
    );
    assert_eq!(
        s.err(&b, "ModifyAssetImageScanStop", json!({"TaskID": ta}))
            .await,
        "ResourceNotFound"
    );
    assert_eq!(
        s.err(&b, "DescribeAssetImageScanTask", json!({})).await,
        "ResourceNotFound"
    );
    assert_eq!(
        s.err(
            &b,
            "CreateAssetImageScanTask",
            json!({"Images": [id(2)], "ScanVul": true})
        )
        .await,
        "ResourceNotFound"
    );
    // A still sees its results.
    assert_eq!(
        s.ok(&a, "DescribeAssetImageVulList", json!({"ImageID": id(1)}))
            .await["TotalCount"],
        1
    );
}

#[tokio::test]
async fn validation_uses_the_clouds_codes() {
    let s = start(&[]).await;
    let a = s.account("a").await;
    import(&s, a.account, 1, "app:1").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("DescribeAssetImageDetail", json!({}), "MissingParameter"),
        (
            "DescribeAssetImageDetail",
            json!({"ImageID": id(9)}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageList",
            json!({"Bogus": 1}),
            "UnknownParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"Limit": 101}),
            "InvalidParameterValue",
        ),
        (
            "DescribeAssetImageList",
            json!({"Limit": "10"}),
            "InvalidParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"Offset": -1}),
            "InvalidParameterValue",
        ),
        (
            "DescribeAssetImageList",
            json!({"Filters": [{"Name": "Nope", "Values": ["x"]}]}),
            "InvalidParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"Filters": [{"Name": "ScanStatus", "Values": ["sleeping"]}]}),
            "InvalidParameterValue",
        ),
        (
            "DescribeAssetImageList",
            json!({"Filters": [{"Values": ["x"]}]}),
            "MissingParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"Filters": [{"Name": "ImageName", "Values": ["x"], "Fuzzy": true}]}),
            "UnknownParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"By": "Nope"}),
            "InvalidParameter",
        ),
        (
            "DescribeAssetImageList",
            json!({"Order": "up"}),
            "InvalidParameter",
        ),
        (
            "DescribeAssetImageVulList",
            json!({"ImageID": id(1), "Limit": 1000}),
            "InvalidParameterValue",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"All": true}),
            "InvalidParameter",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "ScanScope": 4}),
            "InvalidParameterValue",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "ScanScope": 1}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "ScanScope": 3}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "ScanScope": 3, "ClusterIDs": ["cls-1"]}),
            "UnsupportedOperation",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "Images": [id(7)]}),
            "ResourceNotFound",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "ContainerRunning": true}),
            "ResourceNotFound",
        ),
        (
            "CreateAssetImageScanTask",
            json!({"ScanVul": true, "Timeout": 10_000_000}),
            "InvalidParameterValue",
        ),
        (
            "DescribeAssetImageScanStatus",
            json!({"TaskID": "999"}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageScanStatus",
            json!({"TaskID": "abc"}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageScanStatus",
            json!({}),
            "ResourceNotFound",
        ),
        (
            "ModifyAssetImageScanStop",
            json!({}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "ModifyAssetImageScanStop",
            json!({"Filters": [{"Name": "ImageName", "Values": ["app"]}], "ExcludeImageIds": "[1"}),
            "InvalidParameter.InvalidFormat",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true}),
            "MissingParameter",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true, "ScanTime": "7pm", "ScanPeriod": 1, "ScanVirus": true, "ScanRisk": true, "ScanVul": true}),
            "InvalidParameter.InvalidFormat",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true, "ScanTime": "01:00", "ScanPeriod": 0, "ScanVirus": true, "ScanRisk": true, "ScanVul": true}),
            "InvalidParameterValue",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true, "ScanTime": "01:00", "ScanPeriod": 1, "ScanVirus": false, "ScanRisk": false, "ScanVul": false}),
            "InvalidParameter",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true, "ScanTime": "01:00", "ScanPeriod": 1, "ScanVirus": true, "ScanRisk": true, "ScanVul": true, "ScanScope": 1}),
            "MissingParameter",
        ),
        (
            "CreateAssetImageScanSetting",
            json!({"Enable": true, "ScanTime": "01:00", "ScanPeriod": 1, "ScanVirus": true, "ScanRisk": true, "ScanVul": true, "Images": ["x"]}),
            "InvalidParameter.InvalidFormat",
        ),
        ("UpdateAssetImageScanSetting", json!({}), "InvalidAction"),
        (
            "DescribeAssetImageRegistryScanStatusOneKey",
            json!({}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageRegistryVulList",
            json!({}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "DescribeAssetImageRegistryVulList",
            json!({"Id": 77}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageRegistryRiskInfoList",
            json!({"ImageInfo": {"InstanceName": "r"}}),
            "MissingParameter",
        ),
        (
            "CreateAssetImageRegistryScanTask",
            json!({}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "CreateAssetImageRegistryScanTask",
            json!({"Id": [1], "ScanType": ["POC"]}),
            "InvalidParameterValue",
        ),
        (
            "CreateAssetImageRegistryScanTask",
            json!({"Id": [1]}),
            "ResourceNotFound",
        ),
        (
            "SyncAssetImageRegistryAsset",
            json!({}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "SyncAssetImageRegistryAsset",
            json!({"RegistryIds": [5]}),
            "ResourceNotFound",
        ),
        (
            "RemoveAssetImageRegistryRegistryDetail",
            json!({}),
            "MissingParameter",
        ),
        (
            "RemoveAssetImageRegistryRegistryDetail",
            json!({"RegistryId": 5}),
            "ResourceNotFound",
        ),
        (
            "AddAssetImageRegistryRegistryDetail",
            json!({"Name": "r", "Username": "u", "Password": "p", "Url": "https://h.example", "RegistryType": "gitlab", "NetType": "public"}),
            "InvalidParameterValue",
        ),
        (
            "AddAssetImageRegistryRegistryDetail",
            json!({"Name": "r", "Username": "u", "Password": "p", "Url": "ftp://h.example", "RegistryType": "harbor", "NetType": "public"}),
            "InvalidParameterValue",
        ),
        (
            "AddAssetImageRegistryRegistryDetail",
            json!({"Name": "r", "Username": "u", "Password": "p", "Url": "https://h.example", "RegistryType": "harbor", "NetType": "public", "WebhookUrl": "https://hook"}),
            "UnsupportedOperation",
        ),
        (
            "UpdateAssetImageRegistryRegistryDetail",
            json!({"Name": "r", "Username": "u", "Password": "p", "Url": "https://h.example", "RegistryType": "harbor", "NetType": "public"}),
            "InvalidParameter.MissingParameter",
        ),
        (
            "UpdateAssetImageRegistryRegistryDetail",
            json!({"Name": "r", "Username": "u", "Password": "p", "Url": "https://h.example", "RegistryType": "harbor", "NetType": "public", "RegistryId": 9}),
            "ResourceNotFound",
        ),
        (
            "DescribeAssetImageRegistryRegistryList",
            json!({"Limit": 200}),
            "InvalidParameterValue",
        ),
        (
            "DescribeAssetImageRegistryList",
            json!({"By": "Bogus"}),
            "InvalidParameter",
        ),
    ];
    for (action, body, want) in cases {
        let got = s.err(&a, action, body.clone()).await;
        assert_eq!(got, want, "{action} {body}");
    }
    // Nothing was saved by the refused requests.
    assert_eq!(
        s.ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
            .await["TotalCount"],
        0
    );
    assert_eq!(
        s.store
            .scan_groups::<Value>(a.account, "tcss", None, 10)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn scan_setting_schedules_runs_that_the_preflight_derives() {
    use vigil_worker::Preflight;
    let s = start(&[]).await;
    let a = s.account("a").await;
    let before = s.ok(&a, "DescribeAssetImageScanSetting", json!({})).await;
    assert_eq!(before["Enable"], false);
    assert_eq!(before["ScanPeriod"], 0);
    assert_eq!(before["Images"], json!([]));
    assert_eq!(before["ScanResult"], "");
    let i1 = import(&s, a.account, 1, "app:1").await;
    let i2 = import(&s, a.account, 2, "app:2").await;
    import(&s, a.account, 3, "app:3").await;
    s.ok(
        &a,
        "CreateAssetImageScanSetting",
        json!({"Enable": true, "ScanTime": "02:30", "ScanPeriod": 3, "ScanVirus": false,
               "ScanRisk": true, "ScanVul": true, "ScanEndTime": "05:00", "ExcludeImages": [id(3)]}),
    )
    .await;
    let d = s.ok(&a, "DescribeAssetImageScanSetting", json!({})).await;
    assert_eq!(
        (
            d["Enable"].as_bool(),
            d["ScanTime"].as_str(),
            d["ScanPeriod"].as_u64(),
            d["ScanEndTime"].as_str()
        ),
        (Some(true), Some("02:30"), Some(3), Some("05:00"))
    );
    assert_eq!(
        (
            d["ScanVul"].as_bool(),
            d["ScanVirus"].as_bool(),
            d["ScanRisk"].as_bool()
        ),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(d["ExcludeImages"], json!([id(3)]));
    assert_eq!(d["ScanScope"], 0);
    // Its schedule: every 3 days at 02:30 UTC, with the 02:30-05:00 window.
    let raw = s
        .store
        .setting(a.account, "tcss", "image_scan_setting")
        .await
        .unwrap()
        .unwrap()
        .value;
    let sched_id = raw["ScheduleId"].as_i64().unwrap();
    let rec = s.store.schedule(a.account, sched_id).await.unwrap();
    assert!(rec.enabled);
    assert!(matches!(
        rec.schedule.trigger,
        vigil_core::Trigger::Interval {
            every_secs: 259_200,
            ..
        }
    ));
    assert!(rec.schedule.window.is_some());
    let first = chrono::DateTime::from_timestamp_millis(rec.next_fire_at.unwrap()).unwrap();
    assert_eq!(first.format("%H:%M").to_string(), "02:30");
    assert_eq!(rec.task_spec.kind, "image");

    // The schedule fires (as the scheduler would): the preflight turns the run into a scan.
    let fired = s
        .store
        .enqueue(&NewTask {
            account_id: a.account,
            spec: rec.task_spec.clone(),
            run_after: 0,
            schedule_id: Some(sched_id),
        })
        .await
        .unwrap();
    let lease = s
        .store
        .claim("w", &["image".to_string()], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lease.task.id, fired);
    let pre = vigil_api::products::tcss::TcssPreflight::new(s.state.services.clone());
    let prepared = pre.prepare(&lease.task).await.unwrap().unwrap();
    assert_eq!(prepared.target["image_id"], id(1));
    assert_eq!(prepared.options["scanners"], json!(["vuln", "risk"]));
    assert!(prepared.options["schedule"]["window"].is_object());
    let scans = s
        .store
        .scan_groups::<Value>(a.account, "tcss", None, 10)
        .await
        .unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].origin.as_str(), "schedule");
    let items = s
        .store
        .group_items::<Value>(a.account, scans[0].id)
        .await
        .unwrap();
    assert_eq!(
        items.iter().map(|i| i.subject_row).collect::<Vec<_>>(),
        vec![Some(i1), Some(i2)],
        "image 3 is excluded"
    );
    assert_eq!(items[0].task.id, fired);
    let d = s.ok(&a, "DescribeAssetImageScanSetting", json!({})).await;
    assert_eq!(d["ScanResult"], "Success");
    assert_eq!(d["LastScanTime"].as_str().unwrap().len(), 19);
    // A retry of the same run runs as it is.
    let again = s.store.task(a.account, fired).await.unwrap();
    assert!(pre.prepare(&again).await.unwrap().is_none());
    assert_eq!(
        s.store
            .scan_groups::<Value>(a.account, "tcss", None, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Another firing while those images are still queued: nothing left to scan.
    let fired2 = s
        .store
        .enqueue(&NewTask {
            account_id: a.account,
            spec: rec.task_spec.clone(),
            run_after: 0,
            schedule_id: Some(sched_id),
        })
        .await
        .unwrap();
    let t2 = s.store.task(a.account, fired2).await.unwrap();
    let why = pre.prepare(&t2).await.unwrap_err();
    assert!(why.contains("ImageNeedIsEmpty"), "{why}");
    assert_eq!(
        s.ok(&a, "DescribeAssetImageScanSetting", json!({})).await["ScanResult"],
        "ImageNeedIsEmpty"
    );

    // Replacing the setting (off): the old schedule stops, and a run it fired is refused.
    s.ok(
        &a,
        "CreateAssetImageScanSetting",
        json!({"Enable": false, "ScanTime": "02:30", "ScanPeriod": 3, "ScanVirus": false,
               "ScanRisk": true, "ScanVul": true}),
    )
    .await;
    assert!(!s.store.schedule(a.account, sched_id).await.unwrap().enabled);
    assert_eq!(
        s.ok(&a, "DescribeAssetImageScanSetting", json!({})).await["Enable"],
        false
    );
    let fired3 = s
        .store
        .enqueue(&NewTask {
            account_id: a.account,
            spec: rec.task_spec.clone(),
            run_after: 0,
            schedule_id: Some(sched_id),
        })
        .await
        .unwrap();
    let t3 = s.store.task(a.account, fired3).await.unwrap();
    assert!(pre.prepare(&t3).await.unwrap_err().contains("turned off"));
    // Tasks that are not scheduled runs are left alone.
    assert!(pre.prepare(&items[1].task).await.unwrap().is_none());
}

#[tokio::test]
async fn registries_are_sealed_scoped_and_managed() {
    // No allow rules: an internal registry address is refused.
    let open = start(&[]).await;
    let a = open.account("a").await;
    let reg = |url: &str, name: &str| {
        json!({"Name": name, "Username": "admin", "Password": "Sup3r-Secret-Pw", "Url": url,
               "RegistryType": "harbor", "NetType": "public", "RegistryVersion": "V2",
               "RegistryRegion": "default", "ConnDetectConfig": [{"Quuid": "backend", "Uuid": "backend"}]})
    };
    assert_eq!(
        open.err(
            &a,
            "AddAssetImageRegistryRegistryDetail",
            reg("http://127.0.0.1:9", "r")
        )
        .await,
        "InvalidParameterValue"
    );
    // Allow rules naming only 127.0.0.2: 127.0.0.1 is out of scope, 127.0.0.2 is fine.
    let s = start(&["127.0.0.2/32"]).await;
    let a = s.account("a").await;
    let b = s.account("b").await;
    assert_eq!(
        s.err(
            &a,
            "AddAssetImageRegistryRegistryDetail",
            reg("http://127.0.0.1:9", "r")
        )
        .await,
        "InvalidParameterValue"
    );
    let added = s
        .ok(
            &a,
            "AddAssetImageRegistryRegistryDetail",
            reg("http://127.0.0.2:9", "harbor-1"),
        )
        .await;
    let rid = added["RegistryId"].as_i64().unwrap();
    assert_eq!(added["NameRepeatErr"], "");
    let health = added["HealthCheckErr"].as_str().unwrap();
    assert!(
        health.contains("127.0.0.2"),
        "nothing listens there: {health}"
    );
    let dup = s
        .ok(
            &a,
            "AddAssetImageRegistryRegistryDetail",
            reg("http://127.0.0.2:9", "harbor-1"),
        )
        .await;
    assert!(dup["NameRepeatErr"].as_str().unwrap().contains("harbor-1"));
    assert_eq!(dup["RegistryId"], Value::Null);
    // Another account may use the same name.
    s.ok(
        &b,
        "AddAssetImageRegistryRegistryDetail",
        reg("http://127.0.0.2:9", "harbor-1"),
    )
    .await;

    let list = s
        .ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
        .await;
    assert_eq!(list["TotalCount"], 1);
    let row = &list["List"][0];
    let text = row.to_string();
    assert!(
        !text.contains("Sup3r-Secret-Pw")
            && !text.contains("Password")
            && !text.contains("Username")
    );
    assert_eq!(row["RegistryId"], rid);
    assert_eq!(row["Name"], "harbor-1");
    assert_eq!(row["Url"], "http://127.0.0.2:9");
    assert_eq!(row["ConnDetectType"], "backend");
    assert_eq!(row["ConnDetectHostCount"], 1);
    assert_eq!(
        row["ConnDetectDetail"][0]["ConnDetectStatus"],
        "status_failed"
    );
    assert_eq!(row["ConnectMsg"], health);
    assert_eq!(row["SyncStatus"], "", "no sync without connectivity");
    // The password is sealed at rest.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.db_url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT password_enc FROM image_registries")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (enc,) in rows {
        assert!(enc.starts_with("x1:") && !enc.contains("Sup3r"));
    }
    assert_eq!(
        s.store.registry_password(a.account, rid).await.unwrap(),
        "Sup3r-Secret-Pw"
    );

    // Update: a full replacement by RegistryId; B cannot touch A's registry.
    let mut up = reg("http://127.0.0.2:9", "harbor-renamed");
    up["RegistryId"] = json!(rid);
    up["Password"] = json!("n3w-pw");
    up["ConnDetectConfig"] = json!([{"Quuid": "5a54-host", "Uuid": "5a54-host"}]);
    assert_eq!(
        s.err(&b, "UpdateAssetImageRegistryRegistryDetail", up.clone())
            .await,
        "ResourceNotFound"
    );
    let updated = s.ok(&a, "UpdateAssetImageRegistryRegistryDetail", up).await;
    assert_eq!(updated["RegistryId"], rid);
    assert_eq!(
        s.store.registry_password(a.account, rid).await.unwrap(),
        "n3w-pw"
    );
    let row = s
        .ok(
            &a,
            "DescribeAssetImageRegistryRegistryList",
            json!({"Filters": [{"Name": "IsAuthorized", "Values": ["1"]}]}),
        )
        .await["List"][0]
        .clone();
    assert_eq!(row["Name"], "harbor-renamed");
    assert_eq!(row["ConnDetectType"], "agent");
    assert_eq!(
        row["ConnDetectDetail"][0]["ConnDetectMessage"],
        "AgentOffline"
    );
    assert_eq!(
        s.ok(
            &a,
            "DescribeAssetImageRegistryRegistryList",
            json!({"Filters": [{"Name": "IsAuthorized", "Values": ["0"]}]})
        )
        .await["TotalCount"],
        0
    );
    // Sync of an unreachable registry records the failure, not an API error.
    s.ok(
        &a,
        "SyncAssetImageRegistryAsset",
        json!({"RegistryIds": [rid]}),
    )
    .await;
    let row = s
        .ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
        .await["List"][0]
        .clone();
    assert_eq!(row["SyncStatus"], "failed");
    assert!(!row["SyncFailReason"].as_str().unwrap().is_empty());
    assert!(!row["SyncSolution"].as_str().unwrap().is_empty());

    // Remove.
    assert_eq!(
        s.err(
            &b,
            "RemoveAssetImageRegistryRegistryDetail",
            json!({"RegistryId": rid})
        )
        .await,
        "ResourceNotFound"
    );
    s.ok(
        &a,
        "RemoveAssetImageRegistryRegistryDetail",
        json!({"RegistryId": rid}),
    )
    .await;
    assert_eq!(
        s.ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
            .await["TotalCount"],
        0
    );
    assert_eq!(
        s.ok(&b, "DescribeAssetImageRegistryRegistryList", json!({}))
            .await["TotalCount"],
        1
    );
}

// ------------------------------------------------------------------------------------------
// A real registry on loopback.

/// testkit's registry with Basic auth for `user`.
fn start_registry(user: &str, pass: &str) -> Option<vigil_testkit::registry::Registry> {
    let hash = bcrypt::hash_with_result(pass, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    vigil_testkit::registry::Registry::start(Some(&format!("{user}:{hash}\n")))
}

fn config(created: &str, arch: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "created": created, "architecture": arch, "os": "linux", "author": "ops@example",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": "/bin/sh -c #(nop) ADD file:abc in /"}, {"created_by": "/bin/sh -c apk add openssl"}],
    }))
    .unwrap()
}

#[tokio::test]
async fn registry_sync_records_images_and_scans_new_ones() {
    use vigil_registry::testing::{push_image, push_index, IndexEntry};
    use vigil_registry::{Client, ClientConfig, Credentials, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST};
    let Some(registry) = start_registry("vigil", "pull-s3cret") else {
        return;
    };
    let host = format!("127.0.0.1:{}", registry.port);
    let mut cfg = ClientConfig::new(
        &host,
        Arc::new(ScopeGuard::new(ScopePolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap()],
            deny: vec![],
        })),
    );
    cfg.insecure_http = true;
    cfg.credentials = Some(Credentials::Basic {
        username: "vigil".into(),
        password: "pull-s3cret".into(),
    });
    let pusher = Client::new(cfg).unwrap();
    let v1 = push_image(
        &pusher,
        "lib/app",
        "1.0",
        config("2024-01-01T00:00:00Z", "amd64"),
        vec![b"layer-one".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let v2 = push_image(
        &pusher,
        "lib/app",
        "2.0",
        config("2024-06-01T00:00:00Z", "amd64"),
        vec![b"layer-two!".to_vec(), b"x".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let arm = push_image(
        &pusher,
        "tools",
        "arm",
        config("2024-02-01T00:00:00Z", "arm64"),
        vec![b"arm".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let amd = push_image(
        &pusher,
        "tools",
        "amd",
        config("2024-03-01T00:00:00Z", "amd64"),
        vec![b"amd".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let entry = |p: &vigil_registry::testing::Pushed, arch: &str| IndexEntry {
        digest: p.digest.clone(),
        size: p.size,
        media_type: MEDIA_OCI_MANIFEST.into(),
        os: "linux".into(),
        architecture: arch.into(),
        variant: None,
    };
    let index = push_index(
        &pusher,
        "tools",
        "latest",
        &[entry(&arm, "arm64"), entry(&amd, "amd64")],
        MEDIA_OCI_INDEX,
    )
    .await
    .unwrap();

    let s = start(&["127.0.0.0/8"]).await;
    let a = s.account("a").await;
    let base = json!({"Name": "local", "Username": "vigil", "Url": format!("http://{host}"),
                      "RegistryType": "harbor", "NetType": "public", "NeedScan": true});
    // Wrong password: saved, reported, not synced.
    let mut bad = base.clone();
    bad["Name"] = json!("wrong");
    bad["Password"] = json!("nope");
    let added = s.ok(&a, "AddAssetImageRegistryRegistryDetail", bad).await;
    assert!(
        added["HealthCheckErr"]
            .as_str()
            .unwrap()
            .contains("authentication failed"),
        "{added}"
    );
    let wrong = added["RegistryId"].as_i64().unwrap();
    let row = s
        .ok(
            &a,
            "DescribeAssetImageRegistryRegistryList",
            json!({"Filters": [{"Name": "Name", "Values": ["wrong"]}]}),
        )
        .await["List"][0]
        .clone();
    assert_eq!(
        row["ConnDetectDetail"][0]["ConnDetectStatus"],
        "status_auth_failed"
    );
    s.ok(
        &a,
        "RemoveAssetImageRegistryRegistryDetail",
        json!({"RegistryId": wrong}),
    )
    .await;

    let mut good = base.clone();
    good["Password"] = json!("pull-s3cret");
    let added = s
        .ok(&a, "AddAssetImageRegistryRegistryDetail", good.clone())
        .await;
    assert_eq!(added["HealthCheckErr"], "", "{added}");
    let rid = added["RegistryId"].as_i64().unwrap();
    let reg_row = s
        .ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
        .await["List"][0]
        .clone();
    assert_eq!(reg_row["SyncStatus"], "success", "{reg_row}");
    assert_eq!(
        reg_row["ConnDetectDetail"][0]["ConnDetectStatus"],
        "status_connected"
    );
    assert_eq!(reg_row["LatestSyncTime"].as_str().unwrap().len(), 19);

    let list = s
        .ok(
            &a,
            "DescribeAssetImageRegistryList",
            json!({"By": "ImageTag", "Order": "asc"}),
        )
        .await;
    assert_eq!(list["TotalCount"], 5, "{list}");
    assert_eq!(
        names(&list["List"], "ImageTag"),
        vec!["1.0", "2.0", "amd", "arm", "latest"]
    );
    let app1 = &list["List"][0];
    let app2 = &list["List"][1];
    let tools_amd = &list["List"][2];
    let tools_arm = &list["List"][3];
    let tools = &list["List"][4];
    assert_keys(app2, IMAGE_REPO_INFO);
    assert_eq!(app2["ImageName"], "app");
    assert_eq!(app2["Namespace"], "lib");
    assert_eq!(app2["InstanceName"], "local");
    assert_eq!(app2["RegistryType"], "harbor");
    assert_eq!(app2["ImageRepoAddress"], format!("{host}/lib/app"));
    assert_eq!(app2["ImageDigest"], v2.digest.to_string());
    assert_eq!(app2["ImageId"], v2.config.clone().unwrap().to_string());
    assert_eq!(app2["ImageCreateTime"], "2024-06-01T00:00:00Z");
    let cfg_len = config("2024-06-01T00:00:00Z", "amd64").len() as u64;
    assert_eq!(app2["ImageSize"], cfg_len + 11);
    assert_eq!(app2["IsLatestImage"], true);
    assert_eq!(app1["IsLatestImage"], false);
    assert_eq!(app1["ImageId"], v1.config.clone().unwrap().to_string());
    assert_eq!(
        tools["ImageDigest"],
        index.digest.to_string(),
        "the tag's digest: the index"
    );
    assert_eq!(
        tools["ImageId"],
        amd.config.clone().unwrap().to_string(),
        "the linux/amd64 image"
    );
    assert_eq!(tools["Namespace"], "");
    assert_eq!(tools["ImageId"], tools_amd["ImageId"]);
    assert_eq!(
        tools_arm["ImageId"],
        arm.config.clone().unwrap().to_string()
    );
    // NeedScan with full sync: the newest new images of each repository are being scanned
    // (tools:amd and tools:latest are the same build).
    assert_eq!(
        names(&list["List"], "ScanStatus"),
        vec!["NOT_SCAN", "SCANNING", "SCANNING", "NOT_SCAN", "SCANNING"]
    );
    assert_eq!(
        names(&list["List"], "IsLatestImage"),
        vec!["false", "true", "true", "false", "true"]
    );
    let scans = s
        .store
        .scan_groups::<Value>(a.account, "tcss", Some("registry"), 10)
        .await
        .unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].origin.as_str(), "sync");
    assert_eq!(
        s.store
            .group_items::<Value>(a.account, scans[0].id)
            .await
            .unwrap()
            .len(),
        3
    );
    // The task carries the registry with its password sealed, never in clear.
    let app2_id = app2["Id"].as_i64().unwrap();
    let t = run_next(&s.store, TaskState::Succeeded, |t| {
        let r = &t.target["registry"];
        assert_eq!(r["url"], format!("http://{host}"));
        assert_eq!(r["username"], "vigil");
        assert_eq!(r["insecure"], true);
        assert!(!t.target.to_string().contains("pull-s3cret"));
        let plain = s
            .store
            .secrets()
            .open(
                r["purpose"].as_str().unwrap(),
                r["password_sealed"].as_str().unwrap(),
            )
            .unwrap();
        assert_eq!(plain, "pull-s3cret");
        assert!(t.target["image"]
            .as_str()
            .unwrap()
            .starts_with(&format!("registry:{host}/")));
        let image = t.target["image_id"].as_str().unwrap().to_string();
        (
            vec![
                vuln(
                    &image,
                    "CVE-2024-1000",
                    Severity::High,
                    Some("3.0.2-r0"),
                    "openssl",
                ),
                vuln(
                    &image,
                    "CVE-2024-1000",
                    Severity::High,
                    Some("1.2.5"),
                    "zlib",
                ),
                virus(&image),
                secret(&image),
            ],
            vec![component("openssl", "3.0.1-r0", "apk")],
        )
    })
    .await;
    assert!(
        t.target["image"].as_str().unwrap().ends_with("lib/app:2.0"),
        "the first queued"
    );
    let scanned_row = app2_id;
    let list = s
        .ok(
            &a,
            "DescribeAssetImageRegistryList",
            json!({"Filters": [{"Name": "ImageAssetIds", "Values": [scanned_row.to_string()]}]}),
        )
        .await;
    let r = &list["List"][0];
    assert_eq!(r["ScanStatus"], "SCANNED");
    assert_eq!(
        (
            r["CveStatus"].as_str(),
            r["VirusStatus"].as_str(),
            r["RiskStatus"].as_str()
        ),
        (Some("SCANNED"), Some("SCANNED"), Some("SCANNED"))
    );
    assert_eq!(r["VulCnt"], 2);
    assert_eq!(r["HighLevelVulCnt"], 2);
    assert_eq!(r["VirusCnt"], 1);
    assert_eq!(
        (r["SensitiveInfoCnt"].as_u64(), r["SentiveInfoCnt"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["HasNeedFixVul"], true);
    assert_eq!(r["Progress"], 100);
    // Registry result lists, by Id and by ImageInfo.
    let v = s
        .ok(
            &a,
            "DescribeAssetImageRegistryVulList",
            json!({"Id": scanned_row, "Filters": [{"Name": "Level", "Values": ["all"]}]}),
        )
        .await;
    assert_eq!(v["TotalCount"], 1, "one vulnerability, two components");
    let vr = &v["List"][0];
    assert_keys(vr, IMAGE_VUL);
    assert_eq!(vr["Level"], "3");
    assert_eq!(vr["CvssScore"], "9.1");
    assert_eq!(vr["IsSuggest"], "true");
    assert_eq!(vr["SubmitTime"], "2024-02-01 00:00:00");
    assert_eq!(vr["Components"].as_array().unwrap().len(), 2);
    assert_eq!(
        vr["LayerInfos"],
        json!([{"LayerId": "sha256:11", "LayerCmd": ""}])
    );
    let info = json!({"InstanceName": "local", "Namespace": "lib", "ImageName": "app", "ImageTag": "2.0", "Force": "true"});
    let v = s
        .ok(
            &a,
            "DescribeAssetImageRegistryVirusList",
            json!({"ImageInfo": info.clone()}),
        )
        .await;
    assert_eq!(v["TotalCount"], 1);
    assert_keys(&v["List"][0], IMAGE_VIRUS);
    assert_eq!(v["List"][0]["RiskLevel"], "4");
    assert_eq!(v["List"][0]["FileType"], "PHP");
    assert_eq!(v["List"][0]["FileMd5"], "0123456789abcdef0123456789abcdef");
    let r = s
        .ok(
            &a,
            "DescribeAssetImageRegistryRiskInfoList",
            json!({"Id": scanned_row, "By": "Level", "Order": "-"}),
        )
        .await;
    assert_eq!(r["List"][0]["Level"], "3");
    assert_eq!(r["List"][0]["Behavior"], 3);
    // The registry exports hold the same rows as those lists.
    for (action, params, rows, want) in [
        (
            "DescribeAssetImageRegistryVulListExport",
            json!({"Id": scanned_row, "ExportField": ["CVEID", "Level", "Components"]}),
            1,
            vec!["CVEID", "Level", "Components", "CVE-2024-1000", "3"],
        ),
        (
            "DescribeAssetImageRegistryVirusListExport",
            json!({"ImageInfo": info.clone()}),
            1,
            vec!["FileMd5", "PHP", "0123456789abcdef0123456789abcdef"],
        ),
        (
            "DescribeAssetImageRegistryRiskListExport",
            json!({"Id": scanned_row, "Filters": [{"Name": "Level", "Values": ["3"]}]}),
            1,
            vec!["InstructionContent", "3"],
        ),
        (
            "DescribeAssetImageRegistryListExport",
            json!({"Filters": [{"Name": "ImageAssetIds", "Values": [scanned_row.to_string()]}],
                   "ExportField": ["Id", "ImageTag", "ScanStatus"]}),
            1,
            vec!["Id", "ImageTag", "2.0", "SCANNED"],
        ),
        (
            "DescribeAssetImageRegistryListExport",
            json!({"Filters": [{"Name": "ImageTag", "Values": ["no-such-tag"]}]}),
            0,
            vec!["ImageDigest", "Reason"],
        ),
    ] {
        let e = s.ok(&a, action, params).await;
        assert!(
            e["JobId"].as_str().is_some_and(|j| !j.is_empty()),
            "{action}"
        );
        let (sheet, strings) = workbook(&s, e["DownloadUrl"].as_str().unwrap()).await;
        assert_eq!(
            sheet.matches("<row ").count(),
            rows + 1,
            "{action}: {sheet}"
        );
        for w in want {
            assert!(
                strings.iter().any(|x| x == w),
                "{action}: {w} in {strings:?}"
            );
        }
    }

    // A registry scan task: already scanning images are refused, Force "false" skips scanned.
    assert_eq!(
        s.err(&a, "CreateAssetImageRegistryScanTask", json!({"All": true}))
            .await,
        "FailedOperation.ErrAlreadyScanning"
    );
    let mut info_no_force = info.clone();
    info_no_force["Force"] = json!("false");
    let none = s
        .ok(
            &a,
            "CreateAssetImageRegistryScanTask",
            json!({"Images": [info_no_force]}),
        )
        .await;
    assert!(none.get("TaskID").is_none(), "scanned already: {none}");
    let task = s
        .ok(
            &a,
            "CreateAssetImageRegistryScanTask",
            json!({"Id": [app1["Id"]], "ScanType": ["CVE"], "Timeout": 900}),
        )
        .await;
    let tid = task["TaskID"].as_i64().unwrap();
    let items = s.store.group_items::<Value>(a.account, tid).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].task.options["scanners"], json!(["vuln"]));
    assert_eq!(items[0].task.options["timeout_secs"], 900);

    // Incremental sync adds only new tags; a full sync removes tags that are gone.
    push_image(
        &pusher,
        "lib/app",
        "3.0",
        config("2024-09-01T00:00:00Z", "amd64"),
        vec![b"three".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let out = vigil_api::products::tcss::sync_now(
        &s.state,
        a.account,
        rid,
        &vigil_api::products::tcss::SyncLimits {
            max_images: 2,
            deadline: Duration::from_secs(60),
        },
    )
    .await
    .unwrap();
    assert!(out.truncated);
    assert_eq!(out.removed, 0, "a cut-short listing removes nothing");
    let msg = s
        .ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
        .await["List"][0]["SyncMessage"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("stopped early"), "{msg}");
    s.ok(&a, "SyncAssetImageRegistryAsset", json!({"All": true}))
        .await;
    assert_eq!(
        s.ok(&a, "DescribeAssetImageRegistryList", json!({})).await["TotalCount"],
        6
    );
    // Drop tag 1.0 (delete its manifest) and sync fully.
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .delete(format!("http://{host}/v2/lib/app/manifests/{}", v1.digest))
        .basic_auth("vigil", Some("pull-s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    s.ok(
        &a,
        "SyncAssetImageRegistryAsset",
        json!({"RegistryIds": [rid]}),
    )
    .await;
    let list = s
        .ok(
            &a,
            "DescribeAssetImageRegistryList",
            json!({"OnlyShowLatest": true}),
        )
        .await;
    let mut latest = names(&list["List"], "ImageTag");
    latest.sort();
    assert_eq!(latest, vec!["3.0", "amd", "latest"], "{list}");
    let all = s
        .ok(&a, "DescribeAssetImageRegistryList", json!({"Limit": 100}))
        .await;
    assert!(
        !names(&all["List"], "ImageTag").contains(&"1.0".to_string()),
        "{all}"
    );
    // The stopped scan of the removed image ended.
    let items = s.store.group_items::<Value>(a.account, tid).await.unwrap();
    assert_eq!(items[0].task.state, TaskState::Stopped);

    // Incremental sync (SyncMode 1) adds new tags and keeps the ones that vanished.
    let mut incremental = good.clone();
    incremental["RegistryId"] = json!(rid);
    incremental["SyncMode"] = json!(1);
    incremental["NeedScan"] = json!(false);
    s.ok(&a, "UpdateAssetImageRegistryRegistryDetail", incremental)
        .await;
    push_image(
        &pusher,
        "lib/app",
        "4.0",
        config("2024-10-01T00:00:00Z", "amd64"),
        vec![b"four".to_vec()],
        MEDIA_OCI_MANIFEST,
    )
    .await
    .unwrap();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .delete(format!("http://{host}/v2/lib/app/manifests/{}", v2.digest))
        .basic_auth("vigil", Some("pull-s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    s.ok(
        &a,
        "SyncAssetImageRegistryAsset",
        json!({"RegistryIds": [rid]}),
    )
    .await;
    let all = s
        .ok(&a, "DescribeAssetImageRegistryList", json!({"Limit": 100}))
        .await;
    let tags = names(&all["List"], "ImageTag");
    assert!(
        tags.contains(&"4.0".to_string()) && tags.contains(&"2.0".to_string()),
        "{tags:?}"
    );
    let reg_row = s
        .ok(&a, "DescribeAssetImageRegistryRegistryList", json!({}))
        .await["List"][0]
        .clone();
    assert_eq!(reg_row["SyncMode"], 1);
    assert!(
        reg_row["SyncMessage"].as_str().unwrap().contains("1 new"),
        "{reg_row}"
    );

    // Removing the registry removes its images.
    s.ok(
        &a,
        "RemoveAssetImageRegistryRegistryDetail",
        json!({"RegistryId": rid}),
    )
    .await;
    assert_eq!(
        s.ok(&a, "DescribeAssetImageRegistryList", json!({})).await["TotalCount"],
        0
    );
}
