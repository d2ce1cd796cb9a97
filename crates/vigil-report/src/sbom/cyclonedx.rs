//! CycloneDX 1.5 JSON: the scanned target as the metadata component, every inventory item as
//! a component (a network service as an application), and package vulnerabilities with
//! ratings, references, fixed versions and the components they affect. A Maven package's
//! group goes in `group` (Vigil names Maven packages `GROUP:ARTIFACT`; the purl keeps them
//! apart as namespace and name). Suppressed findings stay in the document with an analysis
//! state (`false_positive`, or `not_affected` for ignored ones; `resolved` for fixed ones), as
//! the format intends, so consumers see the triage.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vigil_core::{Component, Finding, FindingStatus, Severity};

use super::{OS_KINDS, PACKAGE_VULN_KIND};
use crate::{ReportedFinding, ScanReport, Stamp};

/// Most advisory links and alias references listed per vulnerability.
const MAX_REFERENCES: usize = 20;

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

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// A component's group and name: the group of a Maven package (`GROUP:ARTIFACT`), none for
/// every other kind.
fn group_and_name(c: &Component) -> (Option<&str>, &str) {
    let maven = c
        .purl
        .as_deref()
        .is_some_and(|p| p.starts_with("pkg:maven/"));
    match c.name.split_once(':') {
        Some((group, artifact)) if maven && !group.is_empty() && !artifact.is_empty() => {
            (Some(group), artifact)
        }
        _ => (None, c.name.as_str()),
    }
}

/// The CycloneDX type of a component kind: the distribution is an operating system, a
/// network service an application, anything else a library.
fn component_type(kind: &str) -> &'static str {
    if OS_KINDS.contains(&kind) {
        "operating-system"
    } else if kind == "service" {
        "application"
    } else {
        "library"
    }
}

fn component(c: &Component, bom_ref: &str) -> Value {
    let (group, name) = group_and_name(c);
    let mut v = json!({
        "bom-ref": bom_ref,
        "type": component_type(&c.kind),
        "name": name,
    });
    if let Some(g) = group {
        v["group"] = g.into();
    }
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
}

/// The database an identifier belongs to: NVD (with the record's page) for a CVE, else the
/// identifier's prefix (`GHSA`, `PYSEC`, `RUSTSEC`, ...).
fn id_source(id: &str) -> Value {
    if id.starts_with("CVE-") {
        json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")})
    } else {
        json!({"name": id.split('-').next().unwrap_or(id)})
    }
}

/// The rating of a package vulnerability: its severity (`unknown` when the advisory gives
/// none), and the CVSS score and vector where known.
fn rating(f: &Finding, advisory: &Value) -> Value {
    let unrated = advisory["severity"] == "unknown" && advisory["cvss"].is_null();
    let mut rating = json!({"severity": if unrated {
        "unknown"
    } else {
        severity(f.severity.unwrap_or(Severity::Info))
    }});
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
    rating
}

fn vulnerability(rf: &ReportedFinding, by_purl: &BTreeMap<&str, Vec<&str>>) -> Value {
    let f = &rf.finding;
    let ev = &f.evidence;
    let advisory = &ev["advisory"];
    let advisory_id = advisory["id"].as_str();
    let id = f
        .cve
        .first()
        .cloned()
        .or_else(|| advisory_id.map(str::to_string))
        .unwrap_or_else(|| f.title.clone());
    let affects: Vec<Value> = ev["package"]["purl"]
        .as_str()
        .and_then(|p| by_purl.get(p))
        .map(|rs| rs.iter().map(|r| json!({"ref": r})).collect())
        .unwrap_or_default();
    let mut v = json!({
        "bom-ref": format!("vuln-{}", f.fingerprint()),
        "id": id,
        "source": id_source(&id),
        "ratings": [rating(f, advisory)],
        "affects": affects,
    });
    // The advisory and its aliases, where they name the vulnerability otherwise.
    let mut others: Vec<&str> = advisory_id.into_iter().collect();
    if let Some(aliases) = advisory["aliases"].as_array() {
        others.extend(aliases.iter().filter_map(Value::as_str));
    }
    let mut seen = vec![id.as_str()];
    let mut references = Vec::new();
    for other in others {
        if !seen.contains(&other) && references.len() < MAX_REFERENCES {
            seen.push(other);
            references.push(json!({"id": other, "source": id_source(other)}));
        }
    }
    if !references.is_empty() {
        v["references"] = references.into();
    }
    // Advisories are links (CycloneDX requires each one's URL).
    let links: Vec<Value> = advisory["references"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .take(MAX_REFERENCES)
        .map(|u| json!({"url": u}))
        .collect();
    if !links.is_empty() {
        v["advisories"] = links.into();
    }
    if let Some(d) = &f.description {
        v["description"] = d.clone().into();
    }
    if let Some(fixed) = ev["fixed_version"].as_str() {
        v["recommendation"] = format!("Upgrade to {fixed} or later.").into();
    }
    let cwes: Vec<u64> = f
        .cwe
        .iter()
        .filter_map(|c| c.trim_start_matches("CWE-").parse().ok())
        .collect();
    if !cwes.is_empty() {
        v["cwes"] = cwes.into();
    }
    let state = match rf.status {
        FindingStatus::FalsePositive => Some("false_positive"),
        FindingStatus::Ignored => Some("not_affected"),
        FindingStatus::Fixed => Some("resolved"),
        FindingStatus::Open => None,
    };
    if let Some(state) = state {
        v["analysis"] = json!({ "state": state });
    }
    v
}

impl ScanReport {
    /// CycloneDX 1.5 JSON with a fresh [`Stamp`].
    pub fn to_cyclonedx(&self) -> Value {
        self.to_cyclonedx_with(&Stamp::fresh())
    }

    /// CycloneDX 1.5 JSON with the serial number and tool version of `stamp`.
    pub fn to_cyclonedx_with(&self, stamp: &Stamp) -> Value {
        let refs = bom_refs(&self.components);
        let mut by_purl: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (c, r) in self.components.iter().zip(&refs) {
            if let Some(p) = &c.purl {
                by_purl.entry(p.as_str()).or_default().push(r.as_str());
            }
        }
        let components: Vec<Value> = self
            .components
            .iter()
            .zip(&refs)
            .map(|(c, r)| component(c, r))
            .collect();
        let vulnerabilities: Vec<Value> = self
            .findings
            .iter()
            .filter(|rf| rf.finding.kind == PACKAGE_VULN_KIND)
            .map(|rf| vulnerability(rf, &by_purl))
            .collect();
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "serialNumber": format!("urn:uuid:{}", stamp.serial),
            "version": 1,
            "metadata": {
                "timestamp": self.finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "tools": {"components": [{"type": "application", "name": "vigil", "version": stamp.tool_version}]},
                "component": {"bom-ref": "target", "type": "container", "name": self.target},
            },
            "components": components,
            "vulnerabilities": vulnerabilities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::report;
    use vigil_core::Component;

    #[test]
    fn vulnerabilities_link_to_every_copy_of_the_package() {
        let d = report().to_cyclonedx();
        assert_eq!(d["specVersion"], "1.5");
        let comps = d["components"].as_array().unwrap();
        assert_eq!(comps.len(), 4);
        let refs: Vec<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_ne!(refs[0], refs[1], "bom-refs are unique");
        let v = &d["vulnerabilities"][0];
        assert_eq!(v["id"], "CVE-2018-18074");
        assert_eq!(v["source"]["name"], "NVD");
        assert_eq!(v["references"][0]["id"], "PYSEC-2018-28");
        assert_eq!(v["references"][0]["source"]["name"], "PYSEC");
        assert_eq!(v["affects"].as_array().unwrap().len(), 2);
        assert_eq!(v["ratings"][0]["method"], "CVSSv31");
        assert_eq!(v["ratings"][0]["score"], 6.1);
        assert!(v.get("analysis").is_none());
        assert_eq!(
            d["vulnerabilities"][1]["analysis"]["state"],
            "false_positive"
        );
        // Every advisory has its URL (the schema requires one).
        for v in d["vulnerabilities"].as_array().unwrap() {
            for a in v["advisories"].as_array().into_iter().flatten() {
                assert!(a["url"].is_string(), "{a}");
            }
        }
    }

    #[test]
    fn maven_group_in_group_and_purl_unchanged() {
        let d = report().to_cyclonedx();
        let c = &d["components"][3];
        assert_eq!(c["group"], "org.apache.commons");
        assert_eq!(c["name"], "commons-io");
        assert_eq!(c["purl"], "pkg:maven/org.apache.commons/commons-io@2.11.0");
        // Only Maven names are split; an unknown group leaves the name alone.
        let plain = |name: &str, purl: &str| Component {
            name: name.into(),
            version: None,
            kind: "java".into(),
            purl: Some(purl.into()),
            path: None,
            detail: None,
        };
        assert_eq!(
            super::group_and_name(&plain("aopalliance", "pkg:maven/aopalliance@1.0")),
            (None, "aopalliance")
        );
        assert_eq!(
            super::group_and_name(&plain("a:b", "pkg:generic/a:b@1")),
            (None, "a:b")
        );
    }
}
