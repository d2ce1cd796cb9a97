//! SPDX 2.3 JSON: the scanned target as the described package, which CONTAINS one package per
//! inventory item, its purl as a package-manager external reference. SPDX has no group field,
//! so a package is named as its ecosystem names it in full (`GROUP:ARTIFACT` for Maven,
//! `@scope/name` for npm), the purl giving the parts.

use serde_json::{json, Value};

use super::OS_KINDS;
use crate::{ScanReport, Stamp};

impl ScanReport {
    /// SPDX 2.3 JSON with a fresh [`Stamp`].
    pub fn to_spdx(&self) -> Value {
        self.to_spdx_with(&Stamp::fresh())
    }

    /// SPDX 2.3 JSON with the document namespace and tool version of `stamp`.
    pub fn to_spdx_with(&self, stamp: &Stamp) -> Value {
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
            "documentNamespace": format!("https://spdx.vigil.invalid/{}", stamp.serial),
            "creationInfo": {
                "created": self.finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "creators": [format!("Tool: vigil-{}", stamp.tool_version)],
            },
            "documentDescribes": ["SPDXRef-Target"],
            "packages": packages,
            "relationships": relationships,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::report;

    #[test]
    fn contains_every_component() {
        let d = report().to_spdx();
        assert_eq!(d["packages"].as_array().unwrap().len(), 5);
        assert_eq!(d["relationships"].as_array().unwrap().len(), 5);
        assert_eq!(
            d["packages"][3]["externalRefs"][0]["referenceLocator"],
            "pkg:pypi/idna@2.7"
        );
        assert_eq!(d["packages"][4]["name"], "org.apache.commons:commons-io");
    }
}
