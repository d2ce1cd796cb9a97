//! Arbitrary query strings, form bodies and JSON through the real parameter pipeline
//! (`parse_pairs`, `unflatten`, `validate` against every served action's schema): no input
//! panics, and each one is decided quickly.

use proptest::prelude::*;
use std::time::{Duration, Instant};
use vigil_api::action;
use vigil_api::params::{parse_pairs, unflatten, validate, Param, Ty};

/// Every parameter and field name the served actions declare, so generated input gets past
/// the unknown-parameter check and into type, range and nested-object validation.
fn real_names() -> Vec<String> {
    fn walk(params: &[Param], out: &mut Vec<String>) {
        for p in params {
            out.push(p.name.to_string());
            let mut ty = &p.ty;
            while let Ty::List(inner) = ty {
                ty = inner;
            }
            if let Ty::Obj(fields) = ty {
                walk(fields, out);
            }
        }
    }
    let mut out = Vec::new();
    for a in action::all() {
        walk(a.params, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// Parameter names shaped like the real ones, with hostile twists.
fn name() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        3 => prop::sample::select(real_names()).boxed(),
        1 => "[A-Z][A-Za-z]{0,10}".boxed(),
        1 => "[0-9]{1,3}".boxed(),
        1 => Just(String::new()).boxed(),
        1 => "[^.&=]{0,6}".boxed(),
    ];
    prop::collection::vec(seg, 1..12).prop_map(|s| s.join("."))
}

fn encoded() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec((name(), "[ -~é中]{0,8}"), 0..20).prop_map(|pairs| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes()
        }),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~é中]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn form_input_never_panics(raw in encoded()) {
        let started = Instant::now();
        if let Ok(pairs) = parse_pairs(&raw) {
            if let Ok(tree) = unflatten(&pairs) {
                for a in action::all() {
                    let _ = validate(a.params, &tree, true);
                }
            }
        }
        prop_assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn json_input_never_panics(v in json_value()) {
        let started = Instant::now();
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        if let Ok(tree) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            for a in action::all() {
                let _ = validate(a.params, &tree, false);
            }
        }
        prop_assert!(started.elapsed() < Duration::from_secs(2));
    }
}

/// JSON nested past serde_json's recursion limit is refused by the parser, not the stack.
#[test]
fn deeply_nested_json_is_refused() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
    let deep_obj = format!("{}1{}", "{\"A\":".repeat(100_000), "}".repeat(100_000));
    assert!(serde_json::from_str::<serde_json::Value>(&deep_obj).is_err());
}
