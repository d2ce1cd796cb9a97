//! Golden file of `vigil actions --json`, the catalogue of every served action and its
//! parameters that clients and documentation generators read: `tests/golden/actions.json`.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p vigil --test it golden_actions` and review the
//! diff. Nothing in the catalogue varies between runs, so nothing is normalised.

use std::process::Command;

#[test]
fn actions_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["actions", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let catalogue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    vigil_testkit::golden::assert_json("tests/golden/actions.json", &catalogue);
}
