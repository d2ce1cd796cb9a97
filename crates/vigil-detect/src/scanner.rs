//! The [`Scanner`]: every detector behind one call, and the per-thread [`Session`] that reuses a
//! YARA scanning context between files (YARA only with the `yara` feature).

use std::path::PathBuf;
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::hashes::HashDb;
#[cfg(feature = "yara")]
use crate::rules::{Meta, Rules};
use crate::secrets::Secrets;
use crate::sensitive;
#[cfg(feature = "yara")]
use crate::text::{line_of, printable};
use crate::{Category, Detection, Error, Severity, Source};

/// Bounds on the work done per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a file given to the YARA rules (the first ones). Default 64 MiB.
    pub max_yara_bytes: usize,
    /// Time one YARA scan may take before it is abandoned. Default 30 s.
    pub yara_timeout: Duration,
    /// Bytes of a file searched for secrets. Default 4 MiB.
    pub max_secret_bytes: usize,
    /// Files larger than this are not searched for secrets at all (large files are archives,
    /// databases and binaries rather than configuration). Default 64 MiB.
    pub max_secret_file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_yara_bytes: 64 << 20,
            yara_timeout: Duration::from_secs(30),
            max_secret_bytes: 4 << 20,
            max_secret_file_size: 64 << 20,
        }
    }
}

/// What a [`Scanner`] looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Directories of user YARA rules (`*.yar`, `*.yara`, recursively).
    pub rules_dirs: Vec<PathBuf>,
    /// Hash list files (plain lists, ClamAV `.hdb` / `.hsb`).
    pub hash_files: Vec<PathBuf>,
    /// Use Vigil's built-in YARA rules.
    pub builtin_rules: bool,
    /// Search contents for secrets.
    pub secrets: bool,
    /// Recognise sensitive files (SSH keys, histories, credential stores, `/etc/shadow`).
    pub sensitive_files: bool,
    /// Bounds per file.
    pub limits: Limits,
}

impl Default for Config {
    /// Built-in rules, secrets and sensitive files on; no user rules or hash lists.
    fn default() -> Self {
        Config {
            rules_dirs: Vec::new(),
            hash_files: Vec::new(),
            builtin_rules: true,
            secrets: true,
            sensitive_files: true,
            limits: Limits::default(),
        }
    }
}

/// All detectors, built once from a [`Config`]. `Send + Sync`: share it between threads and
/// give each thread a [`Session`] (or call [`Scanner::scan`], which makes one per call).
#[derive(Debug)]
pub struct Scanner {
    #[cfg(feature = "yara")]
    rules: Option<Rules>,
    hashes: HashDb,
    secrets: Option<Secrets>,
    sensitive_files: bool,
    limits: Limits,
}

impl Scanner {
    /// Compiles the rules and reads the hash lists of `config`.
    /// Without the `yara` feature, a configuration asking for rules is refused
    /// ([`Error::NoYara`]).
    pub fn new(config: Config) -> Result<Scanner, Error> {
        let want_rules = config.builtin_rules || !config.rules_dirs.is_empty();
        #[cfg(feature = "yara")]
        let rules = if want_rules {
            Some(Rules::compile(config.builtin_rules, &config.rules_dirs)?)
        } else {
            None
        };
        #[cfg(not(feature = "yara"))]
        if want_rules {
            return Err(Error::NoYara);
        }
        let hashes = HashDb::load(&config.hash_files)?;
        Ok(Scanner {
            #[cfg(feature = "yara")]
            rules: rules.filter(|r| !r.is_empty()),
            hashes,
            secrets: config
                .secrets
                .then(|| Secrets::new(config.limits.max_secret_bytes)),
            sensitive_files: config.sensitive_files,
            limits: config.limits,
        })
    }

    /// The compiled YARA rules, if any.
    #[cfg(feature = "yara")]
    pub fn rules(&self) -> Option<&Rules> {
        self.rules.as_ref()
    }

    fn has_rules(&self) -> bool {
        #[cfg(feature = "yara")]
        return self.rules.is_some();
        #[cfg(not(feature = "yara"))]
        false
    }

    /// The hash lists.
    pub fn hashes(&self) -> &HashDb {
        &self.hashes
    }

    /// Whether [`Scanner::scan`] needs the contents of a file of this path and size; cheap (no
    /// I/O). Empty files are never needed.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        if size == 0 {
            return false;
        }
        self.has_rules()
            || (!self.hashes.is_empty() && self.hashes.wants_size(size))
            || (self.secrets.is_some() && size <= self.limits.max_secret_file_size)
            || (self.sensitive_files && sensitive::kind_of(path).is_some())
    }

    /// A session for scanning many files on one thread, reusing one YARA scanning context.
    pub fn session(&self) -> Session<'_> {
        #[cfg(feature = "yara")]
        let yara = self.rules.as_ref().map(|r| {
            let mut s = yara_x::Scanner::new(&r.inner);
            s.set_timeout(self.limits.yara_timeout);
            s.max_scan_size(self.limits.max_yara_bytes);
            s.fast_scan(true);
            s
        });
        Session {
            scanner: self,
            #[cfg(feature = "yara")]
            yara,
        }
    }

    /// Scans one file: `data` is its contents or their first part, `size` its real size. Hash
    /// lists match only complete contents (`data.len() as u64 == size`).
    pub fn scan(&self, path: &str, data: &[u8], size: u64) -> Vec<Detection> {
        self.session().scan(path, data, size)
    }
}

/// Scanning on one thread: holds a YARA scanning context borrowed from its [`Scanner`].
pub struct Session<'a> {
    scanner: &'a Scanner,
    #[cfg(feature = "yara")]
    yara: Option<yara_x::Scanner<'a>>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("yara", &self.scanner.has_rules())
            .finish()
    }
}

impl Session<'_> {
    /// Scans one file; see [`Scanner::scan`].
    pub fn scan(&mut self, path: &str, data: &[u8], size: u64) -> Vec<Detection> {
        let s = self.scanner;
        let mut out = Vec::new();
        if data.is_empty() && size == 0 {
            return out;
        }
        let complete = data.len() as u64 == size;

        // Hash lists.
        let mut sha256 = None;
        let mut md5 = None;
        if !s.hashes.is_empty() {
            let (found, digests) = s.hashes.check(data, size);
            sha256 = digests.sha256.clone();
            md5 = digests.md5.clone();
            for e in found {
                let hex = match e.algorithm {
                    crate::HashAlgorithm::Md5 => digests.md5.clone(),
                    crate::HashAlgorithm::Sha1 => digests.sha1.clone(),
                    crate::HashAlgorithm::Sha256 => digests.sha256.clone(),
                }
                .unwrap_or_default();
                out.push(Detection {
                    category: Category::Malware,
                    rule: format!("hash:{}", e.name),
                    title: format!("Known malicious file: {}", e.name),
                    severity: Severity::High,
                    description: format!(
                        "The file's {} is listed in the hash list {} as {}.",
                        e.algorithm.as_str().to_uppercase(),
                        e.list.display(),
                        e.name
                    ),
                    remediation: MALWARE_REMEDIATION.to_string(),
                    line: None,
                    evidence: format!("{} {hex}", e.algorithm.as_str()),
                    class: None,
                    reference: None,
                    sha256: None,
                    md5: None,
                    source: Source::HashList,
                });
            }
        }

        // YARA rules.
        #[cfg(feature = "yara")]
        if let Some(yara) = self.yara.as_mut() {
            match yara.scan(data) {
                Ok(results) => {
                    for rule in results.matching_rules() {
                        out.push(yara_detection(&rule, data));
                    }
                }
                Err(e) => out.push(Detection {
                    category: Category::Malware,
                    rule: "yara-scan-error".to_string(),
                    title: "YARA scan did not complete".to_string(),
                    severity: Severity::Info,
                    description: format!("The YARA rules could not finish on this file: {e}."),
                    remediation: "Scan the file with a longer timeout or fewer rules.".to_string(),
                    line: None,
                    evidence: String::new(),
                    class: None,
                    reference: None,
                    sha256: None,
                    md5: None,
                    source: Source::Yara,
                }),
            }
        }

        // Hashes of malware hits, when the contents are complete.
        if complete && out.iter().any(|d| d.category == Category::Malware) {
            let sha = sha256.unwrap_or_else(|| hex::encode(Sha256::digest(data)));
            let m = md5.unwrap_or_else(|| hex::encode(Md5::digest(data)));
            for d in out.iter_mut().filter(|d| d.category == Category::Malware) {
                d.sha256 = Some(sha.clone());
                d.md5 = Some(m.clone());
            }
        }

        // Sensitive files, then secrets (a credential store reported as a file is not reported
        // again line by line).
        let mut credential_store = false;
        if s.sensitive_files {
            let found = sensitive::scan(path, data, size);
            credential_store = !found.is_empty()
                && sensitive::kind_of(path).is_some_and(|k| k.is_credential_store());
            out.extend(found);
        }
        if let Some(secrets) = &s.secrets {
            if size <= s.limits.max_secret_file_size && !credential_store {
                out.extend(secrets.scan(path, data));
            }
        }
        out
    }
}

const MALWARE_REMEDIATION: &str = "Remove the file and rebuild the image from trusted sources; find out how it got there (base image, dependency, build step) and treat systems that ran the image as possibly compromised.";

#[cfg(feature = "yara")]
fn yara_detection(rule: &yara_x::Rule<'_, '_>, data: &[u8]) -> Detection {
    let meta = Meta::of(rule.metadata());
    let name = rule.identifier().to_string();
    let builtin = rule.namespace().starts_with("vigil/");
    // The first match of any pattern: its line and text are the evidence.
    let first = rule
        .patterns()
        .filter_map(|p| {
            let id = p.identifier().to_string();
            p.matches().next().map(|m| (m.range(), id))
        })
        .min_by_key(|(r, _)| r.start);
    let (line, evidence) = match first {
        Some((range, id)) => {
            let start = range.start.min(data.len());
            let end = range.end.min(data.len()).max(start);
            (
                Some(line_of(data, start)),
                format!(
                    "{id} at offset {start}: {}",
                    printable(&data[start..end], 120)
                ),
            )
        }
        None => (None, "condition matched without a string match".to_string()),
    };
    let severity = meta
        .severity
        .as_deref()
        .and_then(|s| s.parse::<Severity>().ok())
        .unwrap_or(Severity::High);
    let class = meta.category.clone();
    let label = match class.as_deref() {
        Some("virus") => "Virus",
        Some("webshell") => "Web shell",
        Some("miner") => "Cryptocurrency miner",
        Some("reverse-shell") => "Reverse shell",
        Some("hack-tool") => "Hacking tool",
        Some("test-file") => "Anti-virus test file",
        _ => "Malware",
    };
    let remediation = match class.as_deref() {
        Some("test-file") => "Remove the test file; it is harmless but should not ship in an image.".to_string(),
        Some("hack-tool") => "Remove the tool unless the image exists for authorised security testing, and find out who added it.".to_string(),
        _ => MALWARE_REMEDIATION.to_string(),
    };
    Detection {
        category: Category::Malware,
        title: format!("{label}: {name}"),
        description: meta.description.unwrap_or_else(|| {
            if builtin {
                format!("Vigil rule {name} matched.")
            } else {
                format!(
                    "User YARA rule {name} ({}) matched.",
                    rule.namespace().trim_start_matches("user/")
                )
            }
        }),
        rule: name,
        severity,
        remediation,
        line,
        evidence,
        class,
        reference: meta.reference,
        sha256: None,
        md5: None,
        source: Source::Yara,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn scanner_is_send_and_sync() {
        assert_send_sync::<Scanner>();
    }

    #[test]
    #[cfg(not(feature = "yara"))]
    fn rules_need_the_yara_feature() {
        assert!(matches!(
            Scanner::new(Config::default()),
            Err(Error::NoYara)
        ));
        let s = Scanner::new(Config {
            builtin_rules: false,
            ..Config::default()
        })
        .unwrap();
        let token = ["ghp_", "q8Zr2LmX0pVt7KcW4nYsB1dF6hJ9kQ3wE5rT"].concat();
        let found = s.scan("ci/run.sh", token.as_bytes(), token.len() as u64);
        assert_eq!(found[0].rule, "github-token");
    }

    #[test]
    #[cfg(feature = "yara")]
    fn a_yara_timeout_is_reported_not_lost() {
        let s = Scanner::new(Config {
            secrets: false,
            sensitive_files: false,
            limits: Limits {
                yara_timeout: Duration::ZERO,
                ..Limits::default()
            },
            ..Config::default()
        })
        .unwrap();
        let php = b"<?php @eval($_POST['x']); ?>";
        let found = s.scan("var/www/x.php", php, php.len() as u64);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "yara-scan-error");
        assert_eq!(found[0].severity, Severity::Info);
        assert!(
            found[0].description.contains("timeout"),
            "{}",
            found[0].description
        );
        // With the default timeout the same file is a web shell.
        let s = Scanner::new(Config::default()).unwrap();
        let found = s.scan("var/www/x.php", php, php.len() as u64);
        assert_eq!(found[0].rule, "PHP_Webshell_Eval_Request");
    }
}
