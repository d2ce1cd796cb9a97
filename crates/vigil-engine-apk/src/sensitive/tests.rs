//! Unit tests of the word extraction (URLs, addresses, e-mails, masking) and of the search
//! over small archives (assets as text), with hostile members.

use super::*;
use crate::malware::tests::{package, stored_zip};
use proptest::prelude::*;

fn words(s: &str) -> BTreeMap<Category, Vec<String>> {
    let limits = SensitiveLimits::default();
    let mut c = Collector::new(&limits);
    c.string(s);
    c.found.into_iter().map(|(k, w)| (k, w.words)).collect()
}

fn of(s: &str, c: Category) -> Vec<String> {
    words(s).remove(&c).unwrap_or_default()
}

#[test]
fn the_patterns_compile() {
    for p in [URL, IPV4, EMAIL] {
        assert!(Regex::new(p).is_ok(), "{p}");
    }
}

#[test]
fn urls_are_cleaned_and_namespaces_left_out() {
    assert_eq!(
        of(
            "see https://api.shop-backend.cn/v2/login?x=1.",
            Category::Url
        ),
        ["https://api.shop-backend.cn/v2/login?x=1"]
    );
    assert_eq!(
        of("(http://10.0.0.7:8080/debug)", Category::Url),
        ["http://10.0.0.7:8080/debug"]
    );
    assert!(of("http://schemas.android.com/apk/res/android", Category::Url).is_empty());
    assert!(of("http://www.w3.org/2000/svg", Category::Url).is_empty());
    assert!(of("http://", Category::Url).is_empty());
    assert!(of("https://%s", Category::Url).is_empty());
    assert_eq!(
        of(
            "ftp://x.org https://admin:hunter2hunter2@db.corp.cn/x",
            Category::Url
        ),
        ["https://admin:hun****@db.corp.cn/x"]
    );
}

#[test]
fn credentials_in_query_strings_are_masked() {
    assert_eq!(
        of(
            "https://api.shop.cn/v1/items?id=7&access_token=Zt81kQp0vLm2Nb6Xw&page=2#top",
            Category::Url
        ),
        ["https://api.shop.cn/v1/items?id=7&access_token=Zt81****&page=2#top"]
    );
    assert_eq!(
        of("https://maps.shop.cn/js?KEY=abcdefgh", Category::Url),
        ["https://maps.shop.cn/js?KEY=ab****"]
    );
    assert_eq!(
        of("https://shop.cn/search?q=shoes", Category::Url),
        ["https://shop.cn/search?q=shoes"]
    );
}

#[test]
fn addresses_public_and_private() {
    assert_eq!(of("connect 47.95.12.3:443", Category::Ip), ["47.95.12.3"]);
    assert_eq!(
        of("host=192.168.1.20", Category::PrivateIp),
        ["192.168.1.20"]
    );
    assert_eq!(of("100.64.0.1", Category::PrivateIp), ["100.64.0.1"]);
    assert_eq!(
        of("169.254.169.254", Category::PrivateIp),
        ["169.254.169.254"]
    );
    for none in [
        "0.0.0.0",
        "127.0.0.1",
        "255.255.255.255",
        "224.0.0.251",
        "192.0.2.10",
        "198.51.100.1",
        "203.0.113.9",
        "999.1.1.1",
        "version 1.2.3.4.5",
        "v1.2.3.4",
        "1.2.3.4a",
    ] {
        assert!(words(none).is_empty(), "{none}: {:?}", words(none));
    }
}

#[test]
fn overlapping_pools_are_bounded_by_bytes() {
    let long = "x".repeat(1000);
    let endless = std::iter::repeat_with(|| long.clone());
    assert_eq!(bounded(endless, usize::MAX, 10_500).len(), 10);
    let empty = std::iter::repeat_with(String::new);
    assert_eq!(bounded(empty, 7, usize::MAX).len(), 7);
    assert_eq!(
        bounded(std::iter::repeat_with(String::new), usize::MAX, 100).len(),
        100
    );
}

#[test]
fn vector_path_data_is_not_addresses() {
    assert!(words("M3.56.71.48L2.54.71.24 3.61.1.26z").is_empty());
    assert!(words("m12,4.5 l-1.2.3.4 c1e-3,2 Z").is_empty());
    assert!(is_path_data("M0 0h24v24H0z"));
    assert!(!is_path_data("M"));
    assert!(!is_path_data("Mirror 47.95.12.3"));
    assert_eq!(of("Mirror 47.95.12.3", Category::Ip), ["47.95.12.3"]);
}

#[test]
fn emails_but_not_image_names() {
    assert_eq!(
        of("mailto:ops-team@shop-backend.cn;", Category::Email),
        ["ops-team@shop-backend.cn"]
    );
    assert!(of("icon@2x.png", Category::Email).is_empty());
    assert!(of("logo@3x.webp and @Override", Category::Email).is_empty());
    assert!(of("user@localhost", Category::Email).is_empty());
}

#[test]
fn words_are_deduplicated_and_bounded() {
    let limits = SensitiveLimits {
        max_words: 3,
        ..SensitiveLimits::default()
    };
    let mut c = Collector::new(&limits);
    for i in 0..10 {
        c.string(&format!("https://h{i}.example.cn/ https://h0.example.cn/"));
    }
    let w = &c.found[&Category::Url];
    assert_eq!(w.words.len(), 3);
    assert!(w.truncated);
    assert_eq!(w.words[0], "https://h0.example.cn/");
}

/// An AWS key pair, assembled so that no file of the repository holds one.
fn aws() -> (String, String) {
    (
        ["AKIA", "Y3VIGILFIXTURE7Q"].concat(),
        ["k9Vq2mXz", "T7pLr4Wb8nYc1HdF", "3jKs6GtQ0aEu5RiO"].concat(),
    )
}

#[test]
fn assets_secrets_masked_and_twin() {
    let (id, secret) = aws();
    let config = format!(
        "aws_access_key_id = {id}\naws_secret_access_key = {secret}\nendpoint=https://{id}@s3.shop-backend.cn/b\nsupport=help@shop-backend.cn\n"
    );
    let zip = stored_zip(&[("assets/config.properties", config.as_bytes())]);
    let pkg = package(&zip);
    let found = findings(&pkg, "m", "s");
    let json = serde_json::to_string(&found).unwrap();
    assert!(!json.contains(&secret), "{json}");
    assert!(!json.contains(&id), "{json}");
    let kinds: Vec<(&str, &str)> = found
        .iter()
        .map(|f| {
            (
                f.evidence["category"].as_str().unwrap_or_default(),
                f.path.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("secret", "assets/config.properties"),
            ("url", "assets/config.properties"),
            ("email", "assets/config.properties"),
        ]
    );
    let secret_finding = &found[0];
    assert!(secret_finding.sensitive);
    assert!(secret_finding.severity >= Some(Severity::High));
    assert_eq!(
        secret_finding.evidence["file_sha1"],
        sha1_hex(config.as_bytes())
    );
    assert_eq!(
        secret_finding.identity,
        ["secret", "assets/config.properties", "m"]
    );
    assert_eq!(found[1].severity, Some(Severity::Info));
    assert_eq!(
        found[1].evidence["words"][0],
        "https://AKIA****@s3.shop-backend.cn/b"
    );
    // Twin: the same file without secrets or addresses.
    let clean = stored_zip(&[(
        "assets/config.properties",
        b"aws_region = cn-north-1\nretries = 3\n",
    )]);
    assert!(findings(&package(&clean), "m", "s").is_empty());
}

#[test]
fn binary_and_oversized_assets_are_skipped() {
    let mut bin = b"https://bin.example.cn/\0".to_vec();
    bin.extend([0u8; 16]);
    let big = format!("https://big.example.cn/{}", "x".repeat(100));
    let zip = stored_zip(&[("assets/a.bin", &bin), ("assets/big.txt", big.as_bytes())]);
    let limits = SensitiveLimits {
        max_asset_bytes: 64,
        ..SensitiveLimits::default()
    };
    assert!(scan(&package(&zip), &limits).is_empty());
    assert_eq!(scan(&package(&zip), &SensitiveLimits::default()).len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Hostile members (random bytes as dex, resource table, compiled XML and asset) never
    /// panic.
    #[test]
    fn hostile_members_never_panic(
        dex in proptest::collection::vec(any::<u8>(), 0..512),
        arsc in proptest::collection::vec(any::<u8>(), 0..512),
        xml in proptest::collection::vec(any::<u8>(), 0..512),
        asset in "\\PC{0,300}",
    ) {
        let zip = stored_zip(&[
            ("classes.dex", &dex),
            ("resources.arsc", &arsc),
            ("res/layout/a.xml", &xml),
            ("assets/a.txt", asset.as_bytes()),
        ]);
        let _ = findings(&package(&zip), "m", "s");
    }

    /// Any text: the extraction never panics and keeps its bounds.
    #[test]
    fn any_string_is_safe(s in "\\PC{0,600}") {
        let limits = SensitiveLimits { max_words: 5, max_string_chars: 200, ..SensitiveLimits::default() };
        let mut c = Collector::new(&limits);
        c.string(&s);
        for w in c.found.values() {
            prop_assert!(w.words.len() <= 5);
        }
    }
}
