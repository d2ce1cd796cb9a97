//! PHP packages installed by Composer: an application's `composer.lock` (`packages` and
//! `packages-dev`) and the installed-packages list `vendor/composer/installed.json` (Composer 1
//! writes a JSON array, Composer 2 an object `{"packages": [...], "dev": bool,
//! "dev-package-names": [...]}`). Versions are kept exactly as written (`v5.4.0`, `2.0.x-dev`,
//! `dev-main`): Composer's own constraint matching treats a leading `v` as part of the
//! version's syntax, and advisories (FriendsOfPHP, GitHub) name versions both ways, so the
//! matcher normalises, not the inventory.

use super::analyzer::{Analyzer, Input, Output};

/// Whether `path` is a `composer.lock` or an `installed.json` of a `vendor/composer` directory.
pub fn is_composer_path(path: &str) -> bool {
    path.ends_with("/composer.lock") || path.ends_with("/vendor/composer/installed.json")
}

/// Whether `path` is an `installed.json`.
pub fn is_installed_json(path: &str) -> bool {
    path.ends_with("/installed.json")
}

/// A Composer package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerPackage {
    /// `vendor/name`.
    pub name: String,
    /// Version as written.
    pub version: String,
    /// From `packages-dev` (lock file) or named in `dev-package-names` (installed.json).
    pub dev: bool,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ComposerError {
    /// Not JSON.
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of another shape.
    #[error("not a composer file: {0}")]
    Shape(&'static str),
}

/// Parses a `composer.lock`: `packages` (dev false) then `packages-dev` (dev true).
pub fn parse_lock(data: &[u8]) -> Result<Vec<ComposerPackage>, ComposerError> {
    let v: serde_json::Value = serde_json::from_slice(data)?;
    let obj = v.as_object().ok_or(ComposerError::Shape("not an object"))?;
    if !obj.contains_key("packages") && !obj.contains_key("packages-dev") {
        return Err(ComposerError::Shape("no packages"));
    }
    let mut out = Vec::new();
    for (key, dev) in [("packages", false), ("packages-dev", true)] {
        if let Some(list) = obj.get(key).and_then(|l| l.as_array()) {
            out.extend(list.iter().filter_map(|p| package(p, dev)));
        }
    }
    Ok(out)
}

/// Parses an `installed.json` of Composer 1 (array) or 2 (object).
pub fn parse_installed(data: &[u8]) -> Result<Vec<ComposerPackage>, ComposerError> {
    let v: serde_json::Value = serde_json::from_slice(data)?;
    let (list, dev_names) = match &v {
        serde_json::Value::Array(list) => (list, Vec::new()),
        serde_json::Value::Object(obj) => {
            let list = obj
                .get("packages")
                .and_then(|l| l.as_array())
                .ok_or(ComposerError::Shape("no packages"))?;
            let dev_names: Vec<&str> = obj
                .get("dev-package-names")
                .and_then(|d| d.as_array())
                .map(|d| d.iter().filter_map(|n| n.as_str()).collect())
                .unwrap_or_default();
            (list, dev_names)
        }
        _ => return Err(ComposerError::Shape("neither an array nor an object")),
    };
    Ok(list
        .iter()
        .filter_map(|p| {
            let mut pkg = package(p, false)?;
            pkg.dev = dev_names.contains(&pkg.name.as_str());
            Some(pkg)
        })
        .collect())
}

fn package(p: &serde_json::Value, dev: bool) -> Option<ComposerPackage> {
    let name = p.get("name")?.as_str()?.trim();
    let version = p.get("version")?.as_str()?.trim();
    (!name.is_empty() && !version.is_empty()).then(|| ComposerPackage {
        name: name.to_string(),
        version: version.to_string(),
        dev,
    })
}

/// `composer.lock` and `vendor/composer/installed.json` ([`is_composer_path`]); which of the
/// two a file is depends on its name.
pub(crate) struct Composer;

impl Analyzer for Composer {
    fn name(&self) -> &'static str {
        "composer"
    }
    fn wants(&self, path: &str) -> bool {
        is_composer_path(path)
    }
    fn cap(&self) -> u64 {
        super::MAX_LOCK_BYTES
    }
    fn contents_only(&self) -> bool {
        false
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        let parsed = if is_installed_json(file.path) {
            parse_installed(file.data)
        } else {
            parse_lock(file.data)
        };
        match parsed {
            Ok(list) => {
                for c in list {
                    let purl = super::composer_purl(&c.name, &c.version);
                    out.package(c.name, c.version, "composer", purl).dev = c.dev;
                }
            }
            Err(e) => out.skip(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_and_installed() {
        let lock = br#"{"_readme": ["x"], "content-hash": "abc",
            "packages": [{"name": "symfony/yaml", "version": "v5.4.0", "source": {}},
                         {"name": "bad"}],
            "packages-dev": [{"name": "phpunit/phpunit", "version": "9.5.10"}]}"#;
        let p = parse_lock(lock).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].version, "v5.4.0");
        assert!(!p[0].dev && p[1].dev);
        let v1 = br#"[{"name": "monolog/monolog", "version": "1.27.1", "version_normalized": "1.27.1.0"}]"#;
        assert_eq!(parse_installed(v1).unwrap()[0].name, "monolog/monolog");
        let v2 = br#"{"packages": [{"name": "a/b", "version": "1.0.0"}, {"name": "c/d", "version": "dev-main"}],
                      "dev": true, "dev-package-names": ["c/d"]}"#;
        let p = parse_installed(v2).unwrap();
        assert_eq!((p[0].dev, p[1].dev), (false, true));
        assert!(parse_installed(b"{}").is_err());
        assert!(parse_lock(b"[]").is_err());
        assert!(parse_lock(b"{").is_err());
    }
}
