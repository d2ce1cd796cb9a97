//! Software bills of materials: a scan's inventory (and, for CycloneDX, its package
//! vulnerabilities) as CycloneDX 1.5 JSON and SPDX 2.3 JSON, the two formats SBOM tools
//! exchange. Components are identified by their package URL; a vulnerability finding names the
//! package it affects by purl in `evidence.package.purl` (what the image engine writes).
//! Suppressed findings stay in the CycloneDX document with an analysis state (`false_positive`,
//! or `not_affected` for ignored ones), as the format intends, so consumers see the triage.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vigil_core::{Component, FindingStatus, Severity};

use crate::ScanReport;

/// The finding kind whose findings CycloneDX lists as vulnerabilities.
pub const PACKAGE_VULN_KIND: &str = "image-vuln";

/// Component kinds that are operating systems rather than libraries.
const OS_KINDS: &[&str] = &["os", "operating-system"];

fn bom_refs(components: &[Component]) -> Vec<String> {
    components
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.purl {
            Some(p) => format!("{p}#{i}"),
            None => format!("component-{i}"),
        })
        .collect()
}

fn cdx_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

impl ScanReport {
    /// CycloneDX 1.5 JSON: the scanned target as the metadata component, every inventory
    /// item as a component (purl, path and kind as properties), and package vulnerabilities
    /// with ratings, fixed versions and the components they affect.
    pub fn to_cyclonedx(&self) -> Value {
        let refs = bom_refs(&self.components);
        let mut by_purl: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let components: Vec<Value> = self
            .components
            .iter()
            .zip(&refs)
            .map(|(c, r)| {
                if let Some(p) = &c.purl {
                    by_purl.entry(p.as_str()).or_default().push(r.as_str());
                }
                let mut v = json!({
                    "bom-ref": r,
                    "type": if OS_KINDS.contains(&c.kind.as_str()) { "operating-system" } else { "library" },
                    "name": c.name,
                });
                if let Some(ver) = &c.version {
                    v["version"] = ver.clone().into();
                }
                if let Some(p) = &c.purl {
                    v["purl"] = p.clone().into();
                }
                let mut props = vec![json!({"name": "vigil:type", "value": c.kind})];
                if let Some(path) = &c.path {
                    props.push(json!({"name": "vigil:path", "value": path}));
                }
                v["properties"] = props.into();
                v
            })
            .collect();
        let vulnerabilities: Vec<Value> = self
            .findings
            .iter()
            .filter(|rf| rf.finding.kind == PACKAGE_VULN_KIND)
            .map(|rf| {
                let f = &rf.finding;
                let ev = &f.evidence;
                let advisory = &ev["advisory"];
                let id = f
                    .cve
                    .first()
                    .cloned()
                    .or_else(|| advisory["id"].as_str().map(str::to_string))
                    .unwrap_or_else(|| f.title.clone());
                let mut rating =
                    json!({"severity": cdx_severity(f.severity.unwrap_or(Severity::Info))});
                if let Some(score) = advisory["cvss"]["score"].as_f64() {
                    rating["score"] = score.into();
                }
                if let Some(vector) = advisory["cvss"]["vector"].as_str() {
                    rating["vector"] = vector.into();
                    rating["method"] = if vector.starts_with("CVSS:4") {
                        "CVSSv4"
                    } else if vector.starts_with("CVSS:3.0") {
                        "CVSSv3"
                    } else {
                        "CVSSv31"
                    }
                    .into();
                }
                let affects: Vec<Value> = ev["package"]["purl"]
                    .as_str()
                    .and_then(|p| by_purl.get(p))
                    .map(|rs| rs.iter().map(|r| json!({"ref": r})).collect())
                    .unwrap_or_default();
                let mut v = json!({
                    "bom-ref": format!("vuln-{}", f.fingerprint()),
                    "id": id,
                    "ratings": [rating],
                    "affects": affects,
                });
                if let Some(src) = advisory["id"].as_str() {
                    v["source"] = json!({"name": src.split('-').next().unwrap_or(src)});
                    let mut advisories = vec![json!({"title": src})];
                    if let Some(refs) = advisory["references"].as_array() {
                        advisories.extend(
                            refs.iter()
                                .filter_map(Value::as_str)
                                .take(20)
                                .map(|u| json!({"url": u})),
                        );
                    }
                    v["advisories"] = advisories.into();
                }
                if let Some(d) = &f.description {
                    v["description"] = d.clone().into();
                }
                if let Some(fixed) = ev["fixed_version"].as_str() {
                    v["recommendation"] = format!("Upgrade to {fixed} or later.").into();
                }
                if !f.cwe.is_empty() {
                    let cwes: Vec<u64> = f
                        .cwe
                        .iter()
                        .filter_map(|c| c.trim_start_matches("CWE-").parse().ok())
                        .collect();
                    v["cwes"] = cwes.into();
                }
                match rf.status {
                    FindingStatus::FalsePositive => {
                        v["analysis"] = json!({"state": "false_positive"});
                    }
                    FindingStatus::Ignored => {
                        v["analysis"] = json!({"state": "not_affected"});
                    }
                    _ => {}
                }
                v
            })
            .collect();
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            "version": 1,
            "metadata": {
                "timestamp": self.finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "tools": {"components": [{"type": "application", "name": "vigil", "version": env!("CARGO_PKG_VERSION")}]},
                "component": {"bom-ref": "target", "type": "container", "name": self.target},
            },
            "components": components,
            "vulnerabilities": vulnerabilities,
        })
    }

    /// SPDX 2.3 JSON: the scanned target as the described package, which CONTAINS one
    /// package per inventory item (purl as a package-manager external reference).
    pub fn to_spdx(&self) -> Value {
        let mut packages = vec![json!({
            "name": self.target,
            "SPDXID": "SPDXRef-Target",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "CONTAINER",
        })];
        let mut relationships = vec![json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Target",
        })];
        for (i, c) in self.components.iter().enumerate() {
            let id = format!("SPDXRef-Package-{i}");
            let mut p = json!({
                "name": c.name,
                "SPDXID": id,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": if OS_KINDS.contains(&c.kind.as_str()) { "OPERATING-SYSTEM" } else { "LIBRARY" },
            });
            if let Some(v) = &c.version {
                p["versionInfo"] = v.clone().into();
            }
            if let Some(purl) = &c.purl {
                p["externalRefs"] = json!([{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": purl,
                }]);
            }
            if let Some(path) = &c.path {
                p["sourceInfo"] = format!("{} package found in {path}", c.kind).into();
            }
            packages.push(p);
            relationships.push(json!({
                "spdxElementId": "SPDXRef-Target",
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": id,
            }));
        }
        json!({
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": format!("vigil scan of {}", self.target),
            "documentNamespace": format!("https://spdx.vigil.invalid/{}", uuid::Uuid::new_v4()),
            "creationInfo": {
                "created": self.finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "creators": [format!("Tool: vigil-{}", env!("CARGO_PKG_VERSION"))],
            },
            "documentDescribes": ["SPDXRef-Target"],
            "packages": packages,
            "relationships": relationships,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{ReportedFinding, ScanReport};
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use vigil_core::{Component, Finding, FindingStatus, Severity};

    fn report() -> ScanReport {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let comp = |name: &str, purl: &str| Component {
            name: name.into(),
            version: Some("2.19.1".into()),
            kind: "python".into(),
            purl: Some(purl.into()),
            path: Some(format!("/site-packages/{name}")),
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
                    "advisory": {"id": "PYSEC-2018-28", "cvss": {"score": 6.1, "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"}},
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
            components: vec![
                comp("requests", "pkg:pypi/requests@2.19.1"),
                comp("requests", "pkg:pypi/requests@2.19.1"),
                comp("idna", "pkg:pypi/idna@2.7"),
            ],
            findings: vec![
                vuln("CVE-2018-18074", FindingStatus::Open),
                vuln("CVE-2023-32681", FindingStatus::FalsePositive),
            ],
            engine: None,
        }
    }

    #[test]
    fn cyclonedx_links_vulnerabilities_to_every_copy_of_the_package() {
        let d = report().to_cyclonedx();
        assert_eq!(d["specVersion"], "1.5");
        let comps = d["components"].as_array().unwrap();
        assert_eq!(comps.len(), 3);
        let refs: Vec<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), 3);
        assert_ne!(refs[0], refs[1], "bom-refs are unique");
        let v = &d["vulnerabilities"][0];
        assert_eq!(v["id"], "CVE-2018-18074");
        assert_eq!(v["affects"].as_array().unwrap().len(), 2);
        assert_eq!(v["ratings"][0]["method"], "CVSSv31");
        assert_eq!(v["ratings"][0]["score"], 6.1);
        assert!(v.get("analysis").is_none());
        assert_eq!(
            d["vulnerabilities"][1]["analysis"]["state"],
            "false_positive"
        );
    }

    #[test]
    fn spdx_contains_every_component() {
        let d = report().to_spdx();
        assert_eq!(d["packages"].as_array().unwrap().len(), 4);
        assert_eq!(d["relationships"].as_array().unwrap().len(), 4);
        assert_eq!(
            d["packages"][3]["externalRefs"][0]["referenceLocator"],
            "pkg:pypi/idna@2.7"
        );
    }
}
