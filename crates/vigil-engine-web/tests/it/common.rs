//! Helpers shared by the web engine's tests: the test application and its manifest of cases.

use serde_json::Value;
use vigil_testkit::webapp::{self, repo_root, App};

/// The test application on loopback (`hardened`: the instance without the vulnerabilities);
/// `None` (skip) when its Python is missing outside CI.
pub fn start_app(hardened: bool) -> Option<App> {
    webapp::start(hardened)
}

/// The application's manifest of vulnerable cases and safe twins.
pub fn manifest() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/webapp/manifest.json")).unwrap(),
    )
    .unwrap()
}
