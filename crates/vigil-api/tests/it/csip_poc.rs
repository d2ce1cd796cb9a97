//! CSIP's scan item `poc` through the gateway, over the engine's test catalogue: how a task's
//! `TaskAdvanceCFG.VulRisk` becomes the poc engine's options (beside the network task, or
//! alone; a scheduled run's companion), the catalogue listed as vulnerability checks with
//! CSIP's `Filter`, and the vulnerability views, detail and triage over stored `poc-vuln`
//! findings.

use crate::support::{code, Server, Tc3};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use vigil_api::{app, ApiConfig, AppState};
use vigil_core::spec::poc::{PocEvidence, KIND};
use vigil_core::spec::EngineSpec;
use vigil_core::{Finding, Severity, TaskSpec};
use vigil_engine::{Dns, ScopeGuard, ScopePolicy};
use vigil_store::Store;

fn catalogue() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-engine-poc/tests/data/templates")
}

/// A gateway whose operator scope is loopback, with the test catalogue (or a directory with
/// none).
async fn gateway(templates: PathBuf) -> (Server, i64) {
    let db_url = vigil_testkit::sqlite_url("csip-poc");
    let store = Store::open(&db_url, vigil_testkit::secrets())
        .await
        .unwrap();
    let acct = store.create_account("t").await.unwrap();
    let key = store.create_key(&acct, "t").await.unwrap();
    let dns = Arc::new(Dns::new(Some("127.0.0.1:9".parse().unwrap())).unwrap());
    let scope = ScopeGuard::new(ScopePolicy {
        allow: vec!["127.0.0.0/8".parse().unwrap()],
        deny: vec![],
    })
    .with_dns(dns.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = ApiConfig {
        listen: Some(addr),
        ..ApiConfig::default()
    };
    let state =
        Arc::new(AppState::new(store.clone(), Arc::new(scope), dns, cfg).with_templates(templates));
    tokio::spawn(vigil_api::server::serve(
        listener,
        app(state.clone()),
        std::time::Duration::from_secs(5),
        std::future::pending(),
    ));
    let server = Server {
        base: format!("http://{addr}"),
        key,
        store,
        db_url,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        state,
    };
    (server, acct.id)
}

async fn csip(s: &Server, action: &'static str, body: Value) -> Value {
    let mut r = Tc3::new(action, body);
    r.service = "csip";
    r.version = "2022-11-21";
    let v = s.tc3(r).await;
    v["Response"].clone()
}

fn task(items: &[&str], vul_risk: Value, plan: i64) -> Value {
    let mut t = json!({
        "TaskName": "t", "ScanAssetType": 3, "ScanItem": items, "ScanPlanType": plan,
        "SelfDefiningAssets": ["http://127.0.0.2:8080/app", "127.0.0.3"], "TaskMode": 1,
        "TaskAdvanceCFG": {"VulRisk": vul_risk},
    });
    if plan == 0 {
        t["ScanPlanContent"] = json!("0 0 3 * * ? *");
    }
    t
}

fn poc_of(spec: &TaskSpec) -> (Vec<String>, Vec<String>, Vec<String>) {
    match spec.engine().unwrap() {
        EngineSpec::Poc(t, o) => (t.targets, o.ids, o.exclude_ids),
        other => panic!("not a poc task: {other:?}"),
    }
}

#[tokio::test]
async fn vul_risk_becomes_the_poc_task_beside_the_network_task() {
    let (s, account) = gateway(catalogue()).await;
    // Enabled entries: only those run; a disabled one is excluded.
    let vul =
        json!([{"RiskId": "t-path-word", "Enable": 1}, {"RiskId": "t-tcp-ping", "Enable": 0}]);
    let r = csip(
        &s,
        "CreateRiskCenterScanTask",
        task(&["port", "poc"], vul, 0),
    )
    .await;
    assert_eq!(r["Status"], 0, "{r}");
    let job = &s.store.list_jobs(account, "csip").await.unwrap()[0];
    assert_eq!(job.spec.kind, "net", "the network task leads");
    assert_eq!(job.definition["ScanItem"], json!(["port", "poc"]));
    let companions: Vec<TaskSpec> =
        serde_json::from_value(job.definition["Companions"].clone()).unwrap();
    assert_eq!(companions.len(), 1);
    let (targets, ids, exclude) = poc_of(&companions[0]);
    assert_eq!(targets, ["http://127.0.0.2:8080/app", "127.0.0.3"]);
    assert_eq!(
        (ids, exclude),
        (vec!["t-path-word".into()], vec!["t-tcp-ping".into()])
    );
    let run = companions[0].run_options().unwrap();
    assert_eq!(run.finding_kinds, Some(vec![KIND.to_string()]));

    // Only disabled entries: everything else runs. Poc alone leads, and runs now.
    let vul = json!([{"RiskId": "t-tcp-ping", "Enable": 0}]);
    let r = csip(&s, "CreateRiskCenterScanTask", task(&["poc"], vul, 1)).await;
    let id: i64 = r["TaskId"].as_str().unwrap().parse().unwrap();
    let job = s.store.job(account, "csip", id).await.unwrap();
    let (_, ids, exclude) = poc_of(&job.spec);
    assert!(ids.is_empty());
    assert_eq!(exclude, ["t-tcp-ping"]);
    let runs = s.store.job_runs(account, id).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].kind, "poc");

    // Both items, now: the network run leads and the poc run is its companion.
    let r = csip(
        &s,
        "CreateRiskCenterScanTask",
        task(&["poc", "port"], json!([]), 1),
    )
    .await;
    let id: i64 = r["TaskId"].as_str().unwrap().parse().unwrap();
    let runs = s.store.job_runs(account, id).await.unwrap();
    let kinds: Vec<&str> = runs.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["poc", "net"]);
    assert_eq!(runs[0].options["meta"]["csip_lead"], runs[1].id);
    let list = csip(&s, "DescribeScanTaskList", json!({})).await;
    let row = list["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["TaskId"] == json!(id.to_string()))
        .unwrap()
        .clone();
    assert_eq!(
        (row["ScanStatus"].clone(), row["ScanItem"].clone()),
        (json!(0), json!("port,poc"))
    );
    // Stopping the task stops both.
    csip(
        &s,
        "StopRiskCenterTask",
        json!({"TaskIdList": [{"TaskId": id.to_string()}]}),
    )
    .await;
    for t in s.store.job_runs(account, id).await.unwrap() {
        assert!(t.cancel_requested || t.state.is_terminal(), "{t:?}");
    }

    // Ids are checked against the catalogue; entries need an id and a switch.
    for (vul, want) in [
        (
            json!([{"RiskId": "no-such", "Enable": 0}]),
            "InvalidParameterValue",
        ),
        (json!([{"Enable": 1}]), "MissingParameter"),
        (
            json!([{"RiskId": "t-path-word", "Enable": 2}]),
            "InvalidParameterValue",
        ),
    ] {
        let mut t = Tc3::new("CreateRiskCenterScanTask", task(&["poc"], vul, 1));
        t.service = "csip";
        t.version = "2022-11-21";
        let v = s.tc3(t).await;
        assert_eq!(code(&v), want, "{v}");
    }
    let mut t = Tc3::new(
        "CreateRiskCenterScanTask",
        task(&["webcontent"], json!([]), 1),
    );
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(code(&s.tc3(t).await), "UnsupportedOperation");
}

#[tokio::test]
async fn poc_needs_an_installed_catalogue() {
    let (s, _) = gateway(catalogue().join("not-installed")).await;
    let mut t = Tc3::new("CreateRiskCenterScanTask", task(&["poc"], json!([]), 1));
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(code(&s.tc3(t).await), "FailedOperation");
    let r = csip(&s, "DescribeVULRiskAdvanceCFGList", json!({})).await;
    assert_eq!(r["TotalCount"], 0);
    let r = csip(&s, "DescribeVdbAndPocInfo", json!({})).await;
    assert_eq!(
        (r["PocUpdateTime"].clone(), r["VdbUpdateTime"].clone()),
        (json!(""), json!(""))
    );
}

#[tokio::test]
async fn the_catalogue_s_install_time_is_its_update_time() {
    // A catalogue put in place by hand: its directory's time.
    let (s, _) = gateway(catalogue()).await;
    let r = csip(&s, "DescribeVdbAndPocInfo", json!({})).await;
    let at = r["PocUpdateTime"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{r}"
    );
    assert_eq!(r["VdbUpdateTime"], "", "no virus database");
    // An installed one: its install record's time.
    let dir = std::env::temp_dir().join(format!("csip-vdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = json!({"source": "test", "installed_at": "2026-03-04T05:06:07Z",
        "sha256": "", "files": 0, "parsed": 0});
    std::fs::write(
        dir.join(vigil_engine_poc::template::SOURCE_FILE),
        record.to_string(),
    )
    .unwrap();
    let (s, _) = gateway(dir.clone()).await;
    let r = csip(&s, "DescribeVdbAndPocInfo", json!({})).await;
    assert_eq!(r["PocUpdateTime"], "2026-03-04 05:06:07", "{r}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_catalogue_is_listed_as_vulnerability_checks() {
    let (s, _) = gateway(catalogue()).await;
    let all = csip(
        &s,
        "DescribeVULRiskAdvanceCFGList",
        json!({"Filter": {"Limit": 100}}),
    )
    .await;
    let n = all["TotalCount"].as_u64().unwrap();
    assert!(n >= 10, "{all}");
    let high = csip(
        &s,
        "DescribeVULRiskAdvanceCFGList",
        json!({"Filter": {"Limit": 100, "Filters": [{"Name": "RiskLevel", "Values": ["high"]}]}}),
    )
    .await;
    let rows = high["Data"].as_array().unwrap();
    assert!(!rows.is_empty() && (rows.len() as u64) < n);
    assert!(rows.iter().all(|r| r["RiskLevel"] == "high"));
    let row = rows.iter().find(|r| r["RiskId"] == "t-path-word").unwrap();
    assert_eq!(row["VULName"], "Exposed configuration file");
    assert_eq!(row["CVE"], "CVE-2099-0001");
    assert_eq!(row["VULType"], "exposure");
    assert_eq!(row["Payload"], "http/t-path-word.yaml");
    assert!(all["RiskLevelLists"]
        .as_array()
        .unwrap()
        .contains(&json!({"Value": "high", "Text": "high"})));
    assert!(all["VulTagList"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["Value"] == "exposure"));
    // A task's switches: only its enabled check is on.
    let vul = json!([{"RiskId": "t-path-word", "Enable": 1}]);
    let r = csip(&s, "CreateRiskCenterScanTask", task(&["poc"], vul, 0)).await;
    let on = csip(
        &s,
        "DescribeVULRiskAdvanceCFGList",
        json!({"TaskId": r["TaskId"], "Filter": {"Limit": 100, "Filters": [{"Name": "Enable", "Values": ["1"]}]}}),
    )
    .await;
    assert_eq!(on["TotalCount"], 1, "{on}");
    assert_eq!(on["Data"][0]["RiskId"], "t-path-word");
    let mut t = Tc3::new(
        "DescribeVULRiskAdvanceCFGList",
        json!({"Filter": {"Filters": [{"Name": "Nope", "Values": ["x"]}]}}),
    );
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(code(&s.tc3(t).await), "InvalidParameterValue");
}

fn vuln(host: &str, port: u16, template: &str, severity: Severity) -> Finding {
    let matched = format!("http://{host}:{port}/admin/config.php");
    let evidence = PocEvidence {
        template_id: template.into(),
        template_path: format!("http/{template}.yaml"),
        template_severity: "high".into(),
        protocol: "http".into(),
        matched_at: matched,
        request: "GET /admin/config.php HTTP/1.1\r\n".into(),
        response: "HTTP/1.1 200 OK\r\n".into(),
        remediation: "Remove the file.".into(),
        ..PocEvidence::default()
    };
    Finding {
        kind: KIND.into(),
        severity: Some(severity),
        title: "Exposed configuration file".into(),
        host: Some(host.into()),
        port: Some(port),
        url: Some(format!("http://{host}:{port}")),
        cve: vec!["CVE-2099-0001".into()],
        evidence: serde_json::to_value(evidence).unwrap(),
        identity: vec![template.into(), String::new()],
        ..Finding::default()
    }
}

/// A gateway with three stored `poc-vuln` findings: `t-path-word` (high) on 127.0.0.2 and
/// 127.0.0.3, `t-variables` (low) on 127.0.0.2; 127.0.0.2 is a registered asset tagged
/// `env:prod`.
async fn seeded() -> (Server, i64) {
    let (s, account) = gateway(catalogue()).await;
    let task = s
        .store
        .enqueue(&vigil_store::NewTask {
            account_id: account,
            spec: TaskSpec {
                product: "csip".into(),
                kind: "poc".into(),
                target: json!({"targets": ["127.0.0.2"]}),
                options: json!({}),
                max_attempts: 1,
                job_id: None,
            },
            run_after: 0,
            schedule_id: None,
        })
        .await
        .unwrap();
    for f in [
        vuln("127.0.0.2", 8080, "t-path-word", Severity::High),
        vuln("127.0.0.3", 8080, "t-path-word", Severity::High),
        vuln("127.0.0.2", 8081, "t-variables", Severity::Low),
    ] {
        s.store
            .record_finding(account, task, "poc", &f)
            .await
            .unwrap();
    }
    s.store
        .add_assets(
            account,
            &[("ip".into(), "127.0.0.2".into())],
            &[("env".into(), "prod".into())],
        )
        .await
        .unwrap();
    (s, account)
}

#[tokio::test]
async fn vulnerability_views_render_stored_findings() {
    let (s, _) = seeded().await;
    let per_asset = csip(
        &s,
        "DescribeRiskCenterAssetViewVULRiskList",
        json!({"Filter": {"Limit": 100, "Filters": [{"Name": "POCId", "Values": ["t-path-word"]}]}}),
    )
    .await;
    assert_eq!(per_asset["TotalCount"], 2, "{per_asset}");
    let row = &per_asset["Data"].as_array().unwrap()[0];
    assert_eq!(row["Level"], "high");
    assert_eq!(row["VULType"], "exposure", "from the catalogue");
    assert_eq!(row["Fix"], "Remove the file.");
    assert_eq!(row["Status"], 0);
    assert!(row["VULURL"]
        .as_str()
        .unwrap()
        .ends_with(":8080/admin/config.php"));
    assert!(row["Payload"]
        .as_str()
        .unwrap()
        .starts_with("GET /admin/config.php"));
    let all = csip(&s, "DescribeRiskCenterAssetViewVULRiskList", json!({})).await;
    let levels: Vec<&str> = all["LevelLists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["Value"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["high", "low"]);
    let per_vul = csip(
        &s,
        "DescribeRiskCenterVULViewVULRiskList",
        json!({"Filter": {"Limit": 100}}),
    )
    .await;
    assert_eq!(per_vul["TotalCount"], 2);
    let g = per_vul["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["Id"] == "t-path-word")
        .unwrap()
        .clone();
    assert_eq!(
        (g["AffectAssetCount"].clone(), g["NoHandleCount"].clone()),
        (json!(2), json!(2))
    );
    assert!(g.get("POCId").is_none(), "not a field of VULViewVULRisk");
    // One vulnerability, by template id or by a per-asset row's id.
    for key in [json!("t-path-word"), row["Id"].clone()] {
        let d = csip(&s, "DescribeVULRiskDetail", json!({"RiskId": key})).await;
        assert_eq!(d["VulData"]["Fix"], "Remove the file.", "{d}");
        assert_eq!(d["VulTrend"][0]["AffectAssetCount"], 2);
    }
    let mut t = Tc3::new("DescribeVULRiskDetail", json!({"RiskId": "no-such"}));
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(code(&s.tc3(t).await), "ResourceNotFound");

    // Handled (Type 1): not counted as unhandled any more, in the views or the assets.
    let id = row["Id"].clone();
    let r = csip(
        &s,
        "ModifyRiskCenterRiskStatus",
        json!({"RiskStatusKeys": [{"Id": id}], "Status": 1, "Type": 1}),
    )
    .await;
    assert!(r.get("Error").is_none(), "{r}");
    let per_vul = csip(
        &s,
        "DescribeRiskCenterVULViewVULRiskList",
        json!({"Filter": {"Filters": [{"Name": "Id", "Values": ["t-path-word"]}]}}),
    )
    .await;
    assert_eq!(per_vul["Data"][0]["NoHandleCount"], 1);
    let mut t = Tc3::new(
        "ModifyRiskCenterRiskStatus",
        json!({"RiskStatusKeys": [{"Id": id}], "Status": 1, "Type": 4}),
    );
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(
        code(&s.tc3(t).await),
        "ResourceNotFound",
        "not a configuration risk"
    );
}

#[tokio::test]
async fn a_scheduled_run_starts_its_poc_companion_once() {
    use vigil_worker::Preflight;
    let (s, account) = gateway(catalogue()).await;
    let vul = json!([{"RiskId": "t-path-word", "Enable": 1}]);
    let r = csip(
        &s,
        "CreateRiskCenterScanTask",
        task(&["port", "poc"], vul, 0),
    )
    .await;
    let id: i64 = r["TaskId"].as_str().unwrap().parse().unwrap();
    let job = s.store.job(account, "csip", id).await.unwrap();
    assert!(s.store.job_runs(account, id).await.unwrap().is_empty());
    // The schedule fires the lead (the network task).
    let mut spec = job.spec.clone();
    spec.job_id = Some(id);
    let lead = s
        .store
        .enqueue(&vigil_store::NewTask {
            account_id: account,
            spec,
            run_after: 0,
            schedule_id: None,
        })
        .await
        .unwrap();
    let task = s.store.task(account, lead).await.unwrap();
    let check = vigil_api::products::csip::CsipPreflight::new(s.state.services.clone());
    for _ in 0..2 {
        let prepared = check.prepare(&task).await.unwrap().unwrap();
        assert_eq!(
            prepared.target["targets"],
            json!(["127.0.0.2", "127.0.0.3"])
        );
    }
    let runs = s.store.job_runs(account, id).await.unwrap();
    assert_eq!(
        runs.len(),
        2,
        "one companion however often the lead is prepared"
    );
    let poc = &runs[0];
    assert_eq!(
        (poc.kind.as_str(), poc.options["meta"]["csip_lead"].as_i64()),
        ("poc", Some(lead))
    );
    assert_eq!(poc.options["ids"], json!(["t-path-word"]));
}

#[tokio::test]
async fn a_run_of_two_engines_calls_back_once_when_both_ended() {
    use vigil_core::TaskState;
    use vigil_worker::Finisher;
    let (s, account) = gateway(catalogue()).await;
    let mut t = task(&["port", "poc"], json!([]), 1);
    t["FinishWebHook"] = json!("http://127.0.0.1:9/hook");
    let r = csip(&s, "CreateRiskCenterScanTask", t).await;
    assert_eq!(r["Status"], 0, "{r}");
    let id: i64 = r["TaskId"].as_str().unwrap().parse().unwrap();
    for t in s.store.job_runs(account, id).await.unwrap() {
        let run = t.options.get("finish_webhook");
        assert!(
            run.is_none_or(Value::is_null),
            "the worker must not call back: {t:?}"
        );
    }
    let hook = vigil_api::products::csip::CsipFinisher::new(s.state.services.clone());
    let mut ended = Vec::new();
    for kind in ["net", "poc"] {
        let lease = s
            .store
            .claim("w", &[kind.to_string()], 60_000)
            .await
            .unwrap()
            .unwrap();
        s.store
            .finish(&lease, TaskState::Succeeded, None, 0)
            .await
            .unwrap();
        let done = s.store.task(account, lease.task.id).await.unwrap();
        hook.finished(&done).await.unwrap();
        ended.push(s.store.callbacks(account, 10).await.unwrap().len());
    }
    assert_eq!(ended, [0, 1], "owed once, when the last task ended");
    let body: Value =
        serde_json::from_str(&s.store.callbacks(account, 10).await.unwrap()[0].body).unwrap();
    let lead = s.store.job_runs(account, id).await.unwrap()[1].id;
    assert_eq!(
        (body["task_id"].as_i64(), body["state"].as_str()),
        (Some(lead), Some("succeeded"))
    );
}

#[tokio::test]
async fn the_newer_vulnerability_views_have_their_models_fields() {
    let (s, _) = seeded().await;
    let per_asset = csip(
        &s,
        "DescribeAssetViewVulRiskList",
        json!({"Filter": {"Limit": 100, "Filters": [{"Name": "VulRiskId", "Values": ["t-path-word"]}]}}),
    )
    .await;
    assert_eq!(per_asset["TotalCount"], 2, "{per_asset}");
    let row = per_asset["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["AffectAsset"] == "127.0.0.2")
        .unwrap()
        .clone();
    assert!(
        row["RiskId"].as_str().unwrap().parse::<i64>().is_ok(),
        "{row}"
    );
    assert_eq!(row["Index"], row["RiskId"]);
    assert_eq!(
        (row["VulRiskId"].clone(), row["POCId"].clone()),
        (json!("t-path-word"), json!("t-path-word"))
    );
    assert_eq!(
        (row["IsPOC"].clone(), row["IsSuggest"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(row["VULType"], "exposure");
    assert_eq!(row["IsOneClick"], 1, "CreateVulReScan can check it again");
    assert!(row["VulTag"]
        .as_array()
        .unwrap()
        .contains(&json!("exposure")));
    assert_eq!(row["Port"], "8080");
    for gone in [
        "Id",
        "Fix",
        "Describe",
        "References",
        "Service",
        "IsSupportRepair",
        "AssetTags",
    ] {
        assert!(
            row.get(gone).is_none(),
            "{gone} is not in AssetViewVULRiskData"
        );
    }
    assert_eq!(
        per_asset["Tags"],
        json!([{"Value": "env:prod", "Text": "env:prod"}])
    );
    assert_eq!(per_asset["StatusLists"][0]["Value"], "0");
    // The RiskCenter model keeps its own fields and has none of the newer ones.
    let old = csip(&s, "DescribeRiskCenterAssetViewVULRiskList", json!({})).await;
    let o = &old["Data"][0];
    assert!(o.get("Id").is_some() && o.get("RiskId").is_none() && o.get("CVSS").is_none());
    assert!(old.get("Tags").is_none());

    // The request's asset tags select the hosts.
    let tagged = csip(
        &s,
        "DescribeVulViewVulRiskList",
        json!({"Tags": [{"TagKey": "env", "TagValue": "prod"}], "Filter": {"Limit": 100}}),
    )
    .await;
    assert_eq!(tagged["TotalCount"], 2, "{tagged}");
    let per_vul = csip(
        &s,
        "DescribeVulViewVulRiskList",
        json!({"Filter": {"Filters": [{"Name": "RiskId", "Values": ["t-path-word"]}]}}),
    )
    .await;
    assert_eq!(per_vul["TotalCount"], 1, "{per_vul}");
    let g = &per_vul["Data"][0];
    assert_eq!(
        (
            g["RiskId"].clone(),
            g["VulRiskId"].clone(),
            g["AffectAssetCount"].clone()
        ),
        (json!("t-path-word"), json!("t-path-word"), json!(2))
    );
    assert_eq!(g["EngineSource"], "vigil-poc");
    for gone in ["Id", "POCId", "Fix", "Service", "IsPOC"] {
        assert!(g.get(gone).is_none(), "{gone} is not in VULViewVULRiskData");
    }
    assert!(per_vul.get("StatusLists").is_none());
    assert_eq!(per_vul["Tags"][0]["Value"], "env:prod");
    // The newer models' filter fields only.
    let mut t = Tc3::new(
        "DescribeVulViewVulRiskList",
        json!({"Filter": {"Filters": [{"Name": "Id", "Values": ["t-path-word"]}]}}),
    );
    t.service = "csip";
    t.version = "2022-11-21";
    assert_eq!(code(&s.tc3(t).await), "InvalidParameterValue");
}

#[tokio::test]
async fn vulnerabilities_are_checked_again_where_they_were_found() {
    let (s, account) = seeded().await;
    // The seeding run is not one of the rescans.
    let poc = ["poc".to_string()];
    while s.store.claim("w", &poc, 60_000).await.unwrap().is_some() {}
    let rows = csip(
        &s,
        "DescribeAssetViewVulRiskList",
        json!({"Filter": {"Limit": 100}}),
    )
    .await;
    let ids: Vec<i64> = rows["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RiskId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{rows}");
    let r = csip(&s, "CreateVulReScan", json!({"VulId": ids})).await;
    assert!(r.get("Error").is_none(), "{r}");
    // One poc run per template, on the targets it matched, in the findings' own group.
    let mut runs = Vec::new();
    while let Some(l) = s.store.claim("w", &poc, 60_000).await.unwrap() {
        runs.push(l.task);
    }
    runs.sort_by_key(|t| t.options["ids"].to_string());
    let got: Vec<(Value, Value, Value)> = runs
        .iter()
        .map(|t| {
            (
                t.options["ids"].clone(),
                t.target["targets"].clone(),
                t.options["scope_key"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                json!(["t-path-word"]),
                json!(["http://127.0.0.2:8080", "http://127.0.0.3:8080"]),
                json!("poc")
            ),
            (
                json!(["t-variables"]),
                json!(["http://127.0.0.2:8081"]),
                json!("poc")
            ),
        ]
    );
    assert!(runs.iter().all(|t| t.account_id == account));
    // Only the assets asked for.
    let r = csip(
        &s,
        "CreateVulReScan",
        json!({"VulId": ids, "AssetList": ["127.0.0.3"]}),
    )
    .await;
    assert!(r.get("Error").is_none(), "{r}");
    let l = s.store.claim("w", &poc, 60_000).await.unwrap().unwrap();
    assert_eq!(l.task.target["targets"], json!(["http://127.0.0.3:8080"]));
    assert!(s.store.claim("w", &poc, 60_000).await.unwrap().is_none());
    for (body, want) in [
        (json!({"VulId": []}), "MissingParameter"),
        (json!({"VulId": [999_999]}), "ResourceNotFound"),
        (
            json!({"VulId": [ids[0]], "KbNo": ["KB123"]}),
            "UnsupportedOperation",
        ),
        (
            json!({"VulId": [ids[0]], "AssetList": ["127.0.0.9"]}),
            "InvalidParameterValue",
        ),
        (
            json!({"VulId": [ids[0]], "MemberId": ["m"]}),
            "UnsupportedOperation",
        ),
        (json!({"VulId": ["x"]}), "InvalidParameter"),
    ] {
        let mut t = Tc3::new("CreateVulReScan", body.clone());
        t.service = "csip";
        t.version = "2022-11-21";
        assert_eq!(code(&s.tc3(t).await), want, "{body}");
    }
}
