//! The `apk` engine as workers and `vigil scan apk` run it: the package is taken from a file
//! Vigil holds or downloaded through the scope guard (size cap, deadline), refused unless its
//! MD5 (and size) are the ones the caller promised, mapped into memory, read once
//! ([`Package::read`] and a [`DexSummary`] per dex), and every rule's hits become findings of
//! kind [`KIND_VULN`] with [`ApkVulnEvidence`]. The reading runs on a blocking thread and
//! checks for cancellation between stages. A bundle (`.apks`, XAPK, APKM) is scanned as its
//! base APK. Asked for viruses, it also reports packers and
//! what `vigil-detect`'s rules find in its code, libraries and assets ([`crate::malware`]);
//! asked for sensitive information, the secrets (masked), URLs, addresses and e-mail
//! addresses in its code and resources ([`crate::sensitive`]). What the package is and holds (the app, its
//! permissions, its SDKs against the engine's signature set) is reported as components
//! ([`crate::inventory`]), so a product can show what the app says it is.

use crate::dex::{Dex, DexSummary};
use crate::inventory::{self, Digests};
use crate::package::Package;
use crate::rules::{self, Facts, Hit};
use crate::sdks::Signatures;
use crate::zip::ZipLimits;
use crate::{malware, sensitive};
use async_trait::async_trait;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use vigil_core::spec::apk::{
    ApkOptions, ApkScan, ApkSource, ApkTarget, ApkVulnEvidence, ERROR_DOWNLOAD, ERROR_MD5,
    ERROR_SIZE, KIND_PACKER, KIND_SENSITIVE, KIND_VIRUS, KIND_VULN,
};
use vigil_core::{Component, Finding};
use vigil_engine::fetch::{download, FetchLimits};
use vigil_engine::{Coverage, Engine, EngineError, Everything, Nothing, ScanCtx};

/// Largest package read when the task does not say (500 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 500 * 1024 * 1024;

/// The Android package engine.
#[derive(Debug, Clone)]
pub struct ApkEngine {
    /// Where downloads are written while they are scanned (removed afterwards).
    pub work_dir: PathBuf,
    /// Time allowed for a download.
    pub download_deadline: Duration,
    /// The SDK signatures classes are matched against.
    pub sdks: Arc<Signatures>,
    /// The malware rules (`vigil-detect`'s built-in set), or why they could not be compiled.
    pub detect: Result<Arc<vigil_detect::Scanner>, String>,
}

/// The built-in malware rules, compiled once per process.
fn builtin_detect() -> Result<Arc<vigil_detect::Scanner>, String> {
    static RULES: OnceLock<Result<Arc<vigil_detect::Scanner>, String>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            malware::default_scanner()
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
}

/// What a run examined completely: the findings of the kinds it looked for.
#[derive(Debug)]
struct Kinds(Vec<&'static str>);

impl Coverage for Kinds {
    fn covers(&self, f: &Finding) -> bool {
        self.0.contains(&f.kind.as_str())
    }
}

impl Default for ApkEngine {
    fn default() -> Self {
        ApkEngine {
            work_dir: std::env::temp_dir(),
            download_deadline: Duration::from_secs(600),
            sdks: Arc::new(Signatures::builtin()),
            detect: builtin_detect(),
        }
    }
}

/// The Exodus Privacy tracker database in a data directory (what `vigil db update` keeps),
/// merged over the built-in SDK signatures when present.
pub const EXODUS_FILE: &str = "android/exodus-trackers.json";

impl ApkEngine {
    /// The engine with the built-in SDK signatures plus the Exodus database under
    /// `data_dir` ([`EXODUS_FILE`]) when there is one; a database that cannot be read is an
    /// error, so that the operator learns of it rather than scanning with less.
    pub fn with_data_dir(data_dir: &Path) -> crate::Result<ApkEngine> {
        let path = data_dir.join(EXODUS_FILE);
        let mut sdks = Signatures::builtin();
        if path.exists() {
            sdks = sdks.merge(Signatures::load_exodus_path(&path)?)?;
        }
        Ok(ApkEngine {
            sdks: Arc::new(sdks),
            ..ApkEngine::default()
        })
    }
}

/// What one package gave: its findings and its components.
struct Outcome {
    findings: Vec<Finding>,
    components: Vec<Component>,
}

fn bad(why: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(why.into())
}

#[async_trait]
impl Engine for ApkEngine {
    fn kind(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Runs over the same package (by MD5) share one scope.
    fn scope_key(&self, target: &Value) -> Option<String> {
        let t: ApkTarget = serde::Deserialize::deserialize(target).ok()?;
        t.md5.map(|m| format!("apk:{}", m.to_ascii_lowercase()))
    }

    async fn run(
        &self,
        ctx: &ScanCtx,
        target: &Value,
        options: &Value,
    ) -> Result<Box<dyn Coverage>, EngineError> {
        let (t, o): (ApkTarget, ApkOptions) = vigil_engine::contract(target, options)?;
        let max_bytes = o.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
        let mut kinds = Vec::new();
        if o.wants(ApkScan::Vul) {
            kinds.push(KIND_VULN);
        }
        let detect = if o.wants(ApkScan::Virus) {
            kinds.extend([KIND_VIRUS, KIND_PACKER]);
            let d = self.detect.clone().map_err(|e| {
                EngineError::Failed(format!("the malware rules could not be compiled: {e}"))
            })?;
            Some(d)
        } else {
            None
        };
        if o.wants(ApkScan::Sensitive) {
            kinds.push(KIND_SENSITIVE);
        }
        let everything = o.scans.is_empty();
        // A download lives in a temporary file removed when this run ends.
        let mut _download = None;
        let path: PathBuf = match &t.source {
            ApkSource::Path(p) => PathBuf::from(p),
            ApkSource::Url(url) => {
                let file = tempfile::Builder::new()
                    .prefix("vigil-apk-")
                    .suffix(".apk")
                    .tempfile_in(&self.work_dir)
                    .map_err(|e| {
                        EngineError::Failed(format!("cannot make a download file: {e}"))
                    })?;
                let limits = FetchLimits {
                    max_bytes,
                    deadline: self.download_deadline,
                    ..FetchLimits::default()
                };
                let fetched = tokio::select! {
                    r = download(&ctx.scope, url, file.path(), limits) => r,
                    _ = ctx.cancel.cancelled() => return Err(EngineError::Cancelled),
                }
                .map_err(|e| EngineError::Failed(format!("{ERROR_DOWNLOAD}: {e}")))?;
                check_digest(&t, &fetched.md5, fetched.size)?;
                let p = file.path().to_path_buf();
                _download = Some(file);
                p
            }
        };
        ctx.check_cancelled()?;
        let cancel = ctx.cancel.clone();
        let target = t.clone();
        let sdks = self.sdks.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let tools = Tools {
                sdks: &sdks,
                detect: detect.as_deref(),
            };
            scan_file(&path, &target, &o, tools, max_bytes, &|| {
                cancel.is_cancelled()
            })
        })
        .await
        .map_err(|e| EngineError::Failed(format!("the scan stopped: {e}")))??;
        for c in outcome.components {
            ctx.sink.component(c).await?;
        }
        for f in outcome.findings {
            ctx.sink.finding(f).await?;
        }
        ctx.sink.progress(100);
        // A run tells what was fixed only among the kinds it looked for.
        Ok(if kinds.is_empty() {
            Box::new(Nothing)
        } else if everything {
            Box::new(Everything)
        } else {
            Box::new(Kinds(kinds))
        })
    }
}

fn check_digest(t: &ApkTarget, md5: &str, size: u64) -> Result<(), EngineError> {
    if let Some(want) = &t.md5 {
        if !want.trim().eq_ignore_ascii_case(md5) {
            return Err(bad(format!(
                "{ERROR_MD5}: it is {md5}, not the promised {}; it was not scanned",
                want.trim()
            )));
        }
    }
    if let Some(want) = t.size.filter(|s| *s > 0) {
        if want != size {
            return Err(bad(format!(
                "{ERROR_SIZE}: it is {size} bytes, not the promised {want}; it was not scanned"
            )));
        }
    }
    Ok(())
}

/// The base APK of a bundle: a package without a manifest of its own holding `base.apk`
/// (APKM), `base-master.apk` (bundletool's `.apks`, under `splits/`) or, failing those, its
/// largest top-level `.apk` (XAPK's `<package>.apk`).
fn bundle_base(package: &Package<'_>) -> Option<String> {
    if package.manifest.is_some() {
        return None;
    }
    let apks: Vec<_> = package
        .archive
        .entries()
        .iter()
        .filter(|e| !e.is_dir() && e.name.to_ascii_lowercase().ends_with(".apk"))
        .collect();
    let file = |n: &str| n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
    apks.iter()
        .find(|e| file(&e.name) == "base.apk")
        .or_else(|| apks.iter().find(|e| file(&e.name) == "base-master.apk"))
        .or_else(|| {
            apks.iter()
                .filter(|e| !e.name.contains('/'))
                .max_by_key(|e| e.uncompressed_size)
        })
        .map(|e| e.name.clone())
}

/// What a scan matches the package against.
#[derive(Clone, Copy)]
struct Tools<'a> {
    sdks: &'a Signatures,
    detect: Option<&'a vigil_detect::Scanner>,
}

/// Read and check one package file (on a blocking thread).
fn scan_file(
    path: &Path,
    target: &ApkTarget,
    options: &ApkOptions,
    tools: Tools<'_>,
    max_bytes: u64,
    cancelled: &dyn Fn() -> bool,
) -> Result<Outcome, EngineError> {
    let file = std::fs::File::open(path)
        .map_err(|e| bad(format!("cannot open {}: {e}", path.display())))?;
    let len = file
        .metadata()
        .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?
        .len();
    if len > max_bytes {
        return Err(bad(format!(
            "the app is {len} bytes, over the limit of {max_bytes}"
        )));
    }
    // SAFETY: the map is read-only and private to this run; a file changed underneath would
    // give wrong bytes, never memory unsafety, since every read is bounds-checked.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| EngineError::Failed(format!("cannot map {}: {e}", path.display())))?;
    let data: &[u8] = &map;
    // The digests take as long as reading the package: they run beside it, and nothing is
    // reported before the MD5 is known to be the promised one.
    let now = vigil_core::now_millis() / 1000;
    let (md5, sha256, package) = std::thread::scope(|s| {
        let md5 = s.spawn(|| hex::encode(<md5::Md5 as md5::Digest>::digest(data)));
        let sha256 = s.spawn(|| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)));
        let package = Package::read(data, &ZipLimits::default(), now);
        (md5.join(), sha256.join(), package)
    });
    let (Ok(md5), Ok(sha256)) = (md5, sha256) else {
        return Err(EngineError::Failed("the digest threads stopped".into()));
    };
    if let ApkSource::Path(_) = target.source {
        check_digest(target, &md5, len)?;
    }
    let package = package.map_err(|e| bad(format!("not an Android package: {e}")))?;
    // A bundle (`.apks`, XAPK, APKM) holds the app as an APK inside: its base is scanned.
    let base_bytes;
    let package = match bundle_base(&package) {
        Some(name) => {
            base_bytes = package
                .archive
                .read_name(&name)
                .ok()
                .flatten()
                .ok_or_else(|| bad(format!("the bundle's {name} cannot be read")))?;
            Package::read(&base_bytes, &ZipLimits::default(), now).map_err(|e| {
                bad(format!(
                    "the bundle's {name} is not an Android package: {e}"
                ))
            })?
        }
        None => package,
    };
    // A manifest that cannot be read is a finding of its own (malware breaks them on
    // purpose); a zip with neither a manifest nor code is not a package at all.
    if package.archive.by_name(crate::package::MANIFEST).is_none() && package.dex_names().is_empty()
    {
        return Err(bad(
            "not an Android package: it has neither AndroidManifest.xml nor classes.dex",
        ));
    }
    if cancelled() {
        return Err(EngineError::Cancelled);
    }
    let mut dex = Vec::new();
    for name in package.dex_names() {
        if cancelled() {
            return Err(EngineError::Cancelled);
        }
        let Ok(Some(bytes)) = package.archive.read_name(&name) else {
            continue;
        };
        if let Ok(summary) = Dex::parse(&bytes).and_then(|d| DexSummary::build(&d)) {
            dex.push((name, summary));
        }
    }
    // The malware rules read every dex, library and asset again: they run beside the
    // weakness rules and the search for sensitive strings.
    let (hits, sensitive, virus) = std::thread::scope(|s| {
        let virus = options
            .wants(ApkScan::Virus)
            .then(|| s.spawn(|| malware::findings(&package, &dex, tools.detect, &md5, &sha256)));
        let hits = if options.wants(ApkScan::Vul) {
            rules::run(&Facts {
                package: &package,
                dex: &dex,
            })
        } else {
            Vec::new()
        };
        let sensitive = if options.wants(ApkScan::Sensitive) && !cancelled() {
            sensitive::findings(&package, &md5, &sha256)
        } else {
            Vec::new()
        };
        (hits, sensitive, virus.map(|h| h.join()))
    });
    if cancelled() {
        return Err(EngineError::Cancelled);
    }
    let mut findings: Vec<Finding> = hits.iter().map(|h| finding(h, &md5, &sha256)).collect();
    if let Some(virus) = virus {
        findings.extend(virus.map_err(|_| EngineError::Failed("the malware scan stopped".into()))?);
    }
    findings.extend(sensitive);
    let digests = Digests {
        md5: &md5,
        sha256: &sha256,
        size: len,
    };
    let components = inventory::components(&package, &dex, tools.sdks, options, digests);
    Ok(Outcome {
        findings,
        components,
    })
}

fn finding(h: &Hit, md5: &str, sha256: &str) -> Finding {
    let r = h.rule;
    let evidence = ApkVulnEvidence {
        rule: r.id.to_string(),
        ms_id: r.ms_id.to_string(),
        file: h.place.file.clone(),
        code: h.place.code.clone(),
        third_party: h.place.third_party,
        proof: h.proof.clone(),
        solution: r.solution.to_string(),
        masvs: r.masvs.map(str::to_string),
        md5: md5.to_string(),
        sha256: sha256.to_string(),
    };
    Finding {
        kind: KIND_VULN.into(),
        severity: Some(r.level),
        title: format!("{}: {}", r.name, h.place.code),
        description: Some(r.description.to_string()),
        path: Some(h.place.file.clone()),
        cwe: r.cwe.map(|c| vec![c.to_string()]).unwrap_or_default(),
        evidence: serde_json::to_value(&evidence).unwrap_or(Value::Null),
        identity: vec![
            r.id.to_string(),
            h.place.file.clone(),
            h.place.code.clone(),
            md5.to_string(),
        ],
        ..Default::default()
    }
}
