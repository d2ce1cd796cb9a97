//! Sensitive information in real built apps: an AWS key pair and a PEM private key (made by
//! `openssl` for the run) in smali `const-string`s, URLs, addresses and an e-mail address in
//! string resources and a compiled `res/xml` file, and a configuration asset; the twin has
//! the same shape with nothing sensitive. Secrets are only ever shown masked: the finding
//! JSON never holds one in full.

use std::process::Command;

use crate::support::apk::{build, manifest, scratch, App};
use vigil_core::spec::apk::{ApkSensitiveEvidence, KIND_SENSITIVE};
use vigil_core::{Finding, Severity};
use vigil_engine_apk::package::Package;
use vigil_engine_apk::sensitive;

const NOW: i64 = 1_767_225_600;

/// The findings on a built app, and the SHA-1 of its `classes.dex`.
fn findings_of(tag: &str, app: &App) -> (Vec<Finding>, String) {
    let data = std::fs::read(build(tag, app)).expect("APK");
    let package = Package::read(&data, &Default::default(), NOW).expect("package");
    let dex = package.archive.read_name("classes.dex").unwrap().unwrap();
    let sha1 = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(&dex));
    (sensitive::findings(&package, "md5", "sha256"), sha1)
}

/// (category, file) -> evidence.
fn by_place(found: &[Finding]) -> Vec<((String, String), ApkSensitiveEvidence)> {
    found
        .iter()
        .map(|f| {
            assert_eq!(f.kind, KIND_SENSITIVE);
            let e: ApkSensitiveEvidence = serde_json::from_value(f.evidence.clone()).unwrap();
            assert_eq!(f.path.as_deref(), Some(e.file.as_str()));
            ((e.category.clone(), e.file.clone()), e)
        })
        .collect()
}

fn words<'e>(
    places: &'e [((String, String), ApkSensitiveEvidence)],
    category: &str,
    file: &str,
) -> &'e [String] {
    places
        .iter()
        .find(|(k, _)| k.0 == category && k.1 == file)
        .map(|(_, e)| e.words.as_slice())
        .unwrap_or_else(|| panic!("no {category} in {file}: {places:#?}"))
}

/// A PEM EC private key made for this run.
fn private_key() -> String {
    let dir = scratch("sensitive-key");
    let path = dir.join("key.pem");
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    std::fs::read_to_string(path).unwrap()
}

/// An AWS key pair, assembled so that no file of the repository holds one.
fn aws() -> (String, String) {
    (
        ["AKIA", "Y3VIGILFIXTURE7Q"].concat(),
        ["k9Vq2mXz", "T7pLr4Wb8nYc1HdF", "3jKs6GtQ0aEu5RiO"].concat(),
    )
}

fn keys_class(strings: &[&str]) -> String {
    let mut s = String::from(
        ".class public Lcom/example/Keys;\n.super Ljava/lang/Object;\n\n.method public static all()V\n    .registers 1\n",
    );
    for v in strings {
        let escaped = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        s.push_str(&format!("    const-string v0, \"{escaped}\"\n"));
    }
    s.push_str("    return-void\n.end method\n");
    s
}

fn strings_xml(items: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<resources>\n");
    for (k, v) in items {
        s.push_str(&format!("  <string name=\"{k}\">{v}</string>\n"));
    }
    s.push_str("</resources>\n");
    s.into_bytes()
}

fn app(keys: &[&str], strings: &[(&str, &str)], server: &str, asset: &str) -> App {
    let mut app = App::new(&manifest("com.example.leaky", "", ""));
    app.smali
        .push(("com/example/Keys.smali".into(), keys_class(keys)));
    app.res = vec![
        ("values/strings.xml".into(), strings_xml(strings)),
        (
            "xml/server.xml".into(),
            format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<server url=\"{server}\"/>\n")
                .into_bytes(),
        ),
    ];
    app.files = vec![("assets/app.properties".into(), asset.as_bytes().to_vec())];
    app
}

#[test]
fn secrets_in_code_and_addresses_in_resources_and_a_clean_twin() {
    let (id, secret) = aws();
    let pem = private_key();
    let leaky = app(
        &[&id, &secret, &pem, "https://api.shop-backend.cn/v1/"],
        &[
            ("api", "https://api.shop-backend.cn/v1/"),
            ("mail", "ops@shop-backend.cn"),
            ("backup", "47.95.12.3"),
            ("lab", "192.168.10.5"),
        ],
        "https://cfg.shop-backend.cn/app.json",
        "# build\nupload=http://10.1.2.3:8080/upload\n",
    );
    let (found, dex_sha1) = findings_of("sensitive-leaky", &leaky);
    let json = serde_json::to_string(&found).unwrap();
    assert!(!json.contains(&secret), "{json}");
    assert!(!json.contains(&id), "{json}");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!json.contains(&body[..24]), "{json}");

    let places = by_place(&found);
    let secrets = words(&places, "secret", "classes.dex");
    assert!(
        secrets
            .iter()
            .any(|w| w.starts_with("aws-access-key: ") && w.contains("AKIA****")),
        "{secrets:?}"
    );
    assert!(
        secrets.iter().any(|w| w.starts_with("private-key: ")),
        "{secrets:?}"
    );
    let secret_finding = found
        .iter()
        .find(|f| f.evidence["category"] == "secret")
        .unwrap();
    assert!(secret_finding.sensitive);
    assert!(secret_finding.severity >= Some(Severity::High));
    assert_eq!(secret_finding.identity, ["secret", "classes.dex", "md5"]);
    for (k, e) in &places {
        if k.1 == "classes.dex" {
            assert_eq!(e.file_sha1, dex_sha1);
        }
    }

    assert_eq!(
        words(&places, "url", "classes.dex"),
        ["https://api.shop-backend.cn/v1/"]
    );
    assert_eq!(
        words(&places, "url", "resources.arsc"),
        ["https://api.shop-backend.cn/v1/"]
    );
    assert_eq!(
        words(&places, "email", "resources.arsc"),
        ["ops@shop-backend.cn"]
    );
    assert_eq!(words(&places, "ip", "resources.arsc"), ["47.95.12.3"]);
    assert_eq!(
        words(&places, "private-ip", "resources.arsc"),
        ["192.168.10.5"]
    );
    assert_eq!(
        words(&places, "url", "res/xml/server.xml"),
        ["https://cfg.shop-backend.cn/app.json"]
    );
    assert_eq!(
        words(&places, "url", "assets/app.properties"),
        ["http://10.1.2.3:8080/upload"]
    );
    for f in found.iter().filter(|f| f.evidence["category"] != "secret") {
        assert_eq!(f.severity, Some(Severity::Info), "{f:#?}");
        assert!(!f.sensitive);
    }

    // The twin: the same files with nothing sensitive.
    let clean = app(
        &["hello", "com.example.KEY_NAME"],
        &[("hello", "Hello"), ("version", "1.2.3.4.5")],
        "app.json",
        "# build\nretries=3\n",
    );
    let (found, _) = findings_of("sensitive-clean", &clean);
    assert!(found.is_empty(), "{found:#?}");
}
