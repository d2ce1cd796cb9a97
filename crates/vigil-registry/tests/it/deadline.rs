//! The overall deadline of blob downloads, against a registry of fixed content on loopback
//! (`testing::StaticRegistry`) that serves a manifest at once and then trickles a blob just
//! fast enough never to stall: the download fails with the deadline named (async and through
//! the blocking reader), in about the deadline, and the connection is closed; the same blob
//! served at full speed reads and verifies within the same deadline.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_engine::{ScopeGuard, ScopePolicy};
use vigil_registry::testing::{StaticRegistry, Trickle};
use vigil_registry::{Client, ClientConfig, Reference, RegistryError};

fn client(reg: &StaticRegistry, deadline: Duration) -> Client {
    let scope = Arc::new(ScopeGuard::new(ScopePolicy {
        allow: vec!["127.0.0.1/32".parse().unwrap()],
        deny: vec![],
    }));
    let mut cfg = ClientConfig::new(&reg.addr(), scope);
    cfg.insecure_http = true;
    cfg.timeout = Duration::from_secs(10);
    cfg.blob_deadline = deadline;
    Client::new(cfg).unwrap()
}

/// 64 KiB trickled 256 bytes every 25 ms: some 6.5 s in all, never silent for long.
fn slow() -> Option<Trickle> {
    Some(Trickle {
        chunk: 256,
        every: Duration::from_millis(25),
    })
}

fn blob() -> Vec<u8> {
    (0..64 * 1024).map(|i| (i % 251) as u8).collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_trickling_blob_fails_at_the_deadline() {
    let reg = StaticRegistry::start().unwrap();
    let digest = reg.add_image("slow/app", "1", b"{}".to_vec(), vec![(blob(), slow())]);
    let c = client(&reg, Duration::from_secs(1));

    // The manifest comes at once.
    let r = Reference::parse(&format!("{}/slow/app:1", reg.addr())).unwrap();
    let m = c.manifest(&r).await.unwrap();
    assert_eq!(m.digest, digest);
    let v: serde_json::Value = serde_json::from_slice(&m.bytes).unwrap();
    let layer = vigil_registry::Digest::parse(v["layers"][0]["digest"].as_str().unwrap()).unwrap();

    // The blob does not come in time.
    let started = Instant::now();
    let mut reader = c.blob("slow/app", &layer, Some(64 * 1024)).await.unwrap();
    let mut out = Vec::new();
    let err = tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut out)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let err = RegistryError::from_io(&err).expect("a registry error");
    assert!(
        matches!(err, RegistryError::Deadline { deadline, .. } if *deadline == Duration::from_secs(1)),
        "{err}"
    );
    assert!(err.to_string().contains("blob_deadline"), "{err}");
    assert!(err.to_string().contains(&layer.to_string()), "{err}");
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert!(out.len() < 64 * 1024);
    drop(reader);
    wait_until("the connection is closed", || {
        reg.trickling() == 0 && reg.abandoned() == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_blob_fails_at_the_deadline_through_the_blocking_reader() {
    let reg = StaticRegistry::start().unwrap();
    let layer = reg.add_blob("slow/app", blob(), slow());
    let c = client(&reg, Duration::from_secs(1));
    let reader = c
        .blob_reader_blocking("slow/app", &layer, Some(64 * 1024))
        .await
        .unwrap();
    let started = Instant::now();
    let err = tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap_err()
    })
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
    let err = RegistryError::from_io(&err).expect("a registry error");
    assert!(matches!(err, RegistryError::Deadline { .. }), "{err}");
}

#[tokio::test]
async fn a_blob_in_time_reads_and_verifies() {
    let reg = StaticRegistry::start().unwrap();
    let fast = reg.add_blob("fast/app", blob(), None);
    let c = client(&reg, Duration::from_secs(5));
    let mut reader = c.blob("fast/app", &fast, Some(64 * 1024)).await.unwrap();
    let mut out = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut out)
        .await
        .unwrap();
    assert_eq!(out, blob());
    assert!(reader.is_verified());
    // The default deadline is half an hour.
    let cfg = ClientConfig::new("r.example", Arc::new(ScopeGuard::default()));
    assert_eq!(cfg.blob_deadline, Duration::from_secs(30 * 60));
}
