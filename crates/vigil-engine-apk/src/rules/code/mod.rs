//! The code rules: weaknesses found in the app's Dalvik code through the [`DexSummary`] of
//! each dex file (which methods invoke which method references, load which strings, use which
//! fields and types) and, where a call's arguments matter, through a bounded linear walk of
//! the calling method's instructions ([`insn`]) that knows which registers hold constants. A
//! [`CodeCheck`] pairs one [`Rule`] with the function that scans one dex file for it; every
//! hit names the dex entry, the method in smali form and whether the class is the app's own.
//! The rules are grouped by subject: [`webview`], [`tls`], [`crypto`], [`storage`] and
//! [`runtime`] (dynamic code, commands, logs). Reflection is deliberately not a finding.
//!
//! | id (`apk.code.`…) | ms_id | level | trigger |
//! | --- | --- | --- | --- |
//! | `webview_js_interface` | 200 | high | `addJavascriptInterface` with minSdkVersion < 17 |
//! | `webview_file_url_access` | 201 | high | `setAllow{File,Universal}AccessFromFileURLs(true)` |
//! | `webview_javascript_enabled` | 202 | info | `setJavaScriptEnabled(true)` |
//! | `trust_all_certificates` | 203 | high | `X509TrustManager.checkServerTrusted` only `return-void` |
//! | `hostname_verifier_allow_all` | 204 | high | `verify` returns true; Apache allow-all verifiers |
//! | `webview_ssl_error_proceed` | 205 | high | `onReceivedSslError` calls `SslErrorHandler.proceed()` |
//! | `cipher_ecb` | 206 | medium | `Cipher.getInstance("…/ECB/…")` or a bare block cipher |
//! | `cipher_weak_algorithm` | 207 | high | `Cipher.getInstance` of DES, 3DES, RC4, RC2, Blowfish |
//! | `weak_hash` | 208 | low | `MessageDigest.getInstance("MD5" / "SHA-1")` |
//! | `hardcoded_key` | 209 | high | key / IV spec from a constant string's bytes or array |
//! | `insecure_random` | 210 | medium | `java.util.Random` beside crypto; constant seeds |
//! | `world_accessible_mode` | 211 | high | `MODE_WORLD_READABLE` / `WRITEABLE` as a constant |
//! | `external_storage` | 212 | low | external storage directories asked for |
//! | `dynamic_code_loading` | 213 | medium | dex class loaders built, `DexFile.loadDex` |
//! | `command_execution` | 214 | medium | `Runtime.exec`, `ProcessBuilder.start` |
//! | `log_secrets` | 215 | low | `Log.*` in a method whose strings name a secret |
//!
//! Checks that need instructions read their dex entry again from the archive (once per
//! check and file, and only when the summary shows a candidate method).
//!
//! A summary that is empty or inconsistent (indices out of range) yields fewer hits, never a
//! panic; a dex entry that cannot be read again for its instructions is skipped by the
//! checks that need them.

/// `pub static $check: CodeCheck` reporting rule `$rule` with scan function `$scan`.
macro_rules! code_check {
    ($check:ident, $rule:ident, $scan:ident) => {
        #[doc = concat!("The check of [`", stringify!($rule), "`].")]
        pub static $check: super::CodeCheck = super::CodeCheck {
            rule: &$rule,
            scan: $scan,
        };
    };
}

pub mod crypto;
pub mod insn;
pub mod runtime;
pub mod storage;
pub mod tls;
pub mod webview;

use std::collections::HashMap;

use super::{Check, Facts, Hit, Place, Rule};
use crate::dex::{ClassSummary, Dex, DexSummary, MethodRef, MethodSummary};
use insn::Walk;

/// A check of one code rule: the rule and the function that scans one dex file for it.
pub struct CodeCheck {
    /// The rule reported.
    pub rule: &'static Rule,
    /// Scan one dex file, pushing hits.
    scan: fn(&Scope<'_, '_, '_>, &mut Vec<Hit>),
}

impl Check for CodeCheck {
    fn rule(&self) -> &'static Rule {
        self.rule
    }

    fn check(&self, facts: &Facts<'_, '_>, out: &mut Vec<Hit>) {
        for (file, dex) in facts.dex {
            let scope = Scope {
                facts,
                file,
                dex,
                rule: self.rule,
            };
            (self.scan)(&scope, out);
        }
    }
}

/// One dex file as one check scans it.
pub struct Scope<'s, 'p, 'a> {
    /// The package's facts.
    pub facts: &'s Facts<'p, 'a>,
    /// The dex entry's name (`classes2.dex`).
    pub file: &'s str,
    /// Its summary.
    pub dex: &'s DexSummary,
    /// The rule being checked.
    pub rule: &'static Rule,
}

/// A method of the dex file with its class.
pub type Method<'s> = (&'s ClassSummary, &'s MethodSummary);

impl<'s> Scope<'s, '_, '_> {
    /// The method `m` in smali form, `Lcom/x/Y;->m(I)V`.
    pub fn method_name(&self, (class, m): Method<'_>) -> String {
        match self.dex.method_refs.get(m.method_idx as usize) {
            Some(r) => r.to_string(),
            None => format!("{}->{}", class.descriptor, m.name),
        }
    }

    /// A hit of the rule in method `m` with `proof`.
    pub fn hit(&self, m: Method<'_>, proof: String) -> Hit {
        Hit {
            rule: self.rule,
            place: Place {
                file: self.file.to_string(),
                code: self.method_name(m),
                third_party: !self.facts.own_class(&m.0.descriptor),
            },
            proof,
        }
    }

    /// The method reference `idx`, if it is in range.
    pub fn method_ref(&self, idx: u32) -> Option<&'s MethodRef> {
        self.dex.method_refs.get(idx as usize)
    }

    /// The indices of the method references `pick` picks, sorted.
    pub fn refs_where(&self, pick: impl Fn(&MethodRef) -> bool) -> Vec<u32> {
        (0u32..)
            .zip(&self.dex.method_refs)
            .filter(|(_, r)| pick(r))
            .map(|(i, _)| i)
            .collect()
    }

    /// The methods (with code) invoking one of `targets` (sorted method reference indices).
    pub fn callers(&self, targets: &[u32]) -> Vec<Method<'s>> {
        if targets.is_empty() {
            return Vec::new();
        }
        self.methods()
            .filter(|(_, m)| m.invokes.iter().any(|i| targets.binary_search(i).is_ok()))
            .collect()
    }

    /// Every method of every class of the file.
    pub fn methods(&self) -> impl Iterator<Item = Method<'s>> + 's {
        let dex = self.dex;
        dex.classes
            .iter()
            .flat_map(|c| c.methods.iter().map(move |m| (c, m)))
    }

    /// The string `idx` of the file, if it is in range.
    pub fn string(&self, idx: u32) -> Option<&'s str> {
        self.dex.strings.get(idx as usize).map(|s| &**s)
    }

    /// Run `f` over the file's instructions: the dex entry read again and parsed, with a
    /// [`Walk`] bounded by the file's code unit limit. `None` when it cannot be read.
    pub fn with_code<R>(&self, f: impl FnOnce(&mut Walk<'_>) -> R) -> Option<R> {
        let bytes = self.facts.package.archive.read_name(self.file).ok()??;
        let dex = Dex::parse(&bytes).ok()?;
        let mut walk = Walk::new(&dex, self.dex);
        Some(f(&mut walk))
    }

    /// For each method invoking one of `targets`, its walked calls to them: `report` gets
    /// the method, the target reference and the call, and returns the proof of a hit.
    pub fn scan_calls(
        &self,
        targets: &[u32],
        out: &mut Vec<Hit>,
        report: impl Fn(&MethodRef, &insn::Call) -> Option<String>,
    ) {
        let callers = self.callers(targets);
        if callers.is_empty() {
            return;
        }
        self.with_code(|walk| {
            for m in callers {
                let Some(calls) = walk.calls(m.1.code_off) else {
                    continue;
                };
                for call in calls
                    .iter()
                    .filter(|c| targets.binary_search(&c.method).is_ok())
                {
                    let Some(target) = self.method_ref(call.method) else {
                        continue;
                    };
                    if let Some(proof) = report(target, call) {
                        out.push(self.hit(m, proof));
                    }
                }
            }
        });
    }

    /// For each method invoking one of `targets` (sorted), each target it invokes: `report`
    /// gets the method and the target and returns the proof of a hit.
    pub fn scan_callers(
        &self,
        targets: &[u32],
        out: &mut Vec<Hit>,
        report: impl Fn(Method<'s>, &MethodRef) -> Option<String>,
    ) {
        for m in self.callers(targets) {
            for &i in
                m.1.invokes
                    .iter()
                    .filter(|i| targets.binary_search(i).is_ok())
            {
                if let Some(proof) = self.method_ref(i).and_then(|r| report(m, r)) {
                    out.push(self.hit(m, proof));
                }
            }
        }
    }

    /// Every class of the package by descriptor (the first definition in load order), for
    /// walks up the superclasses.
    pub fn class_index(&self) -> HashMap<&'s str, &'s ClassSummary> {
        let mut index = HashMap::new();
        for (_, dex) in self.facts.dex {
            for c in &dex.classes {
                index.entry(&*c.descriptor).or_insert(c);
            }
        }
        index
    }

    /// Whether `class` implements `interface` (a descriptor) itself, through a superclass
    /// defined in the package, or by extending one of `bases`; the walk up is bounded.
    /// `index` is the package's [`Scope::class_index`].
    pub fn implements(
        index: &HashMap<&str, &ClassSummary>,
        class: &ClassSummary,
        interface: &str,
        bases: &[&str],
    ) -> bool {
        let mut c = Some(class);
        for _ in 0..MAX_SUPERCLASSES {
            let Some(cur) = c else { return false };
            if cur.interfaces.iter().any(|i| &**i == interface) {
                return true;
            }
            let Some(sup) = cur.superclass.as_deref() else {
                return false;
            };
            if bases.contains(&sup) {
                return true;
            }
            c = index.get(sup).copied();
        }
        false
    }
}

/// Most superclasses walked up by [`Scope::implements`] (a loop of superclasses in a hostile
/// file ends there).
const MAX_SUPERCLASSES: usize = 32;

/// Whether reference `r` is `name` with parameters `params` (descriptors, concatenated), of
/// any class: app subclasses of platform classes (`Lcom/x/MyWebView;->addJavascriptInterface`)
/// call through their own class.
pub fn named(r: &MethodRef, name: &str, params: &str) -> bool {
    &*r.name == name && r.proto.params.concat() == params
}

/// Whether a walked argument is a constant `true` (any non-zero integer).
pub fn is_true(k: Option<insn::Known>) -> bool {
    matches!(k, Some(insn::Known::Int(v)) if v != 0)
}
