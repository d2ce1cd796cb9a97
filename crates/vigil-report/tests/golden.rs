//! Golden files of every output format, rendered from one fixed report (`fixture/`): the JSON
//! output contract, the terminal table, SARIF, HTML, CycloneDX and SPDX, under
//! `tests/golden/`. Regenerate with `UPDATE_GOLDEN=1 cargo test -p vigil-report --test golden`
//! and review the diff. The compatibility suite validates the SARIF, CycloneDX and SPDX
//! goldens against the official schemas (`tests/compat/test_report_schemas.py`).
//!
//! Nothing is normalised after rendering: the times are fixed in the fixture and the serial
//! number and tool version are injected through a [`vigil_report::Stamp`];
//! `only_the_stamp_varies` checks that a rendering with a fresh stamp differs in nothing else.

mod fixture;

use serde_json::Value;
use vigil_report::{Format, Stamp};
use vigil_testkit::golden;

fn rendered(format: Format, stamp: &Stamp) -> String {
    fixture::report().render_with(format, stamp)
}

fn document(format: Format, stamp: &Stamp) -> Value {
    serde_json::from_str(&rendered(format, stamp)).expect("a JSON document")
}

#[test]
fn json_contract() {
    golden::assert_json(
        "tests/golden/report.json",
        &document(Format::Json, &fixture::stamp()),
    );
}

#[test]
fn sarif() {
    golden::assert_json(
        "tests/golden/report.sarif",
        &document(Format::Sarif, &fixture::stamp()),
    );
}

#[test]
fn cyclonedx() {
    golden::assert_json(
        "tests/golden/report.cdx.json",
        &document(Format::CycloneDx, &fixture::stamp()),
    );
}

#[test]
fn spdx() {
    golden::assert_json(
        "tests/golden/report.spdx.json",
        &document(Format::Spdx, &fixture::stamp()),
    );
}

#[test]
fn html() {
    golden::assert_text(
        "tests/golden/report.html",
        &rendered(Format::Html, &fixture::stamp()),
    );
}

#[test]
fn table() {
    golden::assert_text(
        "tests/golden/report.txt",
        &rendered(Format::Table, &fixture::stamp()),
    );
}

/// With a fresh stamp, the documents differ from the golden ones only where the stamp goes:
/// the serial number (CycloneDX `serialNumber`, SPDX `documentNamespace`) and the tool version.
#[test]
fn only_the_stamp_varies() {
    let fixed = fixture::stamp();
    let fresh = Stamp::fresh();
    assert_ne!(fresh.serial, fixed.serial);
    for format in [
        Format::Json,
        Format::Sarif,
        Format::CycloneDx,
        Format::Spdx,
        Format::Html,
        Format::Table,
    ] {
        let text = rendered(format, &fresh)
            .replace(&fresh.serial.to_string(), &fixed.serial.to_string())
            .replace(
                &format!("\"{}\"", fresh.tool_version),
                &format!("\"{}\"", fixed.tool_version),
            )
            .replace(
                &format!("vigil-{}\"", fresh.tool_version),
                &format!("vigil-{}\"", fixed.tool_version),
            );
        assert_eq!(text, rendered(format, &fixed), "{format:?}");
    }
}
