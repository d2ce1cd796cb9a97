//! `vigil db` and `vigil scan image` end to end: advisories imported from the shared PyPA
//! snapshot, an image built by the test scanned into the JSON contract, CycloneDX and SPDX,
//! `--fail-on`, a missing database named clearly, and `vigil image import` into an account.

use std::process::Command;

use vigil_engine_image::testing::{file, Layer, TestImage};

fn vigil(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env_remove("VIGIL_MASTER_KEY")
        .env_remove("VIGIL_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn pypa() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vulndb/pypa").to_string()
}

fn image(dir: &std::path::Path) -> String {
    let img = TestImage::new(vec![Layer::new(vec![file(
        "usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
    )])]);
    let path = dir.join("image.tar");
    img.write_docker_archive(&path).unwrap();
    format!("docker-archive:{}", path.display())
}

#[test]
fn db_and_image_scans_in_every_format() {
    let d = vigil_testkit::scratch_dir("image-cli");
    let data = d.join("data");
    let data_s = data.to_str().unwrap();
    let reference = image(&d);

    // No database yet: an explicit vuln scan says what to do; the default goes on without it.
    let (code, _, err) = vigil(&[
        "scan",
        "image",
        &reference,
        "--scanners",
        "vuln",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("vigil db import"), "{err}");
    let (code, out, err) = vigil(&[
        "scan",
        "image",
        &reference,
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("without the vuln scanner"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["components"][0]["purl"], "pkg:pypi/requests@2.19.1");
    let (code, _, err) = vigil(&["db", "status", "--data-dir", data_s]);
    assert_eq!(code, 2);
    assert!(err.contains("vigil db import"), "{err}");

    let (code, out, err) = vigil(&[
        "db",
        "import",
        &pypa(),
        "--source",
        "pypa",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pypa: 2651 advisories"), "{out}");
    let (code, out, _) = vigil(&["db", "status", "--json", "--data-dir", data_s]);
    assert_eq!(code, 0);
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(st["advisories"], 2651);
    assert_eq!(st["sources"][0]["name"], "pypa");

    let (code, out, err) = vigil(&[
        "scan",
        "image",
        &reference,
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cves: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "image-vuln")
        .map(|f| f["cve"][0].as_str().unwrap())
        .collect();
    assert_eq!(cves, ["CVE-2018-18074", "CVE-2023-32681"]);
    assert!(v["findings"][0]["fingerprint"].as_str().is_some());

    let (_, out, _) = vigil(&[
        "scan",
        "image",
        &reference,
        "--format",
        "cyclonedx",
        "--data-dir",
        data_s,
    ]);
    let bom: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["components"][0]["purl"], "pkg:pypi/requests@2.19.1");
    let ids: Vec<&str> = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CVE-2018-18074", "CVE-2023-32681"]);
    assert_eq!(
        bom["vulnerabilities"][0]["affects"][0]["ref"],
        bom["components"][0]["bom-ref"]
    );

    let (_, out, _) = vigil(&[
        "scan",
        "image",
        &reference,
        "--format",
        "spdx",
        "--scanners",
        "sbom",
        "--data-dir",
        data_s,
    ]);
    let spdx: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        spdx["packages"][1]["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/requests@2.19.1"
    );

    // PyPA records carry no CVSS: the vulnerabilities are of unknown severity (info).
    let (code, _, _) = vigil(&[
        "scan",
        "image",
        &reference,
        "--fail-on",
        "info",
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = vigil(&[
        "scan",
        "image",
        &reference,
        "--fail-on",
        "low",
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(code, 0);

    // Bad references.
    let (code, _, err) = vigil(&["scan", "image", "registry:alpine:3", "--data-dir", data_s]);
    assert_eq!(code, 2);
    assert!(err.contains("registry"), "{err}");
    let (code, _, err) = vigil(&["scan", "image", "ftp:x", "--data-dir", data_s]);
    assert_eq!(code, 2);
    assert!(err.contains("docker-archive:PATH"), "{err}");

    // Into an account's inventory.
    let store = d.join("store");
    let store_s = store.to_str().unwrap();
    let (code, out, err) = vigil(&["keys", "create", "--data-dir", store_s]);
    assert_eq!(code, 0, "{err}");
    let key: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let app_id = key["AppId"].to_string();
    let (code, out, err) = vigil(&[
        "image",
        "import",
        &reference,
        "--app-id",
        &app_id,
        "--data-dir",
        store_s,
    ]);
    assert_eq!(code, 0, "{err} (app id {app_id:?} from the keys output)");
    assert!(out.starts_with("sha256:"), "{out}");
}
