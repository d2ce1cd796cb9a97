//! Stopping image reads from a registry, against a registry of fixed content on loopback
//! (`vigil_registry::testing::StaticRegistry`) that serves the manifest and config at once and
//! then trickles the layer just fast enough never to stall: the read fails at the client's
//! blob deadline, naming it; and an engine run that is dropped (as a worker's timeout drops it)
//! or cancelled stops its blocking read promptly, which the registry sees as the client
//! hanging up on the trickle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;
use vigil_engine::{Engine, EngineError, RateLimiter, ScanCtx, ScopeGuard, ScopePolicy};
use vigil_engine_image::testing::{file, Layer, TestImage};
use vigil_engine_image::{read, ImageEngine, ImageError, ReadOptions, RegistryAccess, Source};
use vigil_registry::testing::{StaticRegistry, Trickle};
use vigil_registry::{Client, ClientConfig};
use vigil_testkit::engine::CollectSink;

fn loopback() -> Arc<ScopeGuard> {
    Arc::new(ScopeGuard::new(ScopePolicy {
        allow: vec!["127.0.0.1/32".parse().unwrap()],
        deny: vec![],
    }))
}

/// A registry serving `slow/app:1`: one layer holding a 1 MiB file, trickled 1 KiB every
/// 20 ms (some 20 s in all).
fn registry() -> StaticRegistry {
    let img = TestImage::new(vec![Layer::new(vec![
        file("etc/os-release", "ID=test\n"),
        file("data/big.bin", vec![7u8; 1 << 20]),
    ])]);
    let reg = StaticRegistry::start().unwrap();
    let trickle = Trickle {
        chunk: 1024,
        every: Duration::from_millis(20),
    };
    reg.add_image(
        "slow/app",
        "1",
        img.config_json().unwrap(),
        vec![(img.layers[0].blob().unwrap(), Some(trickle))],
    );
    reg
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_layer_fails_at_the_blob_deadline() {
    let reg = registry();
    let mut cfg = ClientConfig::new(&reg.addr(), loopback());
    cfg.insecure_http = true;
    cfg.blob_deadline = Duration::from_secs(1);
    let opts = ReadOptions {
        registry: Some(RegistryAccess {
            client: Arc::new(Client::new(cfg).unwrap()),
            handle: tokio::runtime::Handle::current(),
        }),
        ..ReadOptions::default()
    };
    let source = Source::parse(&format!("registry:{}/slow/app:1", reg.addr())).unwrap();
    let started = Instant::now();
    let err = tokio::task::spawn_blocking(move || read(&source, &opts, &|_| true))
        .await
        .unwrap()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(err.root(), ImageError::Registry(_)), "{err:?}");
    assert!(err.to_string().contains("blob_deadline"), "{err}");
    wait_until("the layer's connection is closed", || {
        reg.trickling() == 0 && reg.abandoned() == 1
    })
    .await;
}

fn engine() -> ImageEngine {
    let detector = vigil_detect::Scanner::new(vigil_detect::Config::default()).unwrap();
    ImageEngine::new(std::env::temp_dir(), Arc::new(detector), None)
}

fn ctx() -> ScanCtx {
    ScanCtx {
        cancel: CancellationToken::new(),
        rate: Arc::new(RateLimiter::new(None)),
        scope: loopback(),
        sink: Arc::new(CollectSink::default()),
    }
}

fn target(reg: &StaticRegistry) -> serde_json::Value {
    json!({
        "image": format!("registry:{}/slow/app:1", reg.addr()),
        "registry": {"insecure": true},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_an_engine_run_stops_its_blocking_read() {
    let reg = registry();
    let engine = engine();
    let ctx = ctx();
    let options = json!({"scanners": ["sbom"]});
    let target = target(&reg);
    // The run is abandoned mid-layer: its future is dropped, nothing cancels the token.
    let run = engine.run(&ctx, &target, &options);
    assert!(tokio::time::timeout(Duration::from_millis(1500), run)
        .await
        .is_err());
    assert_eq!(reg.trickling(), 1, "the layer was being read");
    let took = wait_until("the blocking read stopped", || {
        reg.trickling() == 0 && reg.abandoned() == 1
    })
    .await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(reg.completed(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_engine_run_stops_its_blocking_read() {
    let reg = registry();
    let engine = engine();
    let ctx = ctx();
    let options = json!({"scanners": ["sbom"]});
    let target = target(&reg);
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let r = engine.run(&ctx, &target, &options).await;
    assert!(matches!(r, Err(EngineError::Cancelled)), "{:?}", r.err());
    assert!(started.elapsed() < Duration::from_secs(4));
    wait_until("the blocking read stopped", || {
        reg.trickling() == 0 && reg.abandoned() == 1
    })
    .await;
}
