//! The values expressions compute with: Go's untyped values as nuclei's helpers see them.
//! Strings may carry arbitrary bytes (a response body need not be UTF-8), numbers are
//! integers or floats compared numerically, and every value has Go's `fmt.Sprint` text form.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// One value of nuclei's expression language. Cheap to clone: text, bytes and lists are shared.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go's `nil`: a missing result (an extractor that found nothing, `??`'s left side).
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (status codes, lengths).
    Int(i64),
    /// A float (`duration`, govaluate's numeric literals with a fraction).
    Float(f64),
    /// Text that is valid UTF-8.
    Str(Arc<str>),
    /// Text that is not valid UTF-8 (binary bodies, `hex_decode` output).
    Bytes(Arc<[u8]>),
    /// A list of values (`split`, several extracted values, `in (a, b)`).
    List(Arc<[Value]>),
}

impl Value {
    /// A string value from bytes: `Str` when they are UTF-8, else `Bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::Str(s.into()),
            Err(e) => Value::Bytes(e.into_bytes().into()),
        }
    }

    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A list of string values.
    pub fn list_of_strings<I: IntoIterator<Item = S>, S: Into<Arc<str>>>(items: I) -> Value {
        Value::List(items.into_iter().map(|s| Value::Str(s.into())).collect())
    }

    /// True for `Str` and `Bytes`.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Bytes(_))
    }

    /// True for `Int` and `Float`.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    /// The number as a float, for numbers only.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, for booleans only.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The bytes of the value's text form (borrowed for strings).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Value::Str(s) => Cow::Borrowed(s.as_bytes()),
            Value::Bytes(b) => Cow::Borrowed(b),
            other => Cow::Owned(other.to_text().into_owned().into_bytes()),
        }
    }

    /// The value as text, as the helpers' `toString` does (`nil` is empty, floats without
    /// exponent, invalid UTF-8 replaced by U+FFFD).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Value::Null => Cow::Borrowed(""),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::Float(f) => Cow::Owned(format_float(*f)),
            Value::Str(s) => Cow::Borrowed(s),
            Value::Bytes(b) => String::from_utf8_lossy(b),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(|v| v.to_text().into_owned()).collect();
                Cow::Owned(format!("[{}]", parts.join(" ")))
            }
        }
    }

    /// The value as a number when it is one or is text holding one (`"200"`, `"1.5"`).
    pub fn to_number(&self) -> Option<Value> {
        match self {
            Value::Int(_) | Value::Float(_) => Some(self.clone()),
            Value::Bool(_) | Value::Null | Value::List(_) => None,
            Value::Str(_) | Value::Bytes(_) => {
                let text = self.to_text();
                let t = text.trim();
                if let Ok(i) = t.parse::<i64>() {
                    Some(Value::Int(i))
                } else {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Value::Float)
                }
            }
        }
    }

    /// The value as an integer (numbers truncated, numeric text parsed), as the helpers' `toInt`.
    pub fn to_i64(&self) -> Option<i64> {
        match self.to_number()? {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.is_finite() && f.abs() < 9.0e18 => Some(f as i64),
            _ => None,
        }
    }

    /// govaluate's `==`: numbers numerically, strings by bytes, lists element-wise; values of
    /// different kinds are unequal.
    pub fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (a, b) if a.is_number() && b.is_number() => match (a, b) {
                (Value::Int(x), Value::Int(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            },
            (a, b) if a.is_string() && b.is_string() => a.as_bytes() == b.as_bytes(),
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.loose_eq(y))
            }
            _ => false,
        }
    }

    /// A short name of the kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) | Value::Bytes(_) => "string",
            Value::List(_) => "list",
        }
    }
}

/// Formats a float as Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest digits, no exponent.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == f.trunc() && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    format!("{f}")
}

/// Go's `fmt.Sprint` form, which extractors output (`nil` prints as `<nil>`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("<nil>"),
            other => f.write_str(&other.to_text()),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.loose_eq(other)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s.into())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::from_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_numerically_and_strings_by_content() {
        assert!(Value::Int(200).loose_eq(&Value::Float(200.0)));
        assert!(!Value::Int(200).loose_eq(&Value::str("200")));
        assert!(Value::str("a").loose_eq(&Value::Bytes(Arc::from(&b"a"[..]))));
    }

    #[test]
    fn text_forms_follow_go() {
        assert_eq!(Value::Float(200.0).to_text(), "200");
        assert_eq!(Value::Float(0.5).to_text(), "0.5");
        assert_eq!(Value::Null.to_text(), "");
        assert_eq!(Value::Null.to_string(), "<nil>");
        assert_eq!(Value::from_bytes(vec![0xff, b'a']).to_text(), "\u{fffd}a");
        assert_eq!(Value::str(" 42 ").to_i64(), Some(42));
    }
}
