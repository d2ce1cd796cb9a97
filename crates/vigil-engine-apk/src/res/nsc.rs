//! The network security configuration (`res/xml/network_security_config.xml`, binary XML in
//! an APK) as Android 7+ reads it: a `<base-config>`, `<domain-config>`s (nested ones inherit
//! from their parent), and `<debug-overrides>` (in force only in debuggable apps), each with
//! `cleartextTrafficPermitted`, `<trust-anchors>` (`<certificates src="system|user|@raw/..">`)
//! and, for domains, a `<pin-set expiration="...">` of SHA-256 pins. Attributes are plain
//! (no namespace) and read by name, as Android's `XmlConfigSource` does.
//!
//! Defaults are Android's: cleartext permitted below target 28; trusted anchors the system's
//! and, below target 24, the user's too.

use crate::error::{ApkError, Result};
use crate::res::arsc::ResourceTable;
use crate::res::axml::{Attribute, Document, Element};
use crate::res::value::Value;

/// Most domain configurations read (Android has no limit; files have a handful).
const MAX_DOMAIN_CONFIGS: usize = 4096;

/// `<certificates>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificates {
    /// `system`, `user`, or a raw resource (its path when the table resolves it).
    pub src: String,
    /// `overridePins`.
    pub override_pins: bool,
}

/// `<pin>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Digest algorithm (`SHA-256`).
    pub digest: String,
    /// Base64 of the SubjectPublicKeyInfo digest.
    pub value: String,
}

/// `<pin-set>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PinSet {
    /// `expiration` date (`yyyy-MM-dd`), after which the pins are not enforced.
    pub expiration: Option<String>,
    /// Pins.
    pub pins: Vec<Pin>,
}

/// What one configuration block sets (unset fields inherit).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// `cleartextTrafficPermitted`.
    pub cleartext_permitted: Option<bool>,
    /// `<trust-anchors>`, when present.
    pub trust_anchors: Option<Vec<Certificates>>,
    /// `<pin-set>` (domain configurations only).
    pub pin_set: Option<PinSet>,
}

/// `<domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// Domain name.
    pub name: String,
    /// `includeSubdomains`.
    pub include_subdomains: bool,
}

/// `<domain-config>`, with its inherited settings already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainConfig {
    /// Its domains.
    pub domains: Vec<Domain>,
    /// Its settings as written.
    pub settings: Settings,
    /// Effective cleartext permission (own, else the parent's, else the base's).
    pub cleartext_permitted: Option<bool>,
    /// Effective trust anchors (own, else inherited).
    pub trust_anchors: Option<Vec<Certificates>>,
    /// Effective pin set (own, else the parent domain's).
    pub pin_set: Option<PinSet>,
}

/// A network security configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkSecurityConfig {
    /// `<base-config>`.
    pub base: Option<Settings>,
    /// Every `<domain-config>`, nested ones flattened after their parent.
    pub domains: Vec<DomainConfig>,
    /// `<debug-overrides>`.
    pub debug_overrides: Option<Settings>,
}

impl NetworkSecurityConfig {
    /// Read the configuration from the bytes of its binary XML file.
    pub fn parse(data: &[u8], table: Option<&ResourceTable<'_>>) -> Result<NetworkSecurityConfig> {
        NetworkSecurityConfig::from_document(&Document::parse(data)?, table)
    }

    /// Read the configuration of `doc`; `table` resolves `@raw/...` certificate sources.
    pub fn from_document(
        doc: &Document,
        table: Option<&ResourceTable<'_>>,
    ) -> Result<NetworkSecurityConfig> {
        let root = &doc.root;
        if root.name != "network-security-config" {
            return Err(ApkError::malformed(
                "network security config",
                format!("root element <{}>", root.name),
            ));
        }
        let mut out = NetworkSecurityConfig::default();
        for e in root.elements() {
            match e.name.as_str() {
                "base-config" if out.base.is_none() => out.base = Some(settings(e, table)),
                "debug-overrides" if out.debug_overrides.is_none() => {
                    out.debug_overrides = Some(settings(e, table))
                }
                "domain-config" => {
                    let base = out.base.clone().unwrap_or_default();
                    domain_config(e, table, &base, &mut out.domains)?;
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Whether cleartext is permitted by default (the base configuration, else Android's
    /// default for `target_sdk`).
    pub fn base_cleartext_permitted(&self, target_sdk: u32) -> bool {
        self.base
            .as_ref()
            .and_then(|b| b.cleartext_permitted)
            .unwrap_or(target_sdk < 28)
    }

    /// Whether cleartext is permitted anywhere: by default or for some domain.
    pub fn cleartext_permitted_anywhere(&self, target_sdk: u32) -> bool {
        self.base_cleartext_permitted(target_sdk)
            || self
                .domains
                .iter()
                .any(|d| d.cleartext_permitted == Some(true))
    }

    /// Whether user-installed CAs are trusted for some connection of a release build (base
    /// or domain anchors, or Android's default below target 24), or also through the debug
    /// overrides when `debuggable`.
    pub fn trusts_user_certificates(&self, target_sdk: u32, debuggable: bool) -> bool {
        let has_user = |a: &Option<Vec<Certificates>>| {
            a.as_ref()
                .is_some_and(|c| c.iter().any(|c| c.src == "user"))
        };
        let base = match self.base.as_ref().and_then(|b| b.trust_anchors.as_ref()) {
            Some(a) => a.iter().any(|c| c.src == "user"),
            None => target_sdk < 24,
        };
        base || self.domains.iter().any(|d| has_user(&d.trust_anchors))
            || (debuggable
                && self
                    .debug_overrides
                    .as_ref()
                    .is_some_and(|d| has_user(&d.trust_anchors)))
    }
}

fn flag(e: &Element, name: &str) -> Option<bool> {
    e.plain(name).and_then(|a| a.value.as_bool())
}

fn text(a: &Attribute) -> Option<String> {
    a.string().map(str::to_string)
}

fn settings(e: &Element, table: Option<&ResourceTable<'_>>) -> Settings {
    let mut s = Settings {
        cleartext_permitted: flag(e, "cleartextTrafficPermitted"),
        ..Settings::default()
    };
    if let Some(t) = e.children_named("trust-anchors").next() {
        let certs = t
            .children_named("certificates")
            .filter_map(|c| {
                let a = c.plain("src")?;
                Some(Certificates {
                    src: source(a, table)?,
                    override_pins: flag(c, "overridePins") == Some(true),
                })
            })
            .collect();
        s.trust_anchors = Some(certs);
    }
    if let Some(p) = e.children_named("pin-set").next() {
        s.pin_set = Some(PinSet {
            expiration: p.plain("expiration").and_then(text),
            pins: p
                .children_named("pin")
                .map(|pin| Pin {
                    digest: pin
                        .plain("digest")
                        .and_then(text)
                        .unwrap_or_else(|| "SHA-256".to_string()),
                    value: pin.text().trim().to_string(),
                })
                .collect(),
        });
    }
    s
}

/// A certificate source: `system`, `user`, or a raw resource's path.
fn source(a: &Attribute, table: Option<&ResourceTable<'_>>) -> Option<String> {
    match (&a.value, table) {
        (Value::Reference(id), Some(t)) => match t.resolve(&a.value) {
            Ok(Value::String(Some(p))) => Some(p),
            _ => Some(format!("@0x{id:08x}")),
        },
        (Value::Reference(id), None) => Some(format!("@0x{id:08x}")),
        _ => text(a),
    }
}

fn domain_config(
    e: &Element,
    table: Option<&ResourceTable<'_>>,
    parent: &Settings,
    out: &mut Vec<DomainConfig>,
) -> Result<()> {
    if out.len() >= MAX_DOMAIN_CONFIGS {
        return Err(ApkError::TooLarge {
            what: "network security config domains",
            size: out.len() as u64 + 1,
            limit: MAX_DOMAIN_CONFIGS as u64,
        });
    }
    let own = settings(e, table);
    let effective = Settings {
        cleartext_permitted: own.cleartext_permitted.or(parent.cleartext_permitted),
        trust_anchors: own
            .trust_anchors
            .clone()
            .or_else(|| parent.trust_anchors.clone()),
        pin_set: own.pin_set.clone().or_else(|| parent.pin_set.clone()),
    };
    out.push(DomainConfig {
        domains: e
            .children_named("domain")
            .map(|d| Domain {
                name: d.text().trim().to_string(),
                include_subdomains: flag(d, "includeSubdomains") == Some(true),
            })
            .collect(),
        settings: own,
        cleartext_permitted: effective.cleartext_permitted,
        trust_anchors: effective.trust_anchors.clone(),
        pin_set: effective.pin_set.clone(),
    });
    for child in e.children_named("domain-config") {
        domain_config(child, table, &effective, out)?;
    }
    Ok(())
}
