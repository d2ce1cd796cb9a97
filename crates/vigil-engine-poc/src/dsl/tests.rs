//! Tests of the expression language against nuclei's documented helper examples and
//! govaluate's semantics, and property tests that parsing and evaluation never panic.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn vars() -> HashMap<String, Value> {
    let mut m = HashMap::new();
    m.insert("status_code".into(), Value::Int(200));
    m.insert("status_code_2".into(), Value::Int(302));
    m.insert(
        "body".into(),
        Value::from("Hello World <b>admin</b> version 2.3.0"),
    );
    m.insert(
        "body_1".into(),
        Value::from_bytes(vec![0xff, 0xfe, b'P', b'K']),
    );
    m.insert("duration".into(), Value::Float(6.2));
    m.insert("content_length".into(), Value::Int(38));
    m.insert("Host".into(), Value::from("example.com"));
    m.insert("interactsh-url".into(), Value::from("abc.oast.fun"));
    m
}

fn ev(src: &str) -> Value {
    match Expression::parse(src) {
        Ok(e) => e
            .eval(&vars())
            .unwrap_or_else(|err| Value::from(format!("ERR {err}"))),
        Err(err) => Value::from(format!("PARSE {err}")),
    }
}

fn s(src: &str) -> String {
    ev(src).to_text().into_owned()
}

#[test]
fn documented_helper_examples() {
    // https://docs.projectdiscovery.io/templates/reference/helper-functions
    assert_eq!(s(r#"base64("Hello")"#), "SGVsbG8=");
    assert_eq!(s(r#"base64_decode("SGVsbG8=")"#), "Hello");
    assert_eq!(s(r#"base64_py("Hello")"#), "SGVsbG8=\n");
    assert_eq!(s(r#"concat("Hello", 123, "world")"#), "Hello123world");
    assert_eq!(s(r#"contains("Hello", "lo")"#), "true");
    assert_eq!(
        s(r#"contains_all("Hello everyone", "lo", "every")"#),
        "true"
    );
    assert_eq!(s(r#"contains_any("Hello everyone", "abc", "llo")"#), "true");
    assert_eq!(s(r#"starts_with("Hello", "He")"#), "true");
    assert_eq!(s(r#"ends_with("Hello", "lo")"#), "true");
    assert_eq!(s(r#"line_starts_with("Hi\nHello", "He")"#), "false"); // govaluate: "\n" is "n"
    assert_eq!(s(r#"hex_decode("6161")"#), "aa");
    assert_eq!(s(r#"hex_encode("aa")"#), "6161");
    assert_eq!(
        s(r#"html_escape("<body>test</body>")"#),
        "&lt;body&gt;test&lt;/body&gt;"
    );
    assert_eq!(
        s(r#"html_unescape("&lt;body&gt;test&lt;/body&gt;")"#),
        "<body>test</body>"
    );
    assert_eq!(s(r#"len("Hello")"#), "5");
    assert_eq!(s(r#"md5("Hello")"#), "8b1a9953c4611296a827abf8c47804d7");
    assert_eq!(s(r#"mmh3("Hello")"#), "316307400");
    assert_eq!(
        s(r#"sha1("Hello")"#),
        "f7ff9e8b7bb2e09b70935a5d785e0cc5d9d0abf0"
    );
    assert_eq!(
        s(r#"sha256("Hello")"#),
        "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969"
    );
    assert_eq!(s(r#"to_lower("HELLO")"#), "hello");
    assert_eq!(s(r#"to_upper("hello")"#), "HELLO");
    assert_eq!(s(r#"replace("Hello", "He", "Ha")"#), "Hallo");
    assert_eq!(s(r#"replace_regex("He123llo", "(\\d+)", "")"#), "Hello");
    assert_eq!(s(r#"reverse("abc")"#), "cba");
    assert_eq!(s(r#"trim("aaaHelloddd", "ad")"#), "Hello");
    assert_eq!(s(r#"trim_left("aaaHelloddd", "ad")"#), "Helloddd");
    assert_eq!(s(r#"trim_right("aaaHelloddd", "ad")"#), "aaaHello");
    assert_eq!(s(r#"trim_prefix("aaHelloaa", "aa")"#), "Helloaa");
    assert_eq!(s(r#"trim_suffix("aaHelloaa", "aa")"#), "aaHello");
    assert_eq!(s(r#"trim_space("  Hello  ")"#), "Hello");
    assert_eq!(
        s(r#"url_encode("https://projectdiscovery.io/test?a=1")"#),
        "https%3A%2F%2Fprojectdiscovery.io%2Ftest%3Fa%3D1"
    );
    assert_eq!(
        s(r#"url_decode("https:%2F%2Fprojectdiscovery.io%3Ftest=1")"#),
        "https://projectdiscovery.io?test=1"
    );
    assert_eq!(s(r#"repeat("../", 5)"#), "../../../../../");
    assert_eq!(s(r#"join("_", "hello", "world")"#), "hello_world");
    assert_eq!(s(r#"join(", ", split("ab,cd,efg", ","))"#), "ab, cd, efg");
    assert_eq!(s(r#"regex("H([a-z]+)o", "Hello")"#), "true");
    assert_eq!(s(r#"remove_bad_chars("abcd", "bc")"#), "ad");
    assert_eq!(s(r#"substr("xxtestxxx", 2, 6)"#), "test");
    assert_eq!(s(r#"to_number("123456")"#), "123456");
    assert_eq!(s(r#"to_string(1234)"#), "1234");
    assert_eq!(s(r#"dec_to_hex(7001)"#), "1b59");
    assert_eq!(s(r#"hex_to_dec("ff")"#), "255");
    assert_eq!(s(r#"hex_to_dec("0xff")"#), "255");
    assert_eq!(s(r#"oct_to_dec("0o1234567")"#), "342391");
    assert_eq!(s(r#"bin_to_dec("0b1010")"#), "10");
    assert_eq!(s(r#"equals_any("foo", "bar", "foo")"#), "true");
    assert_eq!(
        s(r#"hmac("sha1", "test", "scrt")"#),
        "8856b111056d946d5c6c92a21b43c233596623c6"
    );
    assert_eq!(s(r#"padding("A", "b", 3, "prefix")"#), "bbA");
    assert_eq!(
        s(r#"compare_versions("v1.0.0", "<1.1.1", ">v1.0.0-beta")"#),
        "true"
    );
    assert_eq!(
        s(r#"date_time("%Y-%M-%D %H:%m", 1654870680)"#),
        "2022-06-10 14:18"
    );
    assert_eq!(
        s(r#"date_time("2006-01-02 15:04", 1654870680)"#),
        "2022-06-10 14:18"
    );
    assert_eq!(
        s(r#"to_unix_time("2022-01-13T16:30:10+00:00")"#),
        "1642091410"
    );
    assert_eq!(s(r#"gzip_decode(gzip("hello"))"#), "hello");
    assert_eq!(s(r#"zlib_decode(zlib("hello"))"#), "hello");
    assert_eq!(s(r#"inflate(deflate("hello"))"#), "hello");
    assert_eq!(
        s(r#"json_minify("{  \"name\":  \"John\" }")"#),
        r#"{"name":"John"}"#
    );
    assert_eq!(s(r#"count("a-b-c", "-")"#), "2");
}

#[test]
fn base64_py_wraps_at_76_columns() {
    let out = s(&format!("base64_py('{}')", "a".repeat(100)));
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(lines[0].len(), 76);
    assert!(out.ends_with('\n'));
    assert_eq!(lines.len(), 3);
}

#[test]
fn random_helpers_respect_lengths_and_charsets() {
    assert_eq!(s("len(rand_base(5))"), "5");
    assert!(s("rand_base(8, 'ab')")
        .chars()
        .all(|c| c == 'a' || c == 'b'));
    assert!(s("rand_text_numeric(10)")
        .chars()
        .all(|c| c.is_ascii_digit()));
    assert!(s("rand_text_alpha(10, 'abc')")
        .chars()
        .all(|c| c.is_ascii_alphabetic() && !"abc".contains(c)));
    let n: i64 = s("rand_int(10, 20)").parse().unwrap_or(-1);
    assert!((10..20).contains(&n));
    assert!(s("rand_ip('10.0.0.0/8')").starts_with("10."));
    assert!(s("rand_base(99999999999)").starts_with("ERR"));
    assert!(s("repeat('a', 100000000000)").starts_with("ERR"));
    assert!(s("replace_regex(repeat('a', 1000000), 'a', repeat('b', 100))").starts_with("ERR"));
    assert!(s("len(split(repeat('a,', 2000000), ','))").starts_with("ERR"));
}

#[test]
fn deep_inputs_are_refused_not_overflowed() {
    let deep = format!("{}x{}", "{{md5(".repeat(5000), ")}}".repeat(5000));
    let r = Template::compile(&deep).render(&vars());
    assert!(!r.bytes.is_empty());
    assert!(Expression::parse(&"!".repeat(100_000)).is_err());
    assert!(Expression::parse(&vec!["a"; 20_000].join(" && ")).is_err());
}

#[test]
fn govaluate_semantics() {
    assert_eq!(ev("status_code == 200"), Value::Bool(true));
    assert_eq!(ev("status_code == '200'"), Value::Bool(false));
    assert_eq!(
        ev("status_code_2 != 200 && content_length > 10"),
        Value::Bool(true)
    );
    assert_eq!(ev("duration >= 6"), Value::Bool(true));
    assert_eq!(ev("'a' + 1"), Value::from("a1"));
    assert_eq!(ev("1 + 2 * 3 ** 2"), Value::Int(19));
    assert_eq!(ev("7 / 2"), Value::Float(3.5));
    assert_eq!(ev("6 / 3"), Value::Int(2));
    assert_eq!(ev("0x10 | 1"), Value::Int(17));
    assert_eq!(ev("1 << 4"), Value::Int(16));
    assert_eq!(ev("status_code == 200 ? 'yes' : 'no'"), Value::from("yes"));
    assert_eq!(ev("missing ?? 'dflt'"), Value::from("dflt"));
    assert_eq!(ev("status_code in (301, 302, 200)"), Value::Bool(true));
    assert_eq!(ev("body =~ 'ad[a-z]+'"), Value::Bool(true));
    assert_eq!(ev("body !~ '^admin'"), Value::Bool(true));
    assert_eq!(ev("!(status_code == 404)"), Value::Bool(true));
    assert_eq!(ev("'b' > 'a'"), Value::Bool(true));
    assert_eq!(ev("-status_code"), Value::Int(-200));
    assert_eq!(ev("tolower('AB') == 'ab'"), Value::Bool(true));
    assert_eq!(ev("contains(body_1, 'PK')"), Value::Bool(true));
    assert_eq!(ev("contains(body, \"<b>admin\")"), Value::Bool(true));
    assert!(s("1 / 0").starts_with("ERR"));
    assert!(s("9223372036854775807 + 1").parse::<f64>().is_ok());
    assert!(s("status_code && true").starts_with("ERR"));
    assert!(s("nothing == 1").contains("no variable nothing"));
    assert_eq!(ev("[interactsh-url] == 'abc.oast.fun'"), Value::Bool(true));
}

#[test]
fn regex_strings_follow_govaluate_escaping() {
    // In govaluate a backslash takes the next character literally, so `\\d` is `\d`.
    assert_eq!(
        ev(r#"regex("version (\\d+)\\.(\\d+)", body)"#),
        Value::Bool(true)
    );
    assert_eq!(ev(r#"regex("\\bHello\\b", body)"#), Value::Bool(true));
}

#[test]
fn string_literals_with_placeholders_are_rendered() {
    assert_eq!(
        ev("contains(body, '{{concat(\"Wor\", \"ld\")}}')"),
        Value::Bool(true)
    );
    assert!(s("contains(body, '{{nope}}')").contains("no variable nope"));
}

#[test]
fn parse_reports_unknown_helpers_and_unsupported_ones() {
    assert!(
        matches!(Expression::parse("frobnicate(body)"), Err(ParseError::UnknownHelper { name, .. }) if name == "frobnicate")
    );
    let e = Expression::parse("jarm(Host) == 'x'");
    assert!(e.is_ok());
    let e = e.ok();
    let unsupported = e
        .as_ref()
        .map(|e| e.unsupported_functions())
        .unwrap_or_default();
    assert_eq!(unsupported.first().map(|u| u.0), Some("jarm"));
    assert!(s("jarm(Host)").contains("jarm"));
    let vars_used = Expression::parse("status_code_1 == 200 && contains(body_2, 'x')")
        .map(|e| e.variables())
        .unwrap_or_default();
    assert_eq!(vars_used, vec!["status_code_1", "body_2"]);
}

#[test]
fn placeholders_render_lookups_expressions_and_leave_payloads() {
    let v = vars();
    let t = Template::compile(
        "GET /{{md5(Host)}}?h={{Host}}&u={{interactsh-url}}&x={{7*7}}&s={{'a'*3}} HTTP/1.1",
    );
    let r = t.render(&v);
    assert!(r.is_complete(), "{r:?}");
    assert_eq!(
        r.text(),
        "GET /5ababd603b22780302dd8d83498e5172?h=example.com&u=abc.oast.fun&x={{7*7}}&s={{'a'*3}} HTTP/1.1"
    );
    let r = Template::compile("{{BaseURL}}/a/{{to_lower(rand_base(5))}}").render(&v);
    assert_eq!(r.unresolved, vec!["BaseURL".to_string()]);
    assert!(r.text().starts_with("{{BaseURL}}/a/"));
    assert_eq!(r.text().len(), "{{BaseURL}}/a/".len() + 5);
    let r = Template::compile("{{base64('a')}}{{hex_decode('ff00')}}").render(&v);
    assert_eq!(r.bytes, b"YQ==\xff\x00".to_vec());
    let r = Template::compile("{{md5({{Host}})}}").render(&v);
    assert!(r.errors.is_empty() || r.text().len() == 32);
    let t = Template::compile("{{unknownhelper(1)}}");
    assert_eq!(t.unknown_helpers(), ["unknownhelper".to_string()]);
    assert_eq!(t.render(&v).text(), "{{unknownhelper(1)}}");
}

#[test]
fn layered_vars_search_in_order() {
    let mut a = HashMap::new();
    a.insert("x".to_string(), Value::from("top"));
    let b = vars();
    let layers: [&dyn Vars; 2] = [&a, &b];
    let l = Layered::new(&layers);
    assert_eq!(l.get("x"), Some(Value::from("top")));
    assert_eq!(l.get("status_code"), Some(Value::Int(200)));
    assert_eq!(l.get("nope"), None);
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".{0,20}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::from_bytes),
    ]
}

fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("missing".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        "[a-z0-9 ]{0,6}".prop_map(|s| format!("'{s}'")),
        Just("1.5".to_string()),
        Just("true".to_string()),
        Just("nil".to_string()),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let ops = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("**"),
            Just("&&"),
            Just("||"),
            Just("=="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("=~"),
            Just("&"),
            Just("<<"),
            Just(">>"),
            Just("??"),
            Just("in"),
        ];
        let names = prop_oneof![
            Just("len"),
            Just("concat"),
            Just("repeat"),
            Just("substr"),
            Just("md5"),
            Just("base64_decode"),
            Just("hex_decode"),
            Just("rand_base"),
            Just("split"),
            Just("to_number"),
            Just("index"),
            Just("padding"),
            Just("regex"),
            Just("replace"),
            Just("url_decode"),
            Just("gzip_decode"),
            Just("compare_versions"),
            Just("date_time"),
            Just("rand_int"),
            Just("trim"),
            Just("mmh3"),
            Just("base64_py"),
            Just("join"),
        ];
        prop_oneof![
            (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            (names, proptest::collection::vec(inner.clone(), 0..4))
                .prop_map(|(n, args)| format!("{n}({})", args.join(", "))),
            inner.clone().prop_map(|a| format!("!{a}")),
            (inner.clone(), inner.clone(), inner).prop_map(|(a, b, c)| format!("{a} ? {b} : {c}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(src in ".{0,200}") {
        let _ = Expression::parse(&src);
        let _ = Template::compile(&src).render(&NoVars);
    }

    #[test]
    fn evaluator_never_panics(src in arb_expr(), a in arb_value(), b in arb_value()) {
        let mut v = HashMap::new();
        v.insert("a".to_string(), a);
        v.insert("b".to_string(), b);
        if let Ok(e) = Expression::parse(&src) {
            let _ = e.eval(&v);
        }
    }
}
