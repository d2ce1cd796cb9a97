//! Request parameters: un-flattening `A.N.Field=value` pairs into a JSON tree, and checking a
//! tree against an action's declarative schema (types, required, allowed values, ranges),
//! coercing form strings to the declared types. Raw input is checked here once; handlers get
//! a validated tree and deserialize it into typed structs. The schema of an action is derived
//! from the struct its handler reads (`#[derive(Params)]`, see `vigil-params-derive`), so the
//! two cannot drift.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
pub use vigil_params_derive::Params;

/// A request struct with its parameter schema (derive it with `#[derive(Params)]`).
pub trait Params {
    /// The parameters, in the order `vigil actions --json` lists them.
    const PARAMS: &'static [Param];
}

/// The request of an action that takes no parameters.
#[derive(Debug, Default, Deserialize, Params)]
pub struct NoParams {}

/// A request struct together with the validated tree it was read from, for handlers that keep
/// the request as the caller sent it (a task's definition).
#[derive(Debug)]
pub struct Raw<R> {
    /// The typed request.
    pub req: R,
    /// The validated parameters.
    pub value: Value,
}

impl<R: Params> Params for Raw<R> {
    const PARAMS: &'static [Param] = R::PARAMS;
}

impl<'de, R: DeserializeOwned> Deserialize<'de> for Raw<R> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let req = R::deserialize(&value).map_err(serde::de::Error::custom)?;
        Ok(Raw { req, value })
    }
}

/// Read validated parameters into the handler's request struct.
pub fn decode<R: DeserializeOwned>(p: Value) -> Result<R, ApiError> {
    serde_json::from_value(p).map_err(|e| ApiError::invalid(e.to_string()))
}

/// Number of parameters in `parts` (for the derive's flattened structs).
pub const fn total_len(parts: &[&[Param]]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < parts.len() {
        n += parts[i].len();
        i += 1;
    }
    n
}

/// `parts` one after the other (for the derive's flattened structs); `N` is [`total_len`].
pub const fn concat<const N: usize>(parts: &[&[Param]]) -> [Param; N] {
    let mut out = [Param::req("", Ty::Str, ""); N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Type of a parameter.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// String.
    Str,
    /// Signed 64-bit integer.
    Int,
    /// Signed 64-bit integer, also accepted as a decimal string in JSON (Tencent MS's own
    /// examples send `"Limit": "20"`); read into an [`IntText`], validated as a number.
    IntText,
    /// Boolean.
    Bool,
    /// List of one element type.
    List(&'static Ty),
    /// Object with its own fields.
    Obj(&'static [Param]),
}

/// An integer parameter that may also arrive as a decimal string ([`Ty::IntText`]); by the
/// time a handler reads it, it is a number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct IntText(pub i64);

/// Extra value check.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// No further check.
    None,
    /// Integer within an inclusive range.
    Range(i64, i64),
    /// Integer from a set.
    OneOfInt(&'static [i64]),
    /// String from a set.
    OneOfStr(&'static [&'static str]),
    /// String of at most this many characters.
    MaxLen(usize),
    /// List of at most this many items (checked on the list).
    MaxItems(usize),
}

/// One declared parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name as on the wire.
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// Whether it must be present.
    pub required: bool,
    /// Extra check.
    pub check: Check,
    /// One-line description.
    pub doc: &'static str,
}

impl Param {
    /// A required parameter.
    pub const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Param {
        Param {
            name,
            ty,
            required: true,
            check: Check::None,
            doc,
        }
    }
    /// An optional parameter.
    pub const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Param {
        Param {
            name,
            ty,
            required: false,
            check: Check::None,
            doc,
        }
    }
    /// The same parameter with a check.
    pub const fn check(self, check: Check) -> Param {
        Param { check, ..self }
    }
}

/// Most parameters one request may carry (the largest action takes lists of a few hundred).
pub const MAX_PARAMS: usize = 2_000;
/// Longest parameter name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most `.`-separated segments in one parameter name (`Filters.0.Values.1` has four).
pub const MAX_DEPTH: usize = 8;
/// Largest list index (`SiteIds.9999`): lists hold at most 10,000 items.
pub const MAX_INDEX: u32 = 9_999;

/// Split `application/x-www-form-urlencoded` text (a query or a form body) into pairs,
/// refusing more than [`MAX_PARAMS`] before collecting them.
pub fn parse_pairs(encoded: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for (k, v) in form_urlencoded::parse(encoded) {
        if pairs.len() == MAX_PARAMS {
            return Err(too_many());
        }
        pairs.push((k.into_owned(), v.into_owned()));
    }
    Ok(pairs)
}

fn too_many() -> ApiError {
    ApiError::invalid(format!(
        "The request carries more than {MAX_PARAMS} parameters."
    ))
}

/// Check one flattened parameter name against the bounds and split it into segments.
fn segments(key: &str) -> Result<Vec<&str>, ApiError> {
    let shown = || {
        let head = vigil_engine::text::clip(key, 64);
        format!("{head}{}", if head.len() < key.len() { "..." } else { "" })
    };
    if key.len() > MAX_NAME_BYTES {
        return Err(ApiError::invalid(format!(
            "The parameter name `{}` is longer than {MAX_NAME_BYTES} bytes.",
            shown()
        )));
    }
    let segs: Vec<&str> = key.split('.').collect();
    if segs.len() > MAX_DEPTH {
        return Err(ApiError::invalid(format!(
            "The parameter name `{}` nests deeper than {MAX_DEPTH} levels.",
            shown()
        )));
    }
    for s in &segs {
        if s.is_empty() {
            return Err(ApiError::invalid(format!(
                "malformed parameter name `{key}`"
            )));
        }
        if s.bytes().all(|b| b.is_ascii_digit())
            && !matches!(s.parse::<u32>(), Ok(i) if i <= MAX_INDEX)
        {
            return Err(ApiError::invalid(format!(
                "The list index in `{key}` is larger than {MAX_INDEX}."
            )));
        }
    }
    Ok(segs)
}

/// Build a JSON tree from flattened pairs (`Filters.0.Values.1=x`). Leaves stay strings;
/// numeric segments index lists, in index order. Names are bounded ([`MAX_PARAMS`],
/// [`MAX_NAME_BYTES`], [`MAX_DEPTH`], [`MAX_INDEX`]) before anything is built, so the
/// recursion below never goes deeper than [`MAX_DEPTH`].
pub fn unflatten(pairs: &[(String, String)]) -> Result<Value, ApiError> {
    if pairs.len() > MAX_PARAMS {
        return Err(too_many());
    }
    let mut root = Value::Object(Map::new());
    for (key, value) in pairs {
        let segs = segments(key)?;
        insert(&mut root, &segs, value, key)?;
    }
    Ok(finish_lists(root))
}

/// Intermediate representation: numeric segments collect into an object keyed `#<index>`,
/// turned into a list at the end. Depth is bounded by [`segments`].
fn insert(node: &mut Value, segs: &[&str], value: &str, full: &str) -> Result<(), ApiError> {
    let conflict = || {
        ApiError::invalid(format!(
            "parameter `{full}` conflicts with another parameter"
        ))
    };
    let Value::Object(map) = node else {
        return Err(conflict());
    };
    let Some((first, rest)) = segs.split_first() else {
        return Err(conflict());
    };
    let key = match first.parse::<u32>() {
        Ok(i) if first.bytes().all(|b| b.is_ascii_digit()) => format!("#{i:010}"),
        _ => first.to_string(),
    };
    if rest.is_empty() {
        if map.insert(key, Value::String(value.to_string())).is_some() {
            return Err(ApiError::invalid(format!(
                "parameter `{full}` is given twice"
            )));
        }
        return Ok(());
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        return Err(conflict());
    }
    insert(child, rest, value, full)
}

/// Turn `#<index>` objects into lists; depth is bounded by [`MAX_DEPTH`].
fn finish_lists(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let all_index = !map.is_empty() && map.keys().all(|k| k.starts_with('#'));
            if all_index {
                // Zero-padded indices sort numerically; sorted here because a serde_json map
                // keeps insertion order when a dependency enables `preserve_order`.
                let mut items: Vec<(String, Value)> = map.into_iter().collect();
                items.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Array(items.into_iter().map(|(_, v)| finish_lists(v)).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, finish_lists(v))).collect())
            }
        }
        other => other,
    }
}

/// Check `input` (an object) against `params`. `form` allows string leaves to be coerced to
/// the declared types (flattened input carries only strings). Returns the validated tree.
pub fn validate(params: &[Param], input: &Value, form: bool) -> Result<Value, ApiError> {
    validate_obj(params, input, form, "")
}

fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn validate_obj(
    params: &[Param],
    input: &Value,
    form: bool,
    prefix: &str,
) -> Result<Value, ApiError> {
    let Value::Object(map) = input else {
        return Err(ApiError::invalid(format!(
            "`{}` must be an object",
            if prefix.is_empty() {
                "request body"
            } else {
                prefix
            }
        )));
    };
    for k in map.keys() {
        if !params.iter().any(|p| p.name == k) {
            return Err(ApiError::unknown(&path(prefix, k)));
        }
    }
    let mut out = Map::new();
    for p in params {
        let name = path(prefix, p.name);
        match map.get(p.name) {
            None | Some(Value::Null) => {
                if p.required {
                    return Err(ApiError::missing(&name));
                }
            }
            Some(v) => {
                let checked = validate_value(&p.ty, v, form, &name)?;
                apply_check(p, &checked, &name)?;
                out.insert(p.name.to_string(), checked);
            }
        }
    }
    Ok(Value::Object(out))
}

fn validate_value(ty: &Ty, v: &Value, form: bool, name: &str) -> Result<Value, ApiError> {
    let wrong = |what: &str| ApiError::invalid(format!("`{name}` must be {what}"));
    match ty {
        Ty::Str => match v {
            Value::String(s) => Ok(Value::String(s.clone())),
            _ => Err(wrong("a string")),
        },
        Ty::Int => match v {
            Value::Number(n) if n.is_i64() => Ok(v.clone()),
            Value::String(s) if form => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| wrong("an integer")),
            _ => Err(wrong("an integer")),
        },
        Ty::IntText => match v {
            Value::Number(n) if n.is_i64() => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| wrong("an integer")),
            _ => Err(wrong("an integer")),
        },
        Ty::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            // Flattened booleans: `true`/`false`, and `True`/`False` as the Python SDK writes
            // them (it formats Python's own booleans).
            Value::String(s)
                if form && matches!(s.as_str(), "true" | "True" | "false" | "False") =>
            {
                Ok(Value::Bool(s.eq_ignore_ascii_case("true")))
            }
            _ => Err(wrong("a boolean")),
        },
        Ty::List(inner) => match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| validate_value(inner, item, form, &format!("{name}.{i}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(wrong("a list")),
        },
        Ty::Obj(fields) => validate_obj(fields, v, form, name),
    }
}

fn apply_check(p: &Param, v: &Value, name: &str) -> Result<(), ApiError> {
    let bad = |msg: String| Err(ApiError::invalid_value(msg));
    match (p.check, v) {
        (Check::Range(lo, hi), Value::Number(n)) => match n.as_i64() {
            Some(x) if x >= lo && x <= hi => Ok(()),
            _ => bad(format!("`{name}` must be between {lo} and {hi}")),
        },
        (Check::OneOfInt(set), Value::Number(n)) => match n.as_i64() {
            Some(x) if set.contains(&x) => Ok(()),
            _ => bad(format!("`{name}` must be one of {set:?}")),
        },
        (Check::OneOfStr(set), Value::String(s)) if !set.contains(&s.as_str()) => {
            bad(format!("`{name}` must be one of {set:?}"))
        }
        (Check::MaxLen(n), Value::String(s)) if s.chars().count() > n => {
            bad(format!("`{name}` must be at most {n} characters"))
        }
        (Check::MaxItems(n), Value::Array(a)) if a.len() > n => {
            bad(format!("`{name}` takes at most {n} items"))
        }
        _ => Ok(()),
    }
}

/// Describe a parameter list as JSON (for `vigil actions --json`).
pub fn describe(params: &[Param]) -> Value {
    Value::Array(
        params
            .iter()
            .map(|p| {
                let mut o = serde_json::json!({
                    "Name": p.name, "Type": type_name(&p.ty), "Required": p.required, "Description": p.doc,
                });
                if let Some(fields) = obj_fields(&p.ty) {
                    o["Fields"] = describe(fields);
                }
                match p.check {
                    Check::Range(lo, hi) => o["Range"] = serde_json::json!([lo, hi]),
                    Check::OneOfInt(s) => o["AllowedValues"] = serde_json::json!(s),
                    Check::OneOfStr(s) => o["AllowedValues"] = serde_json::json!(s),
                    Check::MaxLen(n) => o["MaxLength"] = n.into(),
                    Check::MaxItems(n) => o["MaxItems"] = n.into(),
                    Check::None => {}
                }
                o
            })
            .collect(),
    )
}

fn obj_fields(t: &Ty) -> Option<&'static [Param]> {
    match t {
        Ty::Obj(f) => Some(f),
        Ty::List(inner) => obj_fields(inner),
        _ => None,
    }
}

fn type_name(t: &Ty) -> String {
    match t {
        Ty::Str => "String".into(),
        Ty::Int | Ty::IntText => "Integer".into(),
        Ty::Bool => "Boolean".into(),
        Ty::List(inner) => format!("Array of {}", type_name(inner)),
        Ty::Obj(_) => "Object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn unflatten_documented_shapes() {
        let v = unflatten(&pairs(&[
            ("SiteIds.0", "1"),
            ("SiteIds.1", "2"),
            ("AppInfos.0.AppUrl", "http://x/a.apk"),
        ]))
        .unwrap();
        assert_eq!(
            v,
            json!({"SiteIds": ["1", "2"], "AppInfos": [{"AppUrl": "http://x/a.apk"}]})
        );
        let v = unflatten(&pairs(&[("A.10", "b"), ("A.2", "a")])).unwrap();
        assert_eq!(v, json!({"A": ["a", "b"]}));
        assert!(unflatten(&pairs(&[("A", "1"), ("A.0", "2")])).is_err());
        assert!(unflatten(&pairs(&[("A.0", "1"), ("A", "2")])).is_err());
        assert!(unflatten(&pairs(&[("A..B", "1")])).is_err());
        assert!(unflatten(&pairs(&[("A", "1"), ("A", "2")])).is_err());
    }

    #[test]
    fn hostile_names_are_bounded() {
        let code = |v: Vec<(String, String)>| unflatten(&v).unwrap_err().code;
        // 100,000 segments: refused before any tree is built (this overflowed the stack).
        let deep = vec!["a"; 100_000].join(".");
        assert_eq!(code(vec![(deep, "x".into())]), "InvalidParameter");
        let nine = ["A"; MAX_DEPTH + 1].join(".");
        assert_eq!(code(vec![(nine, "x".into())]), "InvalidParameter");
        let eight = ["A"; MAX_DEPTH].join(".");
        assert!(unflatten(&[(eight, "x".into())]).is_ok());
        for big in [
            "SiteIds.4294967296",
            "SiteIds.10000",
            "SiteIds.99999999999999999999",
        ] {
            assert_eq!(code(pairs(&[(big, "1")])), "InvalidParameter", "{big}");
        }
        assert_eq!(
            unflatten(&pairs(&[("SiteIds.9999", "1")])).unwrap(),
            json!({"SiteIds": ["1"]})
        );
        let long = "é".repeat(200);
        let e = unflatten(&[(long, "x".into())]).unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let many: Vec<(String, String)> = (0..MAX_PARAMS + 1)
            .map(|i| (format!("P{i}"), "x".to_string()))
            .collect();
        assert_eq!(code(many), "InvalidParameter");
        let body = "a=1&".repeat(MAX_PARAMS + 1);
        assert_eq!(
            parse_pairs(body.as_bytes()).unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(parse_pairs(b"a=1&b=2").unwrap().len(), 2);
    }

    const FILTER: &[Param] = &[
        Param::req("Name", Ty::Str, ""),
        Param::req("Values", Ty::List(&Ty::Str), ""),
    ];
    const SCHEMA: &[Param] = &[
        Param::opt("Limit", Ty::Int, "").check(Check::Range(1, 100)),
        Param::opt("Filters", Ty::List(&Ty::Obj(FILTER)), ""),
        Param::req("Urls", Ty::List(&Ty::Str), "").check(Check::MaxItems(2)),
        Param::opt("Mode", Ty::Str, "").check(Check::OneOfStr(&["normal", "deep"])),
    ];

    #[test]
    fn validation_codes() {
        let ok = validate(SCHEMA, &json!({"Urls": ["a"], "Limit": 5}), false).unwrap();
        assert_eq!(ok, json!({"Urls": ["a"], "Limit": 5}));
        let code = |v: Value, form: bool| validate(SCHEMA, &v, form).unwrap_err().code;
        assert_eq!(code(json!({}), false), "MissingParameter");
        assert_eq!(
            code(json!({"Urls": [], "Foo": 1}), false),
            "UnknownParameter"
        );
        assert_eq!(
            code(json!({"Urls": [], "Limit": "5"}), false),
            "InvalidParameter"
        );
        assert_eq!(
            code(json!({"Urls": [], "Limit": 500}), false),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"Urls": ["a", "b", "c"]}), false),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"Urls": [], "Mode": "fast"}), false),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"Urls": [], "Filters": [{"Name": "x"}]}), false),
            "MissingParameter"
        );
        assert_eq!(
            code(
                json!({"Urls": [], "Filters": [{"Name": "x", "Values": [], "Bad": 1}]}),
                false
            ),
            "UnknownParameter"
        );
        let e = validate(
            SCHEMA,
            &json!({"Urls": [], "Filters": [{"Name": "x"}]}),
            false,
        )
        .unwrap_err();
        assert!(e.message.contains("Filters.0.Values"), "{}", e.message);
        // Form strings are coerced.
        let v = unflatten(&pairs(&[("Urls.0", "a"), ("Limit", "7")])).unwrap();
        assert_eq!(
            validate(SCHEMA, &v, true).unwrap(),
            json!({"Urls": ["a"], "Limit": 7})
        );
        assert_eq!(
            code(
                unflatten(&pairs(&[("Urls.0", "a"), ("Limit", "x")])).unwrap(),
                true
            ),
            "InvalidParameter"
        );
    }

    #[derive(Debug, Deserialize, Params)]
    #[serde(rename_all = "PascalCase")]
    struct Inner {
        /// A name,
        /// on two lines.
        #[param(max_len = 3)]
        name: String,
    }

    const KINDS: &[&str] = &["x", "y"];

    #[derive(Debug, Deserialize, Params)]
    #[serde(rename_all = "PascalCase")]
    struct Outer {
        /// Ids.
        #[param(max_items = 2)]
        site_ids: Vec<i64>,
        #[serde(flatten)]
        inner: Inner,
        /// Items.
        #[serde(default)]
        items: Vec<Inner>,
        /// Renamed.
        #[serde(rename = "CFGRisk")]
        cfg: Option<bool>,
        /// Mode.
        #[param(one_of = ["a", "b"])]
        mode: Option<String>,
        /// Level.
        #[param(range(1, 3), doc = "Level, 1 to 3.")]
        level: Option<u8>,
        /// Kind.
        #[param(one_of = KINDS)]
        kind: Option<String>,
        /// Bookkeeping the wire never carries.
        #[serde(default)]
        #[param(skip)]
        kept: Option<i64>,
    }

    #[test]
    fn derived_schema_follows_the_struct() {
        assert_eq!(
            describe(Outer::PARAMS),
            json!([
                {"Name": "SiteIds", "Type": "Array of Integer", "Required": true, "Description": "Ids.", "MaxItems": 2},
                {"Name": "Name", "Type": "String", "Required": true, "Description": "A name, on two lines.", "MaxLength": 3},
                {"Name": "Items", "Type": "Array of Object", "Required": false, "Description": "Items.",
                 "Fields": [{"Name": "Name", "Type": "String", "Required": true, "Description": "A name, on two lines.", "MaxLength": 3}]},
                {"Name": "CFGRisk", "Type": "Boolean", "Required": false, "Description": "Renamed."},
                {"Name": "Mode", "Type": "String", "Required": false, "Description": "Mode.", "AllowedValues": ["a", "b"]},
                {"Name": "Level", "Type": "Integer", "Required": false, "Description": "Level, 1 to 3.", "Range": [1, 3]},
                {"Name": "Kind", "Type": "String", "Required": false, "Description": "Kind.", "AllowedValues": ["x", "y"]},
            ])
        );
        assert!(NoParams::PARAMS.is_empty());
        // What the schema accepts, the struct reads; the raw tree comes along.
        let v = unflatten(&pairs(&[
            ("SiteIds.0", "7"),
            ("Name", "abc"),
            ("Items.0.Name", "x"),
            ("CFGRisk", "True"),
            ("Level", "2"),
        ]))
        .unwrap();
        let checked = validate(Outer::PARAMS, &v, true).unwrap();
        let raw: Raw<Outer> = decode(checked).unwrap();
        assert_eq!(raw.req.site_ids, vec![7]);
        assert_eq!(
            (raw.req.inner.name.as_str(), raw.req.items.len()),
            ("abc", 1)
        );
        assert_eq!(
            (raw.req.cfg, raw.req.mode, raw.req.level),
            (Some(true), None, Some(2))
        );
        assert_eq!(raw.value["Items"][0]["Name"], "x");
        let code = |v: Value| validate(Outer::PARAMS, &v, false).unwrap_err().code;
        assert_eq!(code(json!({"Name": "abc"})), "MissingParameter");
        assert_eq!(
            code(json!({"SiteIds": [], "Name": "abcd"})),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"SiteIds": [], "Name": "a", "Level": 4})),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(json!({"SiteIds": [], "Name": "a", "Kept": 1})),
            "UnknownParameter"
        );
        assert_eq!(
            code(json!({"SiteIds": [], "Name": "a", "Kind": "z"})),
            "InvalidParameterValue"
        );
        assert_eq!((raw.req.kind, raw.req.kept), (None, None));
    }

    /// Flatten a JSON value the way the official Python SDK does (`_format_params`).
    fn sdk_flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| sdk_flatten(&key(k), v, out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| sdk_flatten(&key(&i.to_string()), v, out)),
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }

    fn leaf_tree() -> impl Strategy<Value = Value> {
        let leaf = "[a-zA-Z0-9 :/._-]{0,12}".prop_map(Value::String);
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..5).prop_map(Value::Array),
                prop::collection::btree_map("[A-Z][a-zA-Z]{0,8}", inner, 1..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn unflatten_inverts_sdk_flattening(
            top in prop::collection::btree_map("[A-Z][a-zA-Z]{0,8}", leaf_tree(), 1..6)
        ) {
            let v = Value::Object(top.into_iter().collect());
            let mut flat = Vec::new();
            sdk_flatten("", &v, &mut flat);
            prop_assert_eq!(unflatten(&flat).unwrap(), v);
        }

        #[test]
        fn unflatten_never_panics(keys in prop::collection::vec(("[A-Za-z0-9.]{0,12}", "[ -~]{0,6}"), 0..12)) {
            let _ = unflatten(&keys);
        }

        #[test]
        fn parse_pairs_never_panics(raw in prop::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(pairs) = parse_pairs(&raw) {
                let _ = unflatten(&pairs);
            }
        }
    }
}
