//! The rules: what Vigil reports about an Android package, kept apart from the parsers. A
//! [`Rule`] is the stable description of one weakness (id, name, level, what it is, how to fix
//! it, CWE and MASVS references, Tencent MS's VulId); a [`Check`] looks at the [`Facts`] of one
//! package and reports [`Hit`]s of its rule, each saying where (the file and the component,
//! method or entry) and whether the place is the app's own code or a third-party library.
//! [`CHECKS`] is the one registry every run goes through; each check has a vulnerable test
//! app and a safe twin.

pub mod code;
pub mod manifest;
pub mod native;
pub mod signing;

use crate::dex::DexSummary;
use crate::package::Package;
use vigil_core::Severity;

/// One weakness Vigil reports.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (`apk.manifest.debuggable`, ...): part of every finding's fingerprint.
    pub id: &'static str,
    /// Tencent MS's `VulId` for it (its published examples where there is one).
    pub ms_id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// How bad.
    pub level: Severity,
    /// What it is and why it matters.
    pub description: &'static str,
    /// How to fix it.
    pub solution: &'static str,
    /// CWE, where one fits (`CWE-489`).
    pub cwe: Option<&'static str>,
    /// OWASP MASVS control, where one fits (`MASVS-RESILIENCE-2`).
    pub masvs: Option<&'static str>,
}

/// Where a hit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file in the package (`AndroidManifest.xml`, `classes2.dex`, `lib/arm64-v8a/x.so`).
    pub file: String,
    /// The element, component, method or entry (`receiver com.example.Boot`,
    /// `Lcom/example/Net;->trust()V`).
    pub code: String,
    /// Whether the place belongs to a third-party library rather than the app's own code.
    pub third_party: bool,
}

/// One occurrence of a rule in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule.
    pub rule: &'static Rule,
    /// Where.
    pub place: Place,
    /// The proof: the attribute and value, the instruction, the certificate field, as text.
    pub proof: String,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Rule {}

/// What the checks see of one package.
pub struct Facts<'p, 'a> {
    /// The package as read (container, manifest, network security config, signatures).
    pub package: &'p Package<'a>,
    /// The dex files that could be read, in load order, with their entry names.
    pub dex: &'p [(String, DexSummary)],
}

impl Facts<'_, '_> {
    /// Whether a class (descriptor `Lcom/example/Main;`) is the app's own: under the
    /// manifest's package. Everything else counts as third-party code.
    pub fn own_class(&self, descriptor: &str) -> bool {
        let Some(m) = &self.package.manifest else {
            return true;
        };
        let prefix = format!("L{}/", m.package.replace('.', "/"));
        descriptor.starts_with(&prefix)
    }
}

/// A check of one rule.
pub trait Check: Sync {
    /// The rule it reports.
    fn rule(&self) -> &'static Rule;
    /// Report every hit in `facts`.
    fn check(&self, facts: &Facts<'_, '_>, out: &mut Vec<Hit>);
}

/// A check that is one function: the rule and what reports its hits.
pub struct FnCheck {
    /// The rule.
    pub rule: &'static Rule,
    /// Reports the hits.
    pub run: fn(&Facts<'_, '_>, &mut Vec<Hit>),
}

impl Check for FnCheck {
    fn rule(&self) -> &'static Rule {
        self.rule
    }

    fn check(&self, facts: &Facts<'_, '_>, out: &mut Vec<Hit>) {
        (self.run)(facts, out)
    }
}

/// A hit of `rule` in the package's own file `file` at `code`.
pub fn hit(rule: &'static Rule, file: &str, code: String, proof: String) -> Hit {
    Hit {
        rule,
        place: Place {
            file: file.to_string(),
            code,
            third_party: false,
        },
        proof,
    }
}

/// Every check, in report order.
pub static CHECKS: &[&dyn Check] = &[
    &manifest::DEBUGGABLE_CHECK,
    &manifest::ALLOW_BACKUP_CHECK,
    &manifest::TEST_ONLY_CHECK,
    &manifest::CLEARTEXT_CHECK,
    &manifest::NSC_CLEARTEXT_CHECK,
    &manifest::NSC_USER_CAS_CHECK,
    &manifest::NSC_DEBUG_OVERRIDES_CHECK,
    &manifest::NSC_WEAK_PINNING_CHECK,
    &manifest::EXPORTED_ACTIVITY_CHECK,
    &manifest::EXPORTED_SERVICE_CHECK,
    &manifest::EXPORTED_RECEIVER_CHECK,
    &manifest::EXPORTED_PROVIDER_CHECK,
    &manifest::PROVIDER_GRANT_URI_CHECK,
    &manifest::WEAK_PERMISSION_CHECK,
    &manifest::TASK_HIJACKING_CHECK,
    &manifest::MIN_SDK_CHECK,
    &signing::JANUS_CHECK,
    &signing::DEBUG_CERTIFICATE_CHECK,
    &signing::WEAK_ALGORITHM_CHECK,
    &signing::EXPIRED_CERTIFICATE_CHECK,
    &signing::UNSIGNED_CHECK,
    &signing::INVALID_CHECK,
    &native::NO_STACK_PROTECTOR_CHECK,
    &native::EXECUTABLE_STACK_CHECK,
    &native::RWX_SEGMENT_CHECK,
    // Code (DEX) rules.
    &code::webview::JS_INTERFACE_CHECK,
    &code::webview::FILE_URL_ACCESS_CHECK,
    &code::webview::JAVASCRIPT_ENABLED_CHECK,
    &code::tls::TRUST_ALL_CHECK,
    &code::tls::HOSTNAME_ALLOW_ALL_CHECK,
    &code::tls::SSL_ERROR_PROCEED_CHECK,
    &code::crypto::CIPHER_ECB_CHECK,
    &code::crypto::WEAK_CIPHER_CHECK,
    &code::crypto::WEAK_HASH_CHECK,
    &code::crypto::HARDCODED_KEY_CHECK,
    &code::crypto::INSECURE_RANDOM_CHECK,
    &code::storage::WORLD_ACCESSIBLE_CHECK,
    &code::storage::EXTERNAL_STORAGE_CHECK,
    &code::runtime::DYNAMIC_CODE_CHECK,
    &code::runtime::COMMAND_EXEC_CHECK,
    &code::runtime::LOG_SECRETS_CHECK,
];

/// Run every check over `facts`.
pub fn run(facts: &Facts<'_, '_>) -> Vec<Hit> {
    let mut out = Vec::new();
    for c in CHECKS {
        c.check(facts, &mut out);
    }
    out
}
