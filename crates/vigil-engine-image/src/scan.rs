//! One image scan, synchronously: the image is read once — the package analyzers' files kept,
//! binaries, archives and (for the virus and risk scanners) every other file streamed through
//! the inspectors — then packages are matched against the vulnerability database, and file
//! detections and configuration risks are collected. [`Report`] holds everything;
//! [`Report::findings`] and [`Report::components`] turn it into Vigil's finding model and
//! inventory, the same for the CLI and the worker.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use vigil_core::spec::image_evidence::{
    AdvisoryEvidence, CvssEvidence, FixStatus, MatchedEvidence, PackageEvidence, RiskEvidence,
    RiskType, VirusEvidence, VulnEvidence,
};
pub use vigil_core::spec::image_evidence::{KIND_RISK, KIND_VIRUS, KIND_VULN};
use vigil_core::{Component, Finding, Severity};

use crate::risks::{self, Risk};
use crate::sbom::{self, Binaries, Inventory, OsRelease, Package};
use crate::{Image, ImageError, Inspector, Inspectors, LayerInfo, ReadOptions, Source};

/// Which scanners run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanners {
    /// Package vulnerabilities (needs a vulnerability database).
    pub vuln: bool,
    /// Malware by rules and hash lists.
    pub virus: bool,
    /// Secrets, sensitive files and configuration risks.
    pub risk: bool,
}

impl Default for Scanners {
    fn default() -> Self {
        Scanners {
            vuln: true,
            virus: true,
            risk: true,
        }
    }
}

impl Scanners {
    /// From names (`vuln`, `virus`, `risk`), or `sbom` alone for the inventory only (which
    /// every scan takes); at least one name, no unknown name.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Scanners, String> {
        let mut s = Scanners::none();
        let mut sbom = false;
        for n in names {
            match n.as_ref().trim() {
                "vuln" => s.vuln = true,
                "virus" => s.virus = true,
                "risk" => s.risk = true,
                "sbom" => sbom = true,
                other => {
                    return Err(format!(
                        "unknown scanner {other:?}: expected vuln, virus, risk or sbom"
                    ))
                }
            }
        }
        match (sbom, s.vuln || s.virus || s.risk) {
            (true, true) => {
                Err("`sbom` (inventory only) cannot be combined with other scanners".into())
            }
            (false, false) => Err("no scanner chosen: give vuln, virus, risk, or sbom".into()),
            _ => Ok(s),
        }
    }

    /// No scanner: the inventory only.
    pub fn none() -> Scanners {
        Scanners {
            vuln: false,
            virus: false,
            risk: false,
        }
    }

    /// The finding kinds these scanners report.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k = Vec::new();
        if self.vuln {
            k.push(KIND_VULN);
        }
        if self.virus {
            k.push(KIND_VIRUS);
        }
        if self.risk {
            k.push(KIND_RISK);
        }
        k
    }
}

/// A file detection (malware, secret, sensitive file) from a content scanner, already
/// confirmed to be in the final view.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDetection {
    /// The file.
    pub path: String,
    /// The layer that wrote it.
    pub layer: usize,
    /// Its size in bytes.
    pub size: u64,
    /// The detection.
    pub detection: vigil_detect::Detection,
}

/// How to scan.
#[derive(Clone, Default)]
pub struct ScanConfig {
    /// Which scanners.
    pub scanners: Scanners,
    /// How to read the image.
    pub read: ReadOptions,
    /// Data directory holding the vulnerability database (`DATA_DIR/vulndb/`); required when
    /// the vulnerability scanner runs.
    pub data_dir: Option<PathBuf>,
    /// Content scanner (rules, hash lists, secrets); required when the virus or risk scanner
    /// runs.
    pub detector: Option<Arc<vigil_detect::Scanner>>,
}

/// What one scan found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The reference scanned, as given.
    pub reference: String,
    /// The image as read (its view keeps only the contents the analyzers needed).
    pub image: Image,
    /// The distribution, from os-release.
    pub os: Option<OsRelease>,
    /// Packages and the files that could not be read.
    pub inventory: Inventory,
    /// Vulnerable packages: index into `inventory.packages`, and the match.
    pub vulns: Vec<(usize, vigil_vulndb::Match)>,
    /// File detections in the final view.
    pub detections: Vec<FileDetection>,
    /// Configuration risks.
    pub risks: Vec<Risk>,
    /// Which scanners ran.
    pub scanners: Scanners,
    /// Things the user should know (ecosystems without advisories, files skipped, ...).
    pub notes: Vec<String>,
}

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image could not be read.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The vulnerability database is missing or unreadable.
    #[error("vulnerability database: {0}")]
    VulnDb(#[from] vigil_vulndb::DbError),
    /// A scanner was asked for without what it needs.
    #[error("{0}")]
    Config(String),
}

/// Collects content detections keyed by (path, layer).
struct Detections<'a> {
    scanner: &'a vigil_detect::Scanner,
    session: vigil_detect::Session<'a>,
    found: Vec<FileDetection>,
}

impl Inspector for Detections<'_> {
    fn wants(&self, meta: &crate::FileMeta) -> bool {
        meta.kind == crate::FileKind::File && self.scanner.wants(&meta.path, meta.size)
    }

    fn inspect(&mut self, meta: &crate::FileMeta, data: &[u8]) {
        // The same path written twice in one layer: the last copy counts.
        self.found
            .retain(|d| !(d.path == meta.path && d.layer == meta.layer));
        for detection in self.session.scan(&meta.path, data, meta.size) {
            self.found.push(FileDetection {
                path: meta.path.clone(),
                layer: meta.layer,
                size: meta.size,
                detection,
            });
        }
    }
}

/// The OSV ecosystem of a package, given the image's distribution (`None`: no advisory source
/// is known for it).
pub fn osv_ecosystem(p: &Package, os: Option<&OsRelease>) -> Option<&'static str> {
    let distro = os.map(|o| o.id.as_str()).unwrap_or("");
    Some(match p.ecosystem {
        "deb" => match distro {
            "debian" => "Debian",
            "ubuntu" => "Ubuntu",
            _ => return None,
        },
        "apk" => match distro {
            "alpine" => "Alpine",
            "wolfi" => "Wolfi",
            "chainguard" => "Chainguard",
            _ => return None,
        },
        "rpm" => match distro {
            "rhel" => "Red Hat",
            "rocky" => "Rocky Linux",
            "almalinux" => "AlmaLinux",
            "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => "openSUSE",
            "sles" | "sled" => "SUSE",
            _ => return None,
        },
        "pypi" => "PyPI",
        "npm" => "npm",
        "golang" => "Go",
        "cargo" => "crates.io",
        "maven" => "Maven",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        _ => return None,
    })
}

/// The database query for a package.
fn query(p: &Package, eco: &str, os: Option<&OsRelease>) -> vigil_vulndb::Query {
    // OSV writes Go versions without their `v`.
    let version = if p.ecosystem == "golang" {
        p.version.trim_start_matches('v').to_string()
    } else {
        p.version.clone()
    };
    let mut q = vigil_vulndb::Query::new(eco, &p.name, &version);
    if matches!(p.ecosystem, "deb" | "apk" | "rpm") {
        if let Some(release) = os.and_then(|o| o.version_id.as_deref()) {
            q = q.with_release(release);
        }
        if let Some(src) = &p.source_name {
            q = q.with_source(src, p.source_version.as_deref());
        }
    }
    q
}

/// Scans an image. Synchronous: call it from `spawn_blocking` in async code.
pub fn scan(source: &Source, reference: &str, cfg: &ScanConfig) -> Result<Report, ScanError> {
    let s = cfg.scanners;
    let db = if s.vuln {
        let dir = cfg.data_dir.as_ref().ok_or_else(|| {
            ScanError::Config("the vulnerability scanner needs a data directory".into())
        })?;
        Some(vigil_vulndb::Database::open_existing(dir)?)
    } else {
        None
    };
    let detector = if s.virus || s.risk {
        Some(cfg.detector.as_deref().ok_or_else(|| {
            ScanError::Config("the virus and risk scanners need a content scanner".into())
        })?)
    } else {
        None
    };

    // One budget for all the scan keeps: contents, made-up sparse bytes, inventories.
    let budget = crate::KeptBudget::of(&cfg.read.limits);
    let mut binaries = Binaries::within(budget.clone());
    let keep = sbom::keep_within(&cfg.read.limits);
    let mut detections = detector.map(|scanner| Detections {
        scanner,
        session: scanner.session(),
        found: Vec::new(),
    });
    let image = {
        let mut all: Vec<&mut dyn Inspector> = vec![&mut binaries];
        if let Some(d) = detections.as_mut() {
            all.push(d);
        }
        crate::read_within(source, &cfg.read, &keep, &mut Inspectors(all), &budget)?
    };
    let inventory = sbom::inventory(&image, &binaries, &budget)?;
    let os = sbom::distro(&image);
    let mut notes: Vec<String> = inventory
        .skipped
        .iter()
        .map(|sk| format!("not read: {} ({})", sk.path, sk.reason))
        .collect();

    let mut vulns = Vec::new();
    if let Some(db) = &db {
        let mut unknown: BTreeSet<String> = BTreeSet::new();
        for (i, p) in inventory.packages.iter().enumerate() {
            let Some(eco) = osv_ecosystem(p, os.as_ref()) else {
                unknown.insert(format!(
                    "{} packages of {}",
                    p.ecosystem,
                    os.as_ref()
                        .map_or("an unknown distribution", |o| o.id.as_str())
                ));
                continue;
            };
            for m in db.matches(&query(p, eco, os.as_ref()))? {
                vulns.push((i, m));
            }
        }
        for u in unknown {
            notes.push(format!("no advisory source for {u}; not matched"));
        }
    }

    let detections: Vec<FileDetection> = detections
        .map(|d| d.found)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| image.fs.holds(&d.path, d.layer))
        .filter(|d| match d.detection.category {
            vigil_detect::Category::Malware => s.virus,
            _ => s.risk,
        })
        .collect();
    let risks = if s.risk {
        risks::config_risks(&image)
    } else {
        Vec::new()
    };
    Ok(Report {
        reference: reference.to_string(),
        image,
        os,
        inventory,
        vulns,
        detections,
        risks,
        scanners: s,
        notes,
    })
}

fn severity_of(label: &str) -> Severity {
    match label {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" | "moderate" => Severity::Medium,
        "low" => Severity::Low,
        // `unknown` (no score or label in any advisory) and `none`: reported, at the bottom.
        _ => Severity::Info,
    }
}

impl Report {
    /// The image's identity: its image id (config digest), else the manifest digest.
    pub fn image_id(&self) -> &str {
        if self.image.config_digest.is_empty() {
            &self.image.digest
        } else {
            &self.image.config_digest
        }
    }

    /// Every finding, in a stable order: vulnerabilities, file detections, configuration risks.
    /// Each finding's identity ends with the image id, so the same problem in two images is
    /// two findings and a rescan of one image updates its own.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = self.findings_unscoped();
        let id = self.image_id().to_string();
        for f in &mut out {
            f.identity.push(id.clone());
        }
        out
    }

    fn findings_unscoped(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, m) in &self.vulns {
            let Some(p) = self.inventory.packages.get(*i) else {
                continue;
            };
            out.push(vuln_finding(p, m, &self.image.layers));
        }
        for d in &self.detections {
            out.push(detection_finding(d));
        }
        for r in &self.risks {
            out.push(risk_finding(r));
        }
        out
    }

    /// The inventory as components: the distribution (kind `os`), then every package.
    pub fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        if let Some(os) = &self.os {
            out.push(Component {
                name: os.id.clone(),
                version: os.version_id.clone(),
                kind: "os".into(),
                purl: None,
                path: Some("/etc/os-release".into()),
                detail: None,
            });
        }
        out.extend(self.inventory.packages.iter().map(Component::from));
        out
    }
}

fn vuln_finding(p: &Package, m: &vigil_vulndb::Match, layers: &[LayerInfo]) -> Finding {
    let a = &m.advisory;
    let cves = a.cves();
    let id = cves.first().cloned().unwrap_or_else(|| a.id.clone());
    let fixed = match &m.fixed_version {
        Some(f) => format!("; fixed in {f}"),
        None => "; no fixed version yet".into(),
    };
    let description = a
        .summary
        .clone()
        .or_else(|| a.details.clone())
        .map(|d| d.chars().take(2000).collect::<String>());
    Finding {
        kind: KIND_VULN.into(),
        severity: Some(severity_of(a.severity.as_str())),
        title: format!("{id} in {} {}{fixed}", p.name, p.version),
        description,
        path: Some(p.path.clone()),
        cve: cves,
        evidence: evidence(&VulnEvidence {
            package: PackageEvidence {
                name: p.name.clone(),
                version: p.version.clone(),
                ecosystem: p.ecosystem.to_string(),
                purl: p.purl.clone(),
                path: p.path.clone(),
                layer: p.layer,
                layer_digest: layers.get(p.layer).map(|l| l.digest.clone()),
                layer_cmd: layers.get(p.layer).and_then(|l| l.created_by.clone()),
                source_name: p.source_name.clone(),
                source_version: p.source_version.clone(),
            },
            matched: MatchedEvidence {
                package: m.package.clone(),
                ecosystem: m.ecosystem.clone(),
                version: m.version.clone(),
            },
            fixed_version: m.fixed_version.clone(),
            fix_status: if m.fixed_version.is_some() {
                FixStatus::Fixed
            } else {
                FixStatus::NotFixed
            },
            advisory: AdvisoryEvidence {
                id: a.id.clone(),
                aliases: a.aliases.clone(),
                related: m.related.clone(),
                summary: a.summary.clone(),
                details: a.details.as_ref().map(|d| d.chars().take(4000).collect()),
                severity: a.severity.as_str().to_string(),
                cvss: a.cvss.as_ref().map(|c| CvssEvidence {
                    score: c.score,
                    vector: c.vector.clone(),
                    version: c.version.clone(),
                }),
                references: a
                    .references
                    .iter()
                    .map(|r| r.url.clone())
                    .take(50)
                    .collect(),
                published: a.published.clone(),
                modified: a.modified.clone(),
                source: a.source.clone(),
            },
        }),
        identity: vec![id, p.ecosystem.to_string(), p.name.clone(), p.path.clone()],
        fixable: m.fixed_version.is_some(),
        ..Default::default()
    }
}

fn detection_finding(d: &FileDetection) -> Finding {
    let x = &d.detection;
    let malware = x.category == vigil_detect::Category::Malware;
    let evidence = if malware {
        self::evidence(&VirusEvidence {
            file: d.path.clone(),
            layer: d.layer,
            rule: x.rule.clone(),
            line: x.line,
            description: x.description.clone(),
            remediation: x.remediation.clone(),
            source: x.source.as_str().to_string(),
            category: x.class.clone(),
            sha256: x.sha256.clone(),
            md5: x.md5.clone(),
            reference: x.reference.clone(),
            size: d.size,
            matched: x.evidence.clone(),
        })
    } else {
        self::evidence(&RiskEvidence {
            kind: match x.category {
                vigil_detect::Category::Secret => RiskType::Secret,
                _ => RiskType::SensitiveFile,
            },
            rule: x.rule.clone(),
            file: Some(d.path.clone()),
            layer: Some(d.layer),
            line: x.line,
            masked: x.evidence.clone(),
            description: x.description.clone(),
            remediation: x.remediation.clone(),
            source: Some(x.source.as_str().to_string()),
        })
    };
    let mut identity = vec![x.rule.clone(), d.path.clone()];
    if let Some(line) = x.line {
        identity.push(line.to_string());
    }
    Finding {
        kind: if malware { KIND_VIRUS } else { KIND_RISK }.into(),
        severity: Some(x.severity),
        title: format!("{} in {}", x.title, d.path),
        description: Some(x.description.clone()),
        path: Some(d.path.clone()),
        evidence,
        identity,
        sensitive: !malware,
        ..Default::default()
    }
}

fn risk_finding(r: &Risk) -> Finding {
    Finding {
        kind: KIND_RISK.into(),
        severity: Some(r.severity),
        title: r.title.clone(),
        description: Some(r.description.clone()),
        path: r.file.clone(),
        evidence: evidence(&RiskEvidence {
            kind: r.kind,
            rule: r.rule.clone(),
            file: r.file.clone(),
            layer: r.layer,
            line: r.line,
            masked: r.masked.clone(),
            description: r.description.clone(),
            remediation: r.remediation.clone(),
            source: None,
        }),
        identity: vec![
            r.rule.clone(),
            r.file.clone().unwrap_or_default(),
            r.masked.clone(),
        ],
        sensitive: matches!(r.kind, RiskType::Secret | RiskType::SensitiveFile),
        ..Default::default()
    }
}

/// A finding's evidence as stored: the contract's struct as JSON.
fn evidence<T: serde::Serialize>(e: &T) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}
