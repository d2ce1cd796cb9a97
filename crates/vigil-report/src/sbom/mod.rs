//! Software bills of materials: a scan's inventory (and, for CycloneDX, its package
//! vulnerabilities) as CycloneDX 1.5 JSON (`cyclonedx.rs`) and SPDX 2.3 JSON (`spdx.rs`), the
//! two formats SBOM tools exchange. Components are identified by their package URL; a
//! vulnerability finding names the package it affects by purl in `evidence.package.purl`
//! (what the image engine writes). Both documents are checked against the official schema
//! and validator by the compatibility suite (`tests/compat/test_report_schemas.py`).

mod cyclonedx;
mod spdx;

/// The finding kind whose findings CycloneDX lists as vulnerabilities.
pub const PACKAGE_VULN_KIND: &str = "image-vuln";

/// Component kinds that are operating systems rather than libraries.
const OS_KINDS: &[&str] = &["os", "operating-system"];

#[cfg(test)]
pub(crate) mod tests {
    use crate::{ReportedFinding, ScanReport};
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use vigil_core::{Component, Finding, FindingStatus, Severity};

    /// Two copies of a vulnerable package, another package, a Maven package; an open and a
    /// false-positive vulnerability.
    pub(crate) fn report() -> ScanReport {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let comp = |name: &str, kind: &str, purl: &str| Component {
            name: name.into(),
            version: Some("2.19.1".into()),
            kind: kind.into(),
            purl: Some(purl.into()),
            path: Some(format!("/site-packages/{name}")),
            detail: None,
        };
        let vuln = |cve: &str, status| ReportedFinding {
            finding: Finding {
                kind: super::PACKAGE_VULN_KIND.into(),
                severity: Some(Severity::Medium),
                title: format!("{cve} in requests 2.19.1"),
                cve: vec![cve.into()],
                evidence: json!({
                    "package": {"purl": "pkg:pypi/requests@2.19.1"},
                    "fixed_version": "2.20.0",
                    "advisory": {"id": "PYSEC-2018-28", "aliases": [cve], "references": ["https://example.test/a"],
                                 "cvss": {"score": 6.1, "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"}},
                }),
                identity: vec![cve.into()],
                ..Default::default()
            },
            status,
        };
        ScanReport {
            target: "docker-archive:x.tar".into(),
            started: t,
            finished: t,
            engine: None,
            components: vec![
                comp("requests", "python", "pkg:pypi/requests@2.19.1"),
                comp("requests", "python", "pkg:pypi/requests@2.19.1"),
                comp("idna", "python", "pkg:pypi/idna@2.7"),
                comp(
                    "org.apache.commons:commons-io",
                    "java",
                    "pkg:maven/org.apache.commons/commons-io@2.11.0",
                ),
            ],
            findings: vec![
                vuln("CVE-2018-18074", FindingStatus::Open),
                vuln("CVE-2023-32681", FindingStatus::FalsePositive),
            ],
        }
    }
}
