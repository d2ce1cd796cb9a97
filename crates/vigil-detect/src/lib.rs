//! Vigil content detection.
//!
//! This crate owns deciding, from a file's path and bytes alone, whether the file is malware, holds
//! a secret or is a sensitive file: YARA rules (Vigil's built-in set in `rules/*.yar`, compiled
//! once, plus the operator's rule directories) run through `yara-x` ([`rules`]), SHA-256 / SHA-1 /
//! MD5 lists and ClamAV `.hdb` / `.hsb` hash databases matched against complete files
//! ([`hashes`]), secrets in text (private keys, cloud and SaaS tokens, passwords in configuration
//! files, credentials hard-coded in code, always reported with masked evidence; [`secrets`]) and
//! sensitive files recognised by path and content (SSH private keys, shell histories, credential
//! stores, weak `/etc/shadow` entries; [`sensitive`]). It knows nothing about where files come
//! from: callers (the image engine's inspector, later host agents) hand it `(path, data, size)`
//! and ask [`Scanner::wants`] first so that contents are read only when something will look at
//! them.
//!
//! It is also the one place secrets are recognised and hidden for every engine: the web engine
//! searches response bodies with [`Secrets::find`] (which also says where each secret is) and
//! shows texts through [`redact`]; everything masks with [`mask`], the workspace's one policy
//! (defined in `vigil-core` so that engines without content detection use it too).
//!
//! The YARA engine (`yara-x`, which brings a WebAssembly compiler) is behind the default feature
//! `yara`; crates that only need secrets and masking (the web engine) turn default features off.
//! Without it, a [`Config`] asking for YARA rules is refused ([`Error::NoYara`]).
//!
//! Build one [`Scanner`] from a [`Config`] (rules are compiled and hash lists read once; it is
//! `Send + Sync`), then scan with [`Scanner::scan`] or, for many files on one thread, with a
//! [`Session`] from [`Scanner::session`], which keeps one YARA scanning context instead of
//! creating one per file. Every result is a [`Detection`] (malware, secret or sensitive file)
//! with a rule id, severity, 1-based line where there is one, and evidence in which secrets are
//! masked.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hashes;
mod redact;
#[cfg(feature = "yara")]
pub mod rules;
pub mod secrets;
pub mod sensitive;
mod text;

mod scanner;

pub use hashes::{HashAlgorithm, HashDb, HashEntry};
pub use redact::redact;
#[cfg(feature = "yara")]
pub use rules::Rules;
pub use scanner::{Config, Limits, Scanner, Session};
pub use secrets::{Context, Found, Part, Secrets};
pub use text::mask;
pub use vigil_core::Severity;

use std::path::PathBuf;

/// What a [`Detection`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Malicious or unwanted software: a YARA rule or a hash list matched.
    Malware,
    /// A credential or key inside the file's contents.
    Secret,
    /// A file that is sensitive by what it is (an SSH private key, a shell history, a credential
    /// store, a weak password database entry).
    SensitiveFile,
}

impl Category {
    /// Lower-case name as used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Malware => "malware",
            Category::Secret => "secret",
            Category::SensitiveFile => "sensitive_file",
        }
    }
}

/// Which kind of detector produced a [`Detection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A YARA rule, built-in or from a rule directory.
    #[serde(rename = "yara")]
    Yara,
    /// A hash list or ClamAV hash database.
    #[serde(rename = "hash-list")]
    HashList,
    /// Vigil's own secret and sensitive-file checks (Rust code, not rules).
    #[serde(rename = "builtin")]
    Builtin,
}

impl Source {
    /// The name used on the wire: `yara`, `hash-list` or `builtin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Yara => "yara",
            Source::HashList => "hash-list",
            Source::Builtin => "builtin",
        }
    }
}

/// One thing found in one file.
///
/// `evidence` never holds a secret in full: secret values are shown through [`mask`] (at most
/// their first four characters, never more than a quarter, then `****`). For malware it is the
/// matched text (printable characters, bounded) or the matching hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// Malware, secret or sensitive file.
    pub category: Category,
    /// Stable rule identifier: the YARA rule name, `hash:<signature name>`, or a built-in id such
    /// as `github-pat` or `shadow-empty-password`.
    pub rule: String,
    /// One-line title.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// What was found and why it matters.
    pub description: String,
    /// What to do about it.
    pub remediation: String,
    /// 1-based line of the match in the file, when it has one.
    pub line: Option<u32>,
    /// What matched, masked for secrets.
    pub evidence: String,
    /// Malware class from the rule's `category` meta (`virus`, `webshell`, `miner`,
    /// `reverse-shell`, `hack-tool`, `test-file`, or a user rule's own value); `None` otherwise.
    pub class: Option<String>,
    /// The rule's `reference` meta (a URL), when it has one.
    pub reference: Option<String>,
    /// SHA-256 of the file, for malware detections on complete contents.
    pub sha256: Option<String>,
    /// MD5 of the file, for malware detections on complete contents.
    pub md5: Option<String>,
    /// Which detector found it.
    pub source: Source,
}

/// The fixed texts of one built-in (Rust-coded) rule.
pub(crate) struct RuleText {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    pub remediation: &'static str,
}

impl Detection {
    /// A detection of a built-in secret or sensitive-file rule.
    pub(crate) fn builtin(
        category: Category,
        rule: &RuleText,
        severity: Severity,
        line: Option<u32>,
        evidence: String,
    ) -> Detection {
        Detection {
            category,
            rule: rule.id.to_string(),
            title: rule.title.to_string(),
            severity,
            description: rule.description.to_string(),
            remediation: rule.remediation.to_string(),
            line,
            evidence,
            class: None,
            reference: None,
            sha256: None,
            md5: None,
            source: Source::Builtin,
        }
    }
}

/// Errors of building a [`Scanner`]: reading and compiling rules, reading hash lists.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A YARA rule file did not compile. `report` is yara-x's full diagnostic.
    #[error("YARA rule file {path} line {line}: {message}\n{report}")]
    RuleCompile {
        /// The rule file.
        path: PathBuf,
        /// 1-based line of the first error.
        line: usize,
        /// The error's title (for example `syntax error`).
        message: String,
        /// yara-x's annotated report with the offending source line.
        report: String,
    },
    /// A hash list line could not be parsed.
    #[error("hash list {path} line {line}: {reason}")]
    HashList {
        /// The hash list file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// YARA rules were asked for in a build without the `yara` feature.
    #[error("YARA rules need vigil-detect's `yara` feature, which this build does not have")]
    NoYara,
    /// A configured limit was exceeded while loading rules or hash lists.
    #[error("{path}: {reason}")]
    Limit {
        /// The file or directory.
        path: PathBuf,
        /// Which limit.
        reason: String,
    },
}
