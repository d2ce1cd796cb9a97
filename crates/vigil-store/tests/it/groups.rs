//! Scan groups on every backend (SQLite, and PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is
//! set): a product other than TCSS (MS-like app scans keyed by MD5, no subject rows) creates,
//! lists, stops and expires groups, each product and account seeing only its own; a schedule's
//! fired task fans out once; and image scans written before migration 10 come through it with
//! their ids, facts and errors, the id counters going on after them.

use crate::common::stores;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use vigil_core::{TaskSpec, TaskState};
use vigil_store::{
    GroupItem, GroupOrigin, NewGroupItem, NewImage, NewScanGroup, NewTask, ScanGroup, StopReason,
    Store, StoreError, Subjects,
};

/// What an app scan keeps on its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AppGroup {
    app_type: String,
}

/// What an app scan keeps on each app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct App {
    name: String,
}

fn md5(n: u8) -> String {
    format!("{n:02x}").repeat(16)
}

fn app_spec(md5: &str) -> TaskSpec {
    TaskSpec {
        product: "ms".into(),
        kind: "app".into(),
        target: json!({"md5": md5}),
        options: json!({}),
        max_attempts: 1,
        job_id: None,
    }
}

fn apps(n: u8) -> NewScanGroup<AppGroup, App> {
    NewScanGroup {
        product: "ms".into(),
        kind: "android".into(),
        origin: GroupOrigin::Api,
        timeout_secs: 600,
        facts: AppGroup {
            app_type: "android".into(),
        },
        items: (1..=n)
            .map(|i| NewGroupItem {
                subject_row: None,
                subject_key: md5(i),
                facts: App {
                    name: format!("app{i}"),
                },
                spec: app_spec(&md5(i)),
            })
            .collect(),
    }
}

#[tokio::test]
async fn groups_of_another_product_keyed_by_md5() {
    for store in stores("groups").await {
        let a = store.create_account("a").await.unwrap();
        let b = store.create_account("b").await.unwrap();
        let g: ScanGroup<AppGroup> = store.create_scan_group(a.id, &apps(3)).await.unwrap();
        assert_eq!((g.product.as_str(), g.kind.as_str()), ("ms", "android"));
        assert_eq!(g.origin, GroupOrigin::Api);
        assert_eq!(g.facts.app_type, "android");
        assert_eq!(g.deadline_at, g.created_at + 600_000);
        assert_eq!(g.stop_reason, None);

        // Only this product and account find it.
        assert!(matches!(
            store.scan_group::<AppGroup>(a.id, "tcss", g.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.scan_group::<AppGroup>(b.id, "ms", g.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store
            .scan_groups::<AppGroup>(a.id, "tcss", None, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .scan_groups::<AppGroup>(a.id, "ms", Some("ios"), 10)
            .await
            .unwrap()
            .is_empty());
        let listed = store
            .scan_groups::<AppGroup>(a.id, "ms", Some("android"), 10)
            .await
            .unwrap();
        assert_eq!(listed, vec![g.clone()]);
        assert!(store
            .group_items::<App>(b.id, g.id)
            .await
            .unwrap()
            .is_empty());

        let items: Vec<GroupItem<App>> = store.group_items(a.id, g.id).await.unwrap();
        assert_eq!(
            items
                .iter()
                .map(|i| i.subject_key.clone())
                .collect::<Vec<_>>(),
            vec![md5(1), md5(2), md5(3)]
        );
        assert!(items.iter().all(|i| i.subject_row.is_none()));
        assert_eq!(items[1].facts.name, "app2");
        assert_eq!(items[1].task.product, "ms");
        assert_eq!(items[1].task.target["md5"], md5(2));
        assert_eq!(items[1].task.state, TaskState::Queued);
        let t0 = items[0].task.id;
        assert_eq!(
            store
                .group_item_of_task::<App>(a.id, t0)
                .await
                .unwrap()
                .map(|i| i.id),
            Some(items[0].id)
        );
        assert!(store
            .group_item_of_task::<App>(b.id, t0)
            .await
            .unwrap()
            .is_none());

        // Errors per part, merged.
        store
            .record_group_item_errors(a.id, t0, &BTreeMap::from([("static".into(), "x".into())]))
            .await
            .unwrap();
        store
            .record_group_item_errors(
                a.id,
                t0,
                &BTreeMap::from([("dynamic".into(), "no emulator".into())]),
            )
            .await
            .unwrap();
        let item = store
            .group_item_of_task::<App>(a.id, t0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item.errors.len(), 2);
        assert_eq!(item.errors["dynamic"], "no emulator");
        assert!(matches!(
            store
                .record_group_item_errors(b.id, t0, &BTreeMap::new())
                .await,
            Err(StoreError::NotFound)
        ));

        // One app stopped: the group goes on.
        assert!(matches!(
            store.stop_group_item(b.id, items[0].id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.stop_group_item(a.id, items[0].id).await.unwrap());
        assert!(!store.stop_group_item(a.id, items[0].id).await.unwrap());
        assert_eq!(
            store.task(a.id, t0).await.unwrap().state,
            TaskState::Stopped
        );
        // Apps by key, within their product only.
        let key = [md5(2)];
        assert_eq!(
            store
                .stop_subject_items(a.id, "tcss", Subjects::Keys(&key))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .stop_subject_items(b.id, "ms", Subjects::Keys(&key))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .stop_subject_items(a.id, "ms", Subjects::Keys(&key))
                .await
                .unwrap(),
            1
        );
        let g = store
            .scan_group::<AppGroup>(a.id, "ms", g.id)
            .await
            .unwrap();
        assert_eq!(g.stop_reason, None);

        // The deadline: only this product's groups with unfinished tasks expire.
        assert!(store
            .expire_scan_groups(a.id, "ms", g.deadline_at)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .expire_scan_groups(a.id, "tcss", i64::MAX)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .expire_scan_groups(a.id, "ms", g.deadline_at + 1)
                .await
                .unwrap(),
            vec![g.id]
        );
        let items: Vec<GroupItem<App>> = store.group_items(a.id, g.id).await.unwrap();
        assert!(items.iter().all(|i| i.task.state == TaskState::Stopped));
        // Stopped again: nothing left to ask, the first reason stays.
        assert_eq!(
            store
                .stop_scan_group(a.id, g.id, StopReason::Cancel)
                .await
                .unwrap(),
            0
        );
        let g = store
            .scan_group::<AppGroup>(a.id, "ms", g.id)
            .await
            .unwrap();
        assert_eq!(g.stop_reason, Some(StopReason::Timeout));
        assert!(g.stopped_at.is_some());
        assert!(matches!(
            store.stop_scan_group(b.id, g.id, StopReason::Cancel).await,
            Err(StoreError::NotFound)
        ));
        assert!(store
            .expire_scan_groups(a.id, "ms", i64::MAX)
            .await
            .unwrap()
            .is_empty());

        // A whole group stopped on request.
        let g2: ScanGroup<AppGroup> = store.create_scan_group(a.id, &apps(2)).await.unwrap();
        assert_eq!(
            store
                .stop_scan_group(a.id, g2.id, StopReason::Cancel)
                .await
                .unwrap(),
            2
        );
        let g2 = store
            .scan_group::<AppGroup>(a.id, "ms", g2.id)
            .await
            .unwrap();
        assert_eq!(g2.stop_reason, Some(StopReason::Cancel));
        let listed = store
            .scan_groups::<AppGroup>(a.id, "ms", None, 1)
            .await
            .unwrap();
        assert_eq!(listed.iter().map(|g| g.id).collect::<Vec<_>>(), vec![g2.id]);
    }
}

#[tokio::test]
async fn a_fired_task_fans_out_into_a_group_once() {
    for store in stores("groups").await {
        let a = store.create_account("a").await.unwrap();
        let fired_target = json!({"scheduled": "apps"});
        let fired = store
            .enqueue(&NewTask {
                account_id: a.id,
                spec: TaskSpec {
                    target: fired_target.clone(),
                    ..app_spec("")
                },
                run_after: 0,
                schedule_id: Some(1),
            })
            .await
            .unwrap();
        let mut plan = apps(2);
        plan.origin = GroupOrigin::Schedule;
        let empty = NewScanGroup {
            items: vec![],
            ..plan.clone()
        };
        assert!(store
            .fan_out_scan_group(a.id, fired, &fired_target, &empty)
            .await
            .is_err());
        let g = store
            .fan_out_scan_group(a.id, fired, &fired_target, &plan)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(g.origin, GroupOrigin::Schedule);
        let items: Vec<GroupItem<App>> = store.group_items(a.id, g.id).await.unwrap();
        assert_eq!(items[0].task.id, fired);
        assert_eq!(items[0].task.target["md5"], md5(1));
        assert_ne!(items[1].task.id, fired);
        assert!(store
            .fan_out_scan_group(a.id, fired, &fired_target, &plan)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            store
                .scan_groups::<AppGroup>(a.id, "ms", None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

/// TCSS's facts as migration 10 writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TcssFacts {
    one_click: bool,
    scanners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TcssItem {
    scanners: Vec<String>,
}

fn image_spec(image: &str) -> TaskSpec {
    TaskSpec {
        product: "tcss".into(),
        kind: "image".into(),
        target: json!({"image": "oci:/x", "image_id": image}),
        options: json!({"scanners": ["vuln"]}),
        max_attempts: 1,
        job_id: None,
    }
}

/// Write image scans as schema 9 kept them, straight into its tables.
async fn write_old_scans(url: &str, account: i64, image_row: i64, image: &str, tasks: [i64; 2]) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    for sql in [
        "INSERT INTO image_scans (id, account_id, kind, one_click, origin, scanners, timeout_secs, deadline_at, created_at) \
         VALUES (7, $1, 'local', 1, 'api', '[\"vuln\",\"risk\"]', 3600, 3601000, 1000)",
        "INSERT INTO image_scans (id, account_id, kind, one_click, origin, scanners, timeout_secs, deadline_at, stop_reason, stopped_at, created_at) \
         VALUES (12, $1, 'registry', 0, 'schedule', '[\"virus\"]', 60, 61000, 'cancel', 5000, 1000)",
    ] {
        sqlx::query(sql).bind(account).execute(&pool).await.unwrap();
    }
    for (id, scan, task, scanners, errors) in [
        (3_i64, 7_i64, tasks[0], "[\"vuln\",\"risk\"]", "{}"),
        (
            5,
            12,
            tasks[1],
            "[\"virus\"]",
            "{\"virus\":\"rules missing\"}",
        ),
    ] {
        sqlx::query(
            "INSERT INTO image_scan_items (id, account_id, scan_id, image_row, image_id, task_id, scanners, errors, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1000)",
        )
        .bind(id)
        .bind(account)
        .bind(scan)
        .bind(image_row)
        .bind(image)
        .bind(task)
        .bind(scanners)
        .bind(errors)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn image_scans_written_before_migration_10_survive_it() {
    for url in vigil_testkit::database_urls("groups-migration").await {
        let old = Store::open_migrated_to(&url, vigil_testkit::secrets(), 9)
            .await
            .unwrap();
        let a = old.create_account("a").await.unwrap();
        let image = format!("sha256:{}", "ab".repeat(32));
        let img = old
            .upsert_image(
                a.id,
                &NewImage {
                    image_id: image.clone(),
                    source: "oci:/x".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut tasks = [0; 2];
        for t in &mut tasks {
            *t = old
                .enqueue(&NewTask {
                    account_id: a.id,
                    spec: image_spec(&image),
                    run_after: 0,
                    schedule_id: None,
                })
                .await
                .unwrap();
        }
        write_old_scans(&url, a.id, img.id, &image, tasks).await;
        old.close().await;

        let store = Store::open(&url, vigil_testkit::secrets()).await.unwrap();
        let g7: ScanGroup<TcssFacts> = store.scan_group(a.id, "tcss", 7).await.unwrap();
        assert_eq!((g7.kind.as_str(), g7.origin), ("local", GroupOrigin::Api));
        assert_eq!(
            g7.facts,
            TcssFacts {
                one_click: true,
                scanners: vec!["vuln".into(), "risk".into()]
            }
        );
        assert_eq!((g7.timeout_secs, g7.deadline_at), (3600, 3_601_000));
        assert_eq!((g7.stop_reason, g7.created_at), (None, 1000));
        let g12: ScanGroup<TcssFacts> = store.scan_group(a.id, "tcss", 12).await.unwrap();
        assert_eq!(
            (g12.kind.as_str(), g12.origin),
            ("registry", GroupOrigin::Schedule)
        );
        assert!(!g12.facts.one_click);
        assert_eq!(g12.stop_reason, Some(StopReason::Cancel));
        assert_eq!(g12.stopped_at, Some(5000));

        let items: Vec<GroupItem<TcssItem>> = store.group_items(a.id, 12).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, 5);
        assert_eq!(items[0].group_id, 12);
        assert_eq!(items[0].subject_row, Some(img.id));
        assert_eq!(items[0].subject_key, image);
        assert_eq!(items[0].facts.scanners, vec!["virus"]);
        assert_eq!(items[0].errors["virus"], "rules missing");
        assert_eq!(items[0].task.id, tasks[1]);
        let state = store.image_scan_state::<TcssItem>(a.id).await.unwrap();
        assert_eq!(state.latest[&img.id].task.id, tasks[1]);

        // New ids go on after the copied ones.
        let g: ScanGroup<TcssFacts> = store
            .create_image_scan(
                a.id,
                &NewScanGroup {
                    product: "tcss".into(),
                    kind: "local".into(),
                    origin: GroupOrigin::Api,
                    timeout_secs: 60,
                    facts: g7.facts.clone(),
                    items: vec![NewGroupItem {
                        subject_row: Some(img.id),
                        subject_key: image.clone(),
                        facts: TcssItem {
                            scanners: vec!["vuln".into()],
                        },
                        spec: image_spec(&image),
                    }],
                },
            )
            .await
            .unwrap();
        assert!(g.id > 12, "group id {}", g.id);
        let items: Vec<GroupItem<TcssItem>> = store.group_items(a.id, g.id).await.unwrap();
        assert!(items[0].id > 5, "item id {}", items[0].id);
        // The old tables are gone.
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        assert!(sqlx::query("SELECT COUNT(*) FROM image_scans")
            .fetch_one(&pool)
            .await
            .is_err());
        pool.close().await;
    }
}
