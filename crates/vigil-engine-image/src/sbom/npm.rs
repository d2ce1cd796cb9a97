//! npm packages: `node_modules/NAME/package.json` and `node_modules/@SCOPE/NAME/package.json`
//! (at any depth of nested `node_modules`); the application's own `package.json` outside
//! `node_modules`, and `package.json` files nested inside a package's own directories, are not
//! packages.

use super::analyzer::{Analyzer, Input, Output};

/// Whether `path` is the manifest of an installed npm package.
pub fn is_package_json(path: &str) -> bool {
    let Some(idx) = path.rfind("/node_modules/") else {
        return false;
    };
    let rest = &path[idx + "/node_modules/".len()..];
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name, "package.json"] => !name.is_empty() && !name.starts_with(['.', '@']),
        [scope, name, "package.json"] => {
            scope.len() > 1 && scope.starts_with('@') && !name.is_empty() && !name.starts_with('.')
        }
        _ => false,
    }
}

/// Parses a `package.json`: (`name`, `version`) if both are non-empty strings.
pub fn parse(data: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(data).ok()?;
    let name = v.get("name")?.as_str()?.trim();
    let version = v.get("version")?.as_str()?.trim();
    (!name.is_empty() && !version.is_empty()).then(|| (name.to_string(), version.to_string()))
}

/// Installed packages' `package.json` ([`is_package_json`]).
pub(crate) struct PackageJson;

impl Analyzer for PackageJson {
    fn name(&self) -> &'static str {
        "npm"
    }
    fn wants(&self, path: &str) -> bool {
        is_package_json(path)
    }
    fn cap(&self) -> u64 {
        super::MAX_PACKAGE_FILE_BYTES
    }
    fn read(&self, file: &Input<'_>, out: &mut Output<'_>) {
        if let Some((name, version)) = parse(file.data) {
            let purl = super::npm_purl(&name, &version);
            out.package(name, version, "npm", purl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_parse() {
        assert!(is_package_json("/app/node_modules/left-pad/package.json"));
        assert!(is_package_json("/app/node_modules/@scope/pkg/package.json"));
        assert!(is_package_json(
            "/app/node_modules/a/node_modules/b/package.json"
        ));
        assert!(!is_package_json("/app/package.json"));
        assert!(!is_package_json("/app/node_modules/@scope/package.json"));
        assert!(!is_package_json("/app/node_modules/a/lib/package.json"));
        assert!(!is_package_json("/app/node_modules/.package-lock.json"));
        assert_eq!(
            parse(br#"{"name":"@scope/pkg","version":"1.0.0"}"#),
            Some(("@scope/pkg".into(), "1.0.0".into()))
        );
        assert_eq!(parse(br#"{"name":"x"}"#), None);
        assert_eq!(parse(br#"{"name":"x","version":3}"#), None);
        assert_eq!(parse(b"not json"), None);
    }
}
