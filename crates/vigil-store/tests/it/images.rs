//! Image inventory, registries and image scans on every backend (SQLite, and PostgreSQL when
//! `VIGIL_TEST_POSTGRES_URL` is set): identity and refresh of images, tenant isolation,
//! registry passwords sealed at rest, image scans as scan groups with the latest state per
//! image, fan-out of a scheduled run, stop and timeout, and the counts of what a task found.

use crate::common::{stores, stores_at};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use vigil_core::{Component, Finding, FindingStatus, Severity, TaskSpec, TaskState};
use vigil_store::{
    GroupItem, GroupOrigin, ImageSet, NewGroupItem, NewImage, NewRegistry, NewScanGroup, NewTask,
    ScanGroup, StopReason, Store, StoreError,
};

/// What the tests keep on an image scan group, as TCSS does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Facts {
    one_click: bool,
    scanners: Vec<String>,
}

/// What the tests keep on one image of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ItemFacts {
    scanners: Vec<String>,
}

type NewImageScan = NewScanGroup<Facts, ItemFacts>;

async fn items_of(store: &Store, account: i64, scan: i64) -> Vec<GroupItem<ItemFacts>> {
    store.group_items(account, scan).await.unwrap()
}

async fn group(store: &Store, account: i64, scan: i64) -> Result<ScanGroup<Facts>, StoreError> {
    store.scan_group(account, "tcss", scan).await
}

fn id(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

fn local(n: u8, source: &str) -> NewImage {
    NewImage {
        image_id: id(n),
        source: source.into(),
        name: format!("app{n}:latest"),
        size: 1000 + i64::from(n),
        os_name: "linux".into(),
        ..Default::default()
    }
}

fn registry(name: &str, password: &str) -> NewRegistry {
    NewRegistry {
        name: name.into(),
        url: "https://registry.example".into(),
        registry_type: "harbor".into(),
        username: "admin".into(),
        password: password.into(),
        net_type: "public".into(),
        conn_detect: json!([]),
        ..Default::default()
    }
}

fn scan_spec(image: &str) -> TaskSpec {
    TaskSpec {
        product: "tcss".into(),
        kind: "image".into(),
        target: json!({"image": "oci:/x", "image_id": image}),
        options: json!({"scanners": ["vuln", "risk"]}),
        max_attempts: 1,
        job_id: None,
    }
}

fn scan(items: &[(i64, String)]) -> NewImageScan {
    NewImageScan {
        product: "tcss".into(),
        kind: "local".into(),
        origin: GroupOrigin::Api,
        timeout_secs: 3600,
        facts: Facts {
            one_click: true,
            scanners: vec!["vuln".into(), "risk".into()],
        },
        items: items
            .iter()
            .map(|(row, image)| NewGroupItem {
                subject_row: Some(*row),
                subject_key: image.clone(),
                facts: ItemFacts {
                    scanners: vec!["vuln".into(), "risk".into()],
                },
                spec: scan_spec(image),
            })
            .collect(),
    }
}

#[tokio::test]
async fn images_are_identified_refreshed_and_isolated() {
    for store in stores("images").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let first = store
            .upsert_image(a.id, &local(1, "docker-archive:/x.tar"))
            .await
            .unwrap();
        assert_eq!(first.registry_id, None);
        assert_eq!(first.image_id, id(1));
        // The same image id again: the same row, the new source, kept fields stay.
        let again = store
            .upsert_image(
                a.id,
                &NewImage {
                    image_id: id(1),
                    source: "oci:/y".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(again.source, "oci:/y");
        assert_eq!(again.name, "app1:latest");
        assert_eq!(again.size, 1001);
        assert_eq!(again.first_seen, first.first_seen);
        assert!(again.last_seen >= first.last_seen);
        // Invalid images are refused.
        let bad = store
            .upsert_image(
                a.id,
                &NewImage {
                    image_id: "sha256:nothex".into(),
                    source: "oci:/y".into(),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Config(_))));
        // Another account has its own inventory.
        let theirs = store.upsert_image(b.id, &local(1, "oci:/b")).await.unwrap();
        assert_ne!(theirs.id, first.id);
        assert_eq!(store.images(a.id, ImageSet::All).await.unwrap().len(), 1);
        assert!(matches!(
            store.image(b.id, first.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.local_image(b.id, &id(1)).await.unwrap().is_some());
        assert_eq!(store.local_image(a.id, &id(2)).await.unwrap(), None);

        // Registry images: one row per (registry, repository, tag); a re-pushed tag keeps it.
        let reg = store
            .create_registry(a.id, &registry("r1", "pw"))
            .await
            .unwrap();
        let tagged = |n: u8, tag: &str| NewImage {
            image_id: id(n),
            digest: id(n + 100),
            source: format!("registry:registry.example/lib/app:{tag}"),
            name: format!("lib/app:{tag}"),
            registry_id: Some(reg.id),
            repository: "lib/app".into(),
            tag: tag.into(),
            namespace: "lib".into(),
            ..Default::default()
        };
        let v1 = store.upsert_image(a.id, &tagged(1, "v1")).await.unwrap();
        let v2 = store.upsert_image(a.id, &tagged(1, "v2")).await.unwrap();
        assert_ne!(v1.id, v2.id, "same image id under two tags: two rows");
        assert_ne!(v1.id, first.id, "a registry image is not the local one");
        let moved = store.upsert_image(a.id, &tagged(3, "v1")).await.unwrap();
        assert_eq!(moved.id, v1.id);
        assert_eq!(moved.image_id, id(3));
        assert_eq!(store.images(a.id, ImageSet::Local).await.unwrap().len(), 1);
        assert_eq!(
            store.images(a.id, ImageSet::Registry).await.unwrap().len(),
            2
        );
        assert_eq!(
            store
                .images(a.id, ImageSet::OfRegistry(reg.id))
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store.images(b.id, ImageSet::Registry).await.unwrap().len(),
            0
        );
        // Deleting needs the right account.
        assert_eq!(store.delete_images(b.id, &[first.id]).await.unwrap(), 0);
        assert_eq!(store.delete_images(a.id, &[first.id]).await.unwrap(), 1);
        assert_eq!(store.images(a.id, ImageSet::Local).await.unwrap().len(), 0);
    }
}

#[tokio::test]
async fn registry_passwords_are_sealed_at_rest() {
    for (store, url) in stores_at("images").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let plain = "Pl41n-text-Passw0rd";
        let r1 = store
            .create_registry(a.id, &registry("harbor-1", plain))
            .await
            .unwrap();
        let r2 = store
            .create_registry(a.id, &registry("harbor-2", "other"))
            .await
            .unwrap();
        assert!(r1.has_password);
        assert_eq!(r1.username, "admin");
        assert_eq!(store.registry_password(a.id, r1.id).await.unwrap(), plain);
        // The column holds ciphertext only.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT password_enc FROM image_registries ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rows.len(), 2);
        for (enc,) in &rows {
            assert!(enc.starts_with("x1:"), "{enc}");
            assert!(!enc.contains(plain) && !enc.contains("other"));
        }
        // Bound to its registry: moved to another row it does not open.
        sqlx::query("UPDATE image_registries SET password_enc = $1 WHERE id = $2")
            .bind(&rows[0].0)
            .bind(r2.id)
            .execute(&pool)
            .await
            .unwrap();
        assert!(matches!(
            store.registry_password(a.id, r2.id).await,
            Err(StoreError::Crypto(_))
        ));
        pool.close().await;
        let sealed = store
            .registry_sealed_password(a.id, r1.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            sealed.purpose,
            format!("image_registry_password:{}:{}", a.id, r1.id)
        );
        assert_eq!(
            store
                .secrets()
                .open(&sealed.purpose, &sealed.sealed)
                .unwrap(),
            plain
        );
        // Names are unique per account, not across accounts.
        assert!(matches!(
            store
                .create_registry(a.id, &registry("harbor-1", "x"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        store
            .create_registry(b.id, &registry("harbor-1", "x"))
            .await
            .unwrap();
        assert!(matches!(
            store
                .update_registry(a.id, r2.id, &registry("harbor-1", "x"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        // Other accounts reach nothing.
        assert!(matches!(
            store.registry(b.id, r1.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.registry_password(b.id, r1.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .update_registry(b.id, r1.id, &registry("z", "z"))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_registry(b.id, r1.id).await,
            Err(StoreError::NotFound)
        ));
        // Update replaces the password; an empty one removes it.
        let up = store
            .update_registry(a.id, r1.id, &registry("harbor-1b", "n3w"))
            .await
            .unwrap();
        assert_eq!(up.name, "harbor-1b");
        assert_eq!(store.registry_password(a.id, r1.id).await.unwrap(), "n3w");
        let none = store
            .update_registry(a.id, r1.id, &registry("harbor-1b", ""))
            .await
            .unwrap();
        assert!(!none.has_password);
        assert_eq!(store.registry_password(a.id, r1.id).await.unwrap(), "");
        // Health and sync state.
        store
            .set_registry_health(a.id, r1.id, "connection refused")
            .await
            .unwrap();
        store
            .set_registry_sync(a.id, r1.id, "success", "", "3 images")
            .await
            .unwrap();
        let r = store.registry(a.id, r1.id).await.unwrap();
        assert_eq!(r.health_error, "connection refused");
        assert_eq!(r.sync_status, "success");
        assert!(r.synced_at.is_some());
        // Deleting a registry removes its images and stops their scans.
        let img = store
            .upsert_image(
                a.id,
                &NewImage {
                    image_id: id(9),
                    source: "registry:registry.example/app:1".into(),
                    registry_id: Some(r1.id),
                    repository: "app".into(),
                    tag: "1".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let s = store
            .create_image_scan(a.id, &scan(&[(img.id, id(9))]))
            .await
            .unwrap();
        assert_eq!(
            store.delete_registry(a.id, r1.id).await.unwrap(),
            vec![img.id]
        );
        assert!(store.images(a.id, ImageSet::All).await.unwrap().is_empty());
        let items = items_of(&store, a.id, s.id).await;
        assert_eq!(items[0].task.state, TaskState::Stopped);
        assert_eq!(store.registries(a.id).await.unwrap().len(), 1);
    }
}

fn vuln(image: &str, cve: &str, sev: Severity, fixed: bool) -> Finding {
    Finding {
        kind: "image-vuln".into(),
        severity: Some(sev),
        title: format!("{cve} in openssl"),
        cve: vec![cve.into()],
        path: Some("/lib/apk/db/installed".into()),
        identity: vec![image.into()],
        evidence: json!({
            "package": {"name": "openssl", "version": "3.0.1"},
            "fixed_version": if fixed { json!("3.0.2") } else { json!(null) },
            "fix_status": if fixed { "fixed" } else { "not-fixed" },
        }),
        fixable: fixed,
        ..Default::default()
    }
}

fn risk(image: &str, kind: &str, file: &str) -> Finding {
    Finding {
        kind: "image-risk".into(),
        severity: Some(Severity::High),
        title: format!("{kind} in {file}"),
        path: Some(file.into()),
        identity: vec![image.into()],
        evidence: json!({"type": kind, "rule": "r", "file": file, "masked": "****"}),
        sensitive: matches!(kind, "secret" | "sensitive-file"),
        ..Default::default()
    }
}

#[tokio::test]
async fn scans_track_latest_state_and_count_results() {
    for store in stores("images").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let i1 = store.upsert_image(a.id, &local(1, "oci:/1")).await.unwrap();
        let i2 = store.upsert_image(a.id, &local(2, "oci:/2")).await.unwrap();
        let s = store
            .create_image_scan(a.id, &scan(&[(i1.id, id(1)), (i2.id, id(2))]))
            .await
            .unwrap();
        assert_eq!(s.kind, "local");
        assert!(s.facts.one_click);
        assert_eq!(s.facts.scanners, vec!["vuln", "risk"]);
        assert_eq!(s.deadline_at, s.created_at + 3_600_000);
        assert!(matches!(
            group(&store, b.id, s.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(items_of(&store, b.id, s.id).await.is_empty());
        let items = items_of(&store, a.id, s.id).await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].subject_row, Some(i1.id));
        assert_eq!(items[0].facts.scanners, vec!["vuln", "risk"]);
        assert_eq!(items[0].task.kind, "image");
        assert_eq!(
            store.image(a.id, i1.id).await.unwrap().last_task_id,
            Some(items[0].task.id)
        );
        // Both queued: the latest item is there, nothing is done yet.
        let state = store.image_scan_state::<ItemFacts>(a.id).await.unwrap();
        assert_eq!(state.latest.len(), 2);
        assert!(state.latest_done.is_empty() && state.latest_ok.is_empty());
        assert!(store
            .image_scan_state::<ItemFacts>(b.id)
            .await
            .unwrap()
            .latest
            .is_empty());

        // A worker runs the first image: findings, components, success.
        let lease = store
            .claim("w", &["image".to_string()], 60_000)
            .await
            .unwrap()
            .unwrap();
        let t1 = lease.task.id;
        assert_eq!(t1, items[0].task.id);
        let scope = format!("tcss:image:{}", id(1));
        let f_crit = store
            .record_finding(
                a.id,
                t1,
                &scope,
                &vuln(&id(1), "CVE-1", Severity::Critical, true),
            )
            .await
            .unwrap();
        store
            .record_finding(
                a.id,
                t1,
                &scope,
                &vuln(&id(1), "CVE-2", Severity::Low, false),
            )
            .await
            .unwrap();
        store
            .record_finding(
                a.id,
                t1,
                &scope,
                &vuln(&id(1), "CVE-3", Severity::Medium, false),
            )
            .await
            .unwrap();
        store
            .record_finding(a.id, t1, &scope, &risk(&id(1), "secret", "/app/.env"))
            .await
            .unwrap();
        store
            .record_finding(a.id, t1, &scope, &risk(&id(1), "config", "/etc/passwd"))
            .await
            .unwrap();
        for (name, kind) in [("alpine", "os"), ("openssl", "apk"), ("musl", "apk")] {
            store
                .record_component(
                    a.id,
                    t1,
                    &Component {
                        name: name.into(),
                        version: Some("3.19".into()),
                        kind: kind.into(),
                        purl: None,
                        path: None,
                        detail: None,
                    },
                )
                .await
                .unwrap();
        }
        store
            .record_group_item_errors(
                a.id,
                t1,
                &BTreeMap::from([("virus".to_string(), "rules missing".to_string())]),
            )
            .await
            .unwrap();
        assert!(store
            .finish(&lease, TaskState::Succeeded, None, 0)
            .await
            .unwrap());
        // The second fails.
        let lease = store
            .claim("w", &["image".to_string()], 60_000)
            .await
            .unwrap()
            .unwrap();
        let t2 = lease.task.id;
        store
            .finish(&lease, TaskState::Failed, Some("unreadable layer"), 0)
            .await
            .unwrap();

        let state = store.image_scan_state::<ItemFacts>(a.id).await.unwrap();
        assert_eq!(state.latest_ok[&i1.id].task.id, t1);
        assert_eq!(
            state.latest_ok[&i1.id]
                .errors
                .get("virus")
                .map(String::as_str),
            Some("rules missing")
        );
        assert!(!state.latest_ok.contains_key(&i2.id));
        assert_eq!(state.latest_done[&i2.id].task.state, TaskState::Failed);
        assert_eq!(
            state.latest_done[&i2.id].task.error.as_deref(),
            Some("unreadable layer")
        );

        let sums = store.scan_summaries(a.id, &[t1, t2]).await.unwrap();
        let s1 = &sums[&t1];
        assert_eq!(s1.vuln, [0, 1, 1, 0, 1]);
        assert_eq!(s1.vuln_fixable, [0, 0, 0, 0, 1]);
        assert_eq!(s1.risk, [0, 0, 0, 2, 0]);
        assert_eq!(s1.sensitive, 1);
        assert_eq!(s1.components, 2);
        assert_eq!(s1.os, Some(("alpine".into(), "3.19".into())));
        assert!(s1.has_risk());
        assert!(!sums[&t2].has_risk());
        // Another account's query sees nothing of these tasks.
        let theirs = store.scan_summaries(b.id, &[t1]).await.unwrap();
        assert_eq!(theirs[&t1], Default::default());
        // A false positive is no longer counted.
        store
            .set_finding_status(a.id, &[f_crit], FindingStatus::FalsePositive)
            .await
            .unwrap();
        let s1 = store.scan_summaries(a.id, &[t1]).await.unwrap()[&t1].clone();
        assert_eq!(s1.vuln, [0, 1, 1, 0, 0]);
        assert_eq!(s1.vuln_fixable, [0; 5]);

        // A new scan of image 1 that is stopped: the latest is stopped, results stay.
        let s2 = store
            .create_image_scan(a.id, &scan(&[(i1.id, id(1))]))
            .await
            .unwrap();
        assert_eq!(
            store
                .stop_scan_group(a.id, s2.id, StopReason::Cancel)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .stop_scan_group(a.id, s2.id, StopReason::Timeout)
                .await
                .unwrap(),
            0
        );
        let s2 = group(&store, a.id, s2.id).await.unwrap();
        assert_eq!(
            s2.stop_reason,
            Some(StopReason::Cancel),
            "the first reason stays"
        );
        let state = store.image_scan_state::<ItemFacts>(a.id).await.unwrap();
        assert_eq!(state.latest[&i1.id].task.state, TaskState::Stopped);
        assert_eq!(state.latest_ok[&i1.id].task.id, t1);
        // Another image id is another local image: image 1 keeps its results.
        store
            .upsert_image(
                a.id,
                &NewImage {
                    image_id: id(7),
                    source: "oci:/1".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            store
                .image_scan_state::<ItemFacts>(a.id)
                .await
                .unwrap()
                .latest_ok[&i1.id]
                .task
                .id
                == t1
        );

        // Timeouts: a scan whose deadline passed is stopped with `timeout`.
        let s3 = store
            .create_image_scan(a.id, &scan(&[(i2.id, id(2))]))
            .await
            .unwrap();
        assert!(store
            .expire_scan_groups(a.id, "tcss", s3.created_at)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .expire_scan_groups(b.id, "tcss", i64::MAX)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .expire_scan_groups(a.id, "tcss", s3.deadline_at + 1)
                .await
                .unwrap(),
            vec![s3.id]
        );
        let s3 = group(&store, a.id, s3.id).await.unwrap();
        assert_eq!(s3.stop_reason, Some(StopReason::Timeout));
        let scans = store
            .scan_groups::<Facts>(a.id, "tcss", Some("local"), 10)
            .await
            .unwrap();
        assert_eq!(
            scans.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![s3.id, s2.id, s.id]
        );
        assert!(store
            .scan_groups::<Facts>(a.id, "tcss", Some("registry"), 10)
            .await
            .unwrap()
            .is_empty());
        // Stopping by image.
        let s4 = store
            .create_image_scan(a.id, &scan(&[(i2.id, id(2))]))
            .await
            .unwrap();
        assert_eq!(store.stop_image_tasks(b.id, &[i2.id]).await.unwrap(), 0);
        assert_eq!(store.stop_image_tasks(a.id, &[i2.id]).await.unwrap(), 1);
        let items = items_of(&store, a.id, s4.id).await;
        assert_eq!(items[0].task.state, TaskState::Stopped);
    }
}

#[tokio::test]
async fn image_ids_that_change_hide_old_results() {
    for store in stores("images").await {
        let a = store.create_account("a").await.unwrap();
        let i1 = store.upsert_image(a.id, &local(1, "oci:/1")).await.unwrap();
        store
            .create_image_scan(a.id, &scan(&[(i1.id, id(1))]))
            .await
            .unwrap();
        let lease = store
            .claim("w", &["image".to_string()], 60_000)
            .await
            .unwrap()
            .unwrap();
        store
            .finish(&lease, TaskState::Succeeded, None, 0)
            .await
            .unwrap();
        assert!(store
            .image_scan_state::<ItemFacts>(a.id)
            .await
            .unwrap()
            .latest_ok
            .contains_key(&i1.id));
        // A registry tag re-pushed with new content: its row keeps its id, results go.
        let reg = store
            .create_registry(a.id, &registry("r", ""))
            .await
            .unwrap();
        let tagged = |n: u8| NewImage {
            image_id: id(n),
            source: "registry:registry.example/app:1".into(),
            registry_id: Some(reg.id),
            repository: "app".into(),
            tag: "1".into(),
            ..Default::default()
        };
        let row = store.upsert_image(a.id, &tagged(4)).await.unwrap();
        store
            .create_image_scan(a.id, &scan(&[(row.id, id(4))]))
            .await
            .unwrap();
        let lease = store
            .claim("w", &["image".to_string()], 60_000)
            .await
            .unwrap()
            .unwrap();
        store
            .finish(&lease, TaskState::Succeeded, None, 0)
            .await
            .unwrap();
        assert!(store
            .image_scan_state::<ItemFacts>(a.id)
            .await
            .unwrap()
            .latest_ok
            .contains_key(&row.id));
        let moved = store.upsert_image(a.id, &tagged(5)).await.unwrap();
        assert_eq!(moved.id, row.id);
        assert_eq!(moved.last_task_id, None);
        let state = store.image_scan_state::<ItemFacts>(a.id).await.unwrap();
        assert!(!state.latest.contains_key(&row.id));
        assert!(!state.latest_ok.contains_key(&row.id));
    }
}

#[tokio::test]
async fn a_scheduled_run_fans_out_once() {
    for store in stores("images").await {
        let a = store.create_account("a").await.unwrap();
        let i1 = store.upsert_image(a.id, &local(1, "oci:/1")).await.unwrap();
        let i2 = store.upsert_image(a.id, &local(2, "oci:/2")).await.unwrap();
        let fired_target = json!({"scheduled": "image_scan_setting"});
        let fired = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: TaskSpec {
                    target: fired_target.clone(),
                    ..scan_spec("")
                },
                run_after: 0,
                schedule_id: Some(1),
            })
            .await
            .unwrap();
        let mut plan = scan(&[(i1.id, id(1)), (i2.id, id(2))]);
        plan.origin = GroupOrigin::Schedule;
        assert!(store
            .fan_out_image_scan(
                a.id,
                fired,
                &fired_target,
                &NewImageScan {
                    items: vec![],
                    ..plan.clone()
                }
            )
            .await
            .is_err());
        let s = store
            .fan_out_image_scan(a.id, fired, &fired_target, &plan)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.origin, GroupOrigin::Schedule);
        let items = items_of(&store, a.id, s.id).await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].task.id, fired);
        assert_eq!(items[0].task.target["image_id"], id(1));
        assert_ne!(items[1].task.id, fired);
        assert_eq!(items[1].task.schedule_id, None);
        // The same run again (a retry): nothing more.
        assert!(store
            .fan_out_image_scan(a.id, fired, &fired_target, &plan)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            store
                .scan_groups::<Facts>(a.id, "tcss", None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}
