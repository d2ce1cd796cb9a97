//! The image engine behind Vigil's common [`Engine`] trait (task kind `image`): the target
//! names an image (`{"image": "registry:HOST/REPO:TAG" | "docker-archive:PATH" | "oci:PATH" |
//! "dir:PATH", "image_id": "sha256:...", "registry": {"username", "password_sealed",
//! "purpose", "insecure", "skip_tls_verify", "ca_pem"}}`), the options choose the scanners (`{"scanners":
//! ["vuln", "virus", "risk"], "platform": "linux/arm64"}`). A registry password travels
//! sealed in the task and is unsealed only here, by the function the binary gives the
//! engine. Registry connections go through the run's scope guard. The scan itself runs on a
//! blocking thread ([`run_blocking`]); a cancelled run stops waiting for it at once, and so
//! does a run whose future is dropped (a worker's timeout, an abandoned run): either way the
//! read's stop flag is set, and the read stops at its next check (the next file, chunk, or read
//! of a layer's bytes). Each registry blob read is bounded by the client's deadline
//! (`ClientConfig::blob_deadline`, 30 minutes by default).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use vigil_engine::{Coverage, Engine, EngineError, ScanCtx};

use crate::scan::{self, ScanConfig, Scanners};
use crate::{Platform, ReadOptions, RegistryAccess, RegistryLogin, Source};

/// Opens a sealed secret: (ciphertext, purpose) to plaintext.
pub use vigil_engine::Unseal;

/// The image engine.
pub struct ImageEngine {
    data_dir: PathBuf,
    detector: Arc<vigil_detect::Scanner>,
    unseal: Option<Unseal>,
}

impl ImageEngine {
    /// An engine using the vulnerability database of `data_dir`, the content scanner
    /// `detector` (compiled once, shared by all runs) and, for registry passwords, `unseal`.
    pub fn new(
        data_dir: PathBuf,
        detector: Arc<vigil_detect::Scanner>,
        unseal: Option<Unseal>,
    ) -> Self {
        ImageEngine {
            data_dir,
            detector,
            unseal,
        }
    }
}

use vigil_core::spec::image::{ImageOptions, ImageTarget};

/// What an image run examined: every finding kind of the scanners that ran, over the whole
/// image (a finding of those kinds not seen again is gone from the image).
#[derive(Debug)]
struct KindsCoverage(BTreeSet<&'static str>);

impl Coverage for KindsCoverage {
    fn covers(&self, finding: &vigil_core::Finding) -> bool {
        self.0.contains(finding.kind.as_str())
    }
}

fn bad(msg: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(msg.into())
}

/// Sets a stop flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `job` on a blocking thread and waits for it. `stop` (the flag `job` checks) is set
/// when `cancelled` completes (the run is then [`EngineError::Cancelled`] at once) and when
/// the returned future is dropped before `job` ends, so abandoned work stops at its next check
/// instead of running on unseen. A `job` that ends first is unaffected.
pub async fn run_blocking<T: Send + 'static>(
    stop: Arc<AtomicBool>,
    cancelled: impl Future<Output = ()>,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, EngineError> {
    let _guard = StopOnDrop(stop);
    let handle = tokio::task::spawn_blocking(job);
    tokio::select! {
        r = handle => r.map_err(|e| EngineError::Failed(format!("image scan thread: {e}"))),
        () = cancelled => Err(EngineError::Cancelled),
    }
}

/// The image engine's task kind.
pub const KIND: &str = "image";
/// The image engine's version (also named by `vigil scan image`, which reads images without
/// going through [`ImageEngine`]).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[async_trait]
impl Engine for ImageEngine {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    /// Runs over the same image (by image id) share one scope, whatever tag or registry
    /// it was read from.
    fn scope_key(&self, target: &Value) -> Option<String> {
        ImageTarget::deserialize(target)
            .ok()?
            .image_id
            .filter(|s| !s.is_empty())
            .map(|id| format!("image:{id}"))
    }

    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        let (t, o): (ImageTarget, ImageOptions) = vigil_engine::contract(target, options)?;
        let scanners = match &o.scanners {
            Some(list) => Scanners::parse(&list.iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .map_err(bad)?,
            None => Scanners::default(),
        };
        let source = Source::parse(&t.image).map_err(|e| bad(e.to_string()))?;
        let mut read = ReadOptions::default();
        if let Some(p) = &o.platform {
            read.platform = Some(Platform::parse(p).map_err(|e| bad(e.to_string()))?);
        }
        if let Source::Registry(reference) = &source {
            let r = t.registry.unwrap_or_default();
            let password = match (&r.password_sealed, &self.unseal) {
                (Some(sealed), Some(unseal)) => unseal(sealed, r.purpose.as_deref().unwrap_or(""))
                    .map_err(|e| EngineError::Failed(format!("registry password: {e}")))?,
                (Some(_), None) => {
                    return Err(EngineError::Failed(
                        "the registry password is sealed and this engine cannot open it".into(),
                    ))
                }
                (None, _) => String::new(),
            };
            let login = RegistryLogin {
                username: r.username,
                password,
                ca_pem: r.ca_pem.map(String::into_bytes),
                insecure_http: r.insecure,
                skip_tls_verify: r.skip_tls_verify,
            };
            read.registry = Some(
                RegistryAccess::connect(reference, ctx.scope.clone(), login)
                    .map_err(|e| EngineError::Failed(e.to_string()))?,
            );
        }
        // The blocking read stops at its next check once the run is cancelled or dropped.
        let stop = Arc::new(AtomicBool::new(false));
        read.cancel = Some(stop.clone());
        let cfg = ScanConfig {
            scanners,
            read,
            data_dir: scanners.vuln.then(|| self.data_dir.clone()),
            detector: (scanners.virus || scanners.risk).then(|| self.detector.clone()),
        };
        ctx.sink.progress(5);
        let reference = t.image.clone();
        let report = run_blocking(stop, ctx.cancel.cancelled(), move || {
            scan::scan(&source, &reference, &cfg)
        })
        .await?;
        let report = report.map_err(|e| match e {
            scan::ScanError::Config(m) => EngineError::InvalidInput(m),
            scan::ScanError::Image(crate::ImageError::Cancelled) => EngineError::Cancelled,
            other => EngineError::Failed(other.to_string()),
        })?;
        if let Some(want) = &t.image_id {
            if !want.is_empty() && report.image_id() != want && report.image.digest != *want {
                return Err(EngineError::Failed(format!(
                    "the image read from {} is {}, not the expected {want} (the tag moved?)",
                    t.image,
                    report.image_id()
                )));
            }
        }
        ctx.sink.progress(90);
        for c in report.components() {
            ctx.check_cancelled()?;
            ctx.sink.component(c).await?;
        }
        for f in report.findings() {
            ctx.check_cancelled()?;
            ctx.sink.finding(f).await?;
        }
        ctx.sink.progress(100);
        Ok(Box::new(KindsCoverage(
            scanners.kinds().into_iter().collect(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// A reader that blocks 20 ms per byte, forever.
    struct Slow;

    impl Read for Slow {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            std::thread::sleep(Duration::from_millis(20));
            match buf.first_mut() {
                Some(b) => {
                    *b = 0;
                    Ok(1)
                }
                None => Ok(0),
            }
        }
    }

    /// A job reading [`Slow`] until `stop` is set (checking it between reads, as the image
    /// reader does); it reports on `exited` when it stops.
    fn slow_job(stop: Arc<AtomicBool>, exited: mpsc::Sender<u64>) -> impl FnOnce() -> u64 {
        move || {
            let mut read = 0u64;
            let mut buf = [0u8; 16];
            while !stop.load(Ordering::Relaxed) {
                read += Slow.read(&mut buf).unwrap_or(0) as u64;
            }
            let _ = exited.send(read);
            read
        }
    }

    #[tokio::test]
    async fn dropping_the_run_stops_the_blocking_read() {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, exited) = mpsc::channel();
        let run = run_blocking(
            stop.clone(),
            std::future::pending(),
            slow_job(stop.clone(), tx),
        );
        // The run is abandoned (as a worker's timeout does): its future is dropped.
        assert!(tokio::time::timeout(Duration::from_millis(200), run)
            .await
            .is_err());
        assert!(stop.load(Ordering::Relaxed), "the drop set the stop flag");
        let started = Instant::now();
        let read = exited
            .recv_timeout(Duration::from_secs(5))
            .expect("the blocking read stopped");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(read > 0);
    }

    #[tokio::test]
    async fn cancelling_the_run_stops_the_blocking_read() {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, exited) = mpsc::channel();
        let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(run_blocking(
            stop.clone(),
            async move {
                let _ = cancelled.await;
            },
            slow_job(stop.clone(), tx),
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = cancel.send(());
        let r = tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("the run returned at once")
            .expect("no panic");
        assert!(matches!(r, Err(EngineError::Cancelled)), "{r:?}");
        assert!(exited.recv_timeout(Duration::from_secs(5)).is_ok());
    }

    #[tokio::test]
    async fn a_finished_job_is_returned() {
        let stop = Arc::new(AtomicBool::new(false));
        let r = run_blocking(stop.clone(), std::future::pending(), || 7).await;
        assert!(matches!(r, Ok(7)));
    }
}
