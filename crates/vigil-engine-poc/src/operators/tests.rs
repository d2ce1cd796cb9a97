//! Tests of matchers, extractors and their evaluation: each type with a matching case and a
//! twin that differs in one fact, nuclei's combination rules, and property tests that
//! compiling and evaluating arbitrary specs on arbitrary data never panics.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::dsl::Value;

fn data() -> Data {
    Data::from_http(HttpParts {
        status_code: 200,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=UTF-8".into()),
            ("X-Powered-By".into(), "PHP/7.4.3".into()),
            ("Set-Cookie".into(), "PHPSESSID=abc123; path=/".into()),
        ],
        raw_headers: "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nX-Powered-By: PHP/7.4.3\r\n\r\n".into(),
        body: b"<html><title>Admin Panel</title>version=2.3.0 {\"token\":\"t0k\",\"items\":[1,2]}\x00\xff</html>".to_vec(),
        host: "example.com".into(),
        matched: "http://example.com/".into(),
        duration_secs: 0.25,
        ..HttpParts::default()
    })
}

fn json_data() -> Data {
    let mut d = Data::new();
    d.insert(
        "body",
        r#"{"version":"1.2.3","users":[{"name":"a","admin":true},{"name":"b","admin":false}]}"#,
    );
    d.insert("status_code", 200i64);
    d
}

fn matcher(yaml: &str) -> Matcher {
    let spec: MatcherSpec = serde_yaml_ng::from_str(yaml).unwrap_or_default();
    Matcher::compile(&spec).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn extractor(yaml: &str) -> Extractor {
    let spec: ExtractorSpec = serde_yaml_ng::from_str(yaml).unwrap_or_default();
    Extractor::compile(&spec).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn ops(matchers: &str, cond: Option<&str>, extractors: &str) -> Operators {
    let m: Vec<MatcherSpec> = serde_yaml_ng::from_str(matchers).unwrap_or_default();
    let e: Vec<ExtractorSpec> = serde_yaml_ng::from_str(extractors).unwrap_or_default();
    Operators::compile(&m, cond, &e).unwrap_or_else(|e| panic!("{e}"))
}

fn matches(yaml: &str, d: &Data) -> bool {
    let o = Operators {
        matchers: vec![matcher(yaml)],
        ..Operators::default()
    };
    o.evaluate(d).matched
}

fn extract(yaml: &str, d: &Data) -> Vec<String> {
    let o = Operators {
        extractors: vec![extractor(yaml)],
        ..Operators::default()
    };
    o.evaluate(d).output
}

#[test]
fn word_matchers() {
    let d = data();
    assert!(matches("{type: word, words: [Admin Panel]}", &d));
    assert!(!matches("{type: word, words: [admin panel]}", &d));
    assert!(matches(
        "{type: word, words: [admin panel], case-insensitive: true}",
        &d
    ));
    assert!(matches("{type: word, words: [Admin, nothing]}", &d));
    assert!(!matches(
        "{type: word, words: [Admin, nothing], condition: and}",
        &d
    ));
    assert!(matches(
        "{type: word, words: [Admin, Panel], condition: and}",
        &d
    ));
    assert!(matches(
        "{type: word, words: [Admin], negative: true, part: header}",
        &d
    ));
    assert!(!matches("{type: word, words: [Admin], negative: true}", &d));
    assert!(matches("{type: word, part: header, words: ['PHP/7']}", &d));
    assert!(!matches("{type: word, part: body, words: ['PHP/7']}", &d));
    assert!(matches(
        "{type: word, part: all, words: ['PHP/7', 'Admin'], condition: and}",
        &d
    ));
    assert!(matches(
        "{type: word, part: x_powered_by, words: ['PHP']}",
        &d
    ));
    assert!(!matches(
        "{type: word, part: no_such_part, words: ['PHP'], negative: true}",
        &d
    ));
    assert!(matches(
        "{type: word, words: ['{{host}}'], part: matched}",
        &d
    ));
    assert!(!matches(
        "{type: word, words: ['{{nohost}}'], part: matched}",
        &d
    ));
    assert!(matches(
        "{type: word, encoding: hex, words: ['41646d696e']}",
        &d
    ));
    assert!(!matches(
        "{type: word, encoding: hex, words: ['41646d696f']}",
        &d
    ));
}

#[test]
fn regex_binary_status_size_matchers() {
    let d = data();
    assert!(matches(r"{type: regex, regex: ['version=\d+\.\d+']}", &d));
    assert!(!matches(r"{type: regex, regex: ['version=\d+\.x']}", &d));
    assert!(matches(
        r"{type: regex, regex: ['(?i)admin panel', 'zzz'], condition: or}",
        &d
    ));
    assert!(!matches(
        r"{type: regex, regex: ['(?i)admin panel', 'zzz'], condition: and}",
        &d
    ));
    assert!(matches("{type: binary, binary: ['00ff3c2f']}", &d));
    assert!(!matches("{type: binary, binary: ['00fe']}", &d));
    assert!(matches("{type: status, status: [404, 200]}", &d));
    assert!(!matches("{type: status, status: [404]}", &d));
    let len = d.part("body").map(|b| b.as_bytes().len()).unwrap_or(0);
    assert!(matches(&format!("{{type: size, size: [{len}]}}"), &d));
    assert!(!matches(
        &format!("{{type: size, size: [{}]}}", len + 1),
        &d
    ));
}

#[test]
fn dsl_matchers() {
    let d = data();
    assert!(matches(
        "{type: dsl, dsl: ['status_code == 200 && contains(body, \"Admin\")']}",
        &d
    ));
    assert!(!matches(
        "{type: dsl, dsl: ['status_code == 200 && contains(body, \"admin\")']}",
        &d
    ));
    assert!(matches("{type: dsl, dsl: ['contains(tolower(content_type), \"text/html\")', 'duration < 1'], condition: and}", &d));
    assert!(!matches(
        "{type: dsl, dsl: ['contains(content_type, \"html\")', 'duration > 1'], condition: and}",
        &d
    ));
    assert!(matches(
        "{type: dsl, dsl: ['nope == 1', 'phpsessid == \"abc123\"']}",
        &d
    ));
    assert!(!matches(
        "{type: dsl, dsl: ['nope == 1', 'phpsessid == \"abc123\"'], condition: and}",
        &d
    ));
    assert!(matches(
        "{type: dsl, dsl: ['compare_versions(\"2.3.0\", \"< 2.3.1\")']}",
        &d
    ));
}

#[test]
fn extractors_of_every_type() {
    let d = data();
    assert_eq!(
        extract(r"{type: regex, regex: ['version=([0-9.]+)'], group: 1}", &d),
        vec!["2.3.0"]
    );
    assert_eq!(
        extract(r"{type: regex, regex: ['version=([0-9.]+)']}", &d),
        vec!["version=2.3.0"]
    );
    assert!(extract(r"{type: regex, regex: ['version=([a-z]+)'], group: 1}", &d).is_empty());
    assert_eq!(
        extract("{type: kval, kval: [X-Powered-By]}", &d),
        vec!["PHP/7.4.3"]
    );
    assert_eq!(
        extract("{type: kval, kval: [phpsessid]}", &d),
        vec!["abc123"]
    );
    assert!(extract("{type: kval, kval: [x_missing]}", &d).is_empty());
    assert_eq!(
        extract("{type: dsl, dsl: ['to_upper(host)']}", &d),
        vec!["EXAMPLE.COM"]
    );
    assert!(extract("{type: dsl, dsl: ['to_upper(nohost)']}", &d).is_empty());
    let j = json_data();
    assert_eq!(
        extract("{type: json, json: ['.version']}", &j),
        vec!["1.2.3"]
    );
    assert_eq!(
        extract(
            "{type: json, json: ['.users[] | select(.admin) | .name']}",
            &j
        ),
        vec!["a"]
    );
    assert_eq!(
        extract("{type: json, json: ['.users[0]']}", &j),
        vec![r#"{"name":"a","admin":true}"#]
    );
    assert!(extract("{type: json, json: ['.nothing[]']}", &j).is_empty());
    assert!(extract("{type: json, json: ['.version']}", &d).is_empty());
}

#[test]
fn unsupported_and_invalid_specs_say_why() {
    let err = |y: &str| {
        let s: MatcherSpec = serde_yaml_ng::from_str(y).unwrap_or_default();
        Matcher::compile(&s)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(err("{type: xpath, xpath: ['/html']}").contains("xpath matcher"));
    assert!(err("{type: regex, regex: ['(a']}").contains("invalid regex"));
    assert!(err("{type: dsl, dsl: ['frob(body)']}").contains("unknown helper frob"));
    assert!(err("{type: binary, binary: ['zz']}").contains("not hex"));
    assert!(err("{type: nope}").contains("unknown matcher type"));
    assert!(err("{type: word, words: [a], condition: xor}").contains("unknown condition"));
    assert!(err("{type: regex, regex: [a], case-insensitive: true}").contains("case-insensitive"));
    let s: MatcherSpec =
        serde_yaml_ng::from_str("{type: word, words: [a], frobnicate: 1}").unwrap_or_default();
    assert!(s.unknown.contains_key("frobnicate"));
    let s: ExtractorSpec =
        serde_yaml_ng::from_str("{type: xpath, xpath: ['/a']}").unwrap_or_default();
    assert!(Extractor::compile(&s).is_err());
    let s: ExtractorSpec =
        serde_yaml_ng::from_str("{type: json, json: ['.a | nosuchfilter']}").unwrap_or_default();
    assert!(Extractor::compile(&s).is_err());
}

#[test]
fn named_matchers_conditions_and_internal_extractors() {
    let d = data();
    let o = ops(
        "[{type: word, name: admin, words: [Admin]}, {type: word, name: php, part: header, words: [PHP]}, {type: word, name: miss, words: [zzz]}, {type: word, name: hidden, internal: true, words: [Admin]}]",
        None,
        "[]",
    );
    let e = o.evaluate(&d);
    assert!(e.matched);
    assert_eq!(e.matcher_names, vec!["admin", "php"]);
    let o = ops(
        "[{type: word, name: admin, words: [Admin]}, {type: word, name: miss, words: [zzz]}]",
        Some("and"),
        "[]",
    );
    let e = o.evaluate(&d);
    assert!(!e.matched);
    assert!(e.matcher_names.is_empty());
    let o = ops(
        "[{type: status, status: [200]}, {type: dsl, dsl: ['ver == \"2.3.0\"']}]",
        Some("and"),
        "[{type: regex, name: ver, internal: true, group: 1, regex: ['version=([0-9.]+)']}, {type: regex, name: title, regex: ['<title>(.*)</title>'], group: 1}]",
    );
    let e = o.evaluate(&d);
    assert!(e.matched);
    assert_eq!(e.dynamic.get("ver"), Some(&Value::from("2.3.0")));
    assert_eq!(e.output, vec!["Admin Panel"]);
    assert_eq!(
        e.extracted.get("title"),
        Some(&vec!["Admin Panel".to_string()])
    );
    assert!(!e.output.contains(&"2.3.0".to_string()));
    let only_ex = ops("[]", None, "[{type: regex, regex: ['Admin [A-Z][a-z]+']}]");
    assert!(only_ex.evaluate(&d).matched);
    let only_ex = ops("[]", None, "[{type: regex, regex: ['Nobody [A-Z][a-z]+']}]");
    assert!(!only_ex.evaluate(&d).matched);
}

#[test]
fn single_matchers_and_extractors_run_on_data_directly() {
    let d = data();
    assert!(matcher("{type: word, words: [Admin]}").matches_data(&d));
    assert!(!matcher("{type: word, words: [Nobody]}").matches_data(&d));
    assert_eq!(
        extractor("{type: kval, kval: [content_type]}").extract_data(&d),
        vec!["text/html; charset=UTF-8"]
    );
}

#[test]
fn data_layers_and_indexed_parts() {
    let mut base = std::collections::HashMap::new();
    base.insert("username".to_string(), Value::from("admin"));
    let mut d = data();
    d.push_layer(Arc::new(base));
    let first = data();
    d.add_indexed(&first, 1);
    assert!(matches("{type: dsl, dsl: ['username == \"admin\" && status_code_1 == 200 && contains(body_1, \"Admin\")']}", &d));
    assert!(matches("{type: word, part: body_1, words: [Panel]}", &d));
    assert_eq!(d.part_lowered("body").map(|b| b.len() > 10), Some(true));
}

#[test]
fn compiled_operators_and_data_are_shareable_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Operators>();
    send_sync::<Data>();
    send_sync::<Evaluation>();
}

#[test]
fn to_lower_of_a_variable_uses_the_cached_lower_case() {
    let d = data();
    assert!(matches(
        "{type: dsl, dsl: ['contains(to_lower(body), \"admin panel\")']}",
        &d
    ));
    assert!(matches(
        "{type: dsl, dsl: ['contains(tolower(body), \"admin panel\")']}",
        &d
    ));
    assert!(!matches(
        "{type: dsl, dsl: ['contains(to_lower(body), \"Admin\")']}",
        &d
    ));
}

#[test]
fn helper_results_are_shared_only_while_their_inputs_hold() {
    let m = matcher("{type: dsl, dsl: ['md5(body) == \"0cc175b9c0f1b6a831c399e269772661\"']}");
    let o = Operators {
        matchers: vec![m],
        ..Operators::default()
    };
    let mut d = Data::new();
    d.insert("body", "a");
    assert!(o.evaluate(&d).matched);
    assert!(o.evaluate(&d).matched);
    d.insert("body", "b");
    assert!(!o.evaluate(&d).matched);
    // A variable from a layer (template variables) is never cached in the data.
    let m = matcher("{type: dsl, dsl: ['md5(user) == \"0cc175b9c0f1b6a831c399e269772661\"']}");
    let o = Operators {
        matchers: vec![m],
        ..Operators::default()
    };
    let mut a = std::collections::HashMap::new();
    a.insert("user".to_string(), Value::from("a"));
    let mut d = Data::new();
    d.push_layer(Arc::new(a));
    assert!(o.evaluate(&d).matched);
    let mut b = std::collections::HashMap::new();
    b.insert("user".to_string(), Value::from("b"));
    let mut d2 = Data::new();
    d2.push_layer(Arc::new(b));
    assert!(!o.evaluate(&d2).matched);
}

fn arb_matcher() -> impl Strategy<Value = MatcherSpec> {
    let kinds = prop_oneof![
        Just("word"),
        Just("regex"),
        Just("binary"),
        Just("status"),
        Just("size"),
        Just("dsl"),
        Just("xpath"),
        Just("bogus")
    ];
    let item = prop_oneof![
        ".{0,12}",
        Just("status_code == 200".to_string()),
        Just("contains(body, '{{x}}')".to_string()),
        Just("00ff".to_string()),
        Just("(a|b)+".to_string()),
        Just("{{md5(body)}}".to_string()),
    ];
    (
        kinds,
        proptest::collection::vec(item, 0..4),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some("and".to_string())),
            Just(Some("or".to_string()))
        ],
        prop_oneof![
            Just(None),
            Just(Some("header".to_string())),
            Just(Some("all".to_string())),
            Just(Some("body_2".to_string()))
        ],
    )
        .prop_map(|(k, items, neg, ci, all, cond, part)| MatcherSpec {
            kind: Some(k.to_string()),
            words: items.clone(),
            regex: items.clone(),
            binary: items.clone(),
            dsl: items.clone(),
            status: items.iter().map(|i| Scalar::Str(i.clone())).collect(),
            size: vec![Scalar::Int(3)],
            negative: neg,
            case_insensitive: ci && k == "word",
            match_all: all,
            condition: cond,
            part,
            ..MatcherSpec::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn compile_and_evaluate_never_panic(m in arb_matcher(), body in proptest::collection::vec(any::<u8>(), 0..64), status in any::<i64>()) {
        let mut d = Data::new();
        d.insert("body", Value::from_bytes(body));
        d.insert("status_code", status);
        d.insert("x", "a");
        if let Ok(c) = Matcher::compile(&m) {
            let o = Operators { matchers: vec![c], ..Operators::default() };
            let _ = o.evaluate(&d);
        }
        let e = ExtractorSpec {
            kind: m.kind.clone(),
            regex: m.regex.clone(),
            dsl: m.dsl.clone(),
            kval: m.words.clone(),
            json: m.words.clone(),
            group: vec![Scalar::Int(1)],
            ..ExtractorSpec::default()
        };
        if let Ok(c) = Extractor::compile(&e) {
            let o = Operators { extractors: vec![c], ..Operators::default() };
            let _ = o.evaluate(&d);
        }
    }
}
