//! JSON in one canonical key order: every object's keys sorted. serde_json keeps insertion
//! order when any crate of a build enables its `preserve_order` feature (yara-x does), so text
//! rendered from a `Value` (HTML evidence, golden files) goes through [`sorted`] to read the
//! same in every build.

use serde_json::Value;

/// `v` with every object's keys in sorted order (arrays keep their order).
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_sorted_at_every_depth() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":2}],"a":{"y":1,"x":2}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&super::sorted(&v)).unwrap(),
            r#"{"a":{"x":2,"y":1},"b":[{"a":2,"z":1}]}"#
        );
    }
}
