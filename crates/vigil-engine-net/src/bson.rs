//! A minimal BSON (<https://bsonspec.org/spec.html>, version 1.1) for talking to MongoDB: an
//! encoder for the small command documents a client sends (strings, 32- and 64-bit integers,
//! doubles, booleans, binary, null, nested documents and arrays) and a bounded, panic-free
//! reader for what a server answers. The reader decodes or skips every element type of the
//! spec, checks every length against the bytes at hand, and refuses nesting deeper than
//! [`MAX_DEPTH`]; anything malformed reads as `None`.

/// Deepest nesting of documents and arrays the reader accepts (MongoDB's own limit is 100;
/// the replies Vigil reads nest two or three levels).
pub const MAX_DEPTH: usize = 32;

/// A BSON value. Types the reader only skips keep their type byte in [`Value::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// 0x01: 64-bit IEEE 754 floating point.
    Double(f64),
    /// 0x02: UTF-8 string (invalid UTF-8 is replaced when read).
    Str(String),
    /// 0x03: embedded document.
    Doc(Document),
    /// 0x04: array (a document whose keys are "0", "1", ...), values in order.
    Array(Vec<Value>),
    /// 0x05: binary data with its subtype (0 generic, 4 UUID, ...).
    Binary(u8, Vec<u8>),
    /// 0x07: ObjectId.
    ObjectId([u8; 12]),
    /// 0x08: boolean.
    Bool(bool),
    /// 0x09: UTC datetime, milliseconds since the Unix epoch.
    DateTime(i64),
    /// 0x0A: null.
    Null,
    /// 0x10: 32-bit integer.
    Int32(i32),
    /// 0x11: MongoDB timestamp (increment in the low, seconds in the high 32 bits).
    Timestamp(u64),
    /// 0x12: 64-bit integer.
    Int64(i64),
    /// 0x13: 128-bit decimal, raw little-endian bytes.
    Decimal128([u8; 16]),
    /// Any other type of the spec (undefined, regex, DBPointer, JavaScript, symbol, code with
    /// scope, min key, max key), read past by its size and not decoded.
    Other(u8),
}

impl Value {
    /// The value as a number when it is a double or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Double(d) => Some(d),
            Value::Int32(i) => Some(i as f64),
            Value::Int64(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The value as an integer when it is an integer or a double with no fractional part.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int32(i) => Some(i as i64),
            Value::Int64(i) => Some(i),
            Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Some(d as i64),
            _ => None,
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int32(i)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int64(i)
    }
}
impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Document> for Value {
    fn from(d: Document) -> Self {
        Value::Doc(d)
    }
}

/// A BSON document: keys and values in order (MongoDB reads the first key as the command
/// name, so order matters).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    fields: Vec<(String, Value)>,
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Document::default()
    }

    /// The document with `key: value` appended (builder style:
    /// `Document::new().with("buildInfo", 1).with("$db", "admin")`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.push(key, value);
        self
    }

    /// Append `key: value`.
    pub fn push(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.push((key.to_string(), value.into()));
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the document has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A string field.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// A numeric field (double, int32 or int64) as `f64`: MongoDB answers `ok` as a double
    /// or an integer depending on version and command.
    pub fn get_f64_or_int(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }

    /// An integer field (int32, int64, or a double without fraction) as `i64`.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key)?.as_i64()
    }

    /// A boolean field.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An embedded document field.
    pub fn get_doc(&self, key: &str) -> Option<&Document> {
        match self.get(key)? {
            Value::Doc(d) => Some(d),
            _ => None,
        }
    }

    /// An array field.
    pub fn get_array(&self, key: &str) -> Option<&[Value]> {
        match self.get(key)? {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A binary field's bytes, whatever its subtype (SASL payloads are subtype 0).
    pub fn get_binary(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            Value::Binary(_, b) => Some(b),
            _ => None,
        }
    }

    /// Whether a command reply says `ok: 1` (as a double, an integer or a boolean).
    pub fn is_ok(&self) -> bool {
        match self.get("ok") {
            Some(Value::Bool(b)) => *b,
            Some(v) => v.as_f64() == Some(1.0),
            None => false,
        }
    }

    /// The encoded document.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        encode_doc(&mut out, self.iter());
        out
    }

    /// Read one document from the start of `raw` (which may hold more after it); `None` when
    /// it is malformed, truncated, or nested deeper than [`MAX_DEPTH`].
    pub fn from_bytes(raw: &[u8]) -> Option<Document> {
        Some(Document {
            fields: read_doc(raw, 0)?.0,
        })
    }

    /// The size the document at the start of `raw` declares for itself, when plausible (at
    /// least 5 bytes); it may exceed what `raw` holds.
    pub fn declared_len(raw: &[u8]) -> Option<usize> {
        let n = i32::from_le_bytes(raw.get(..4)?.try_into().ok()?);
        usize::try_from(n).ok().filter(|n| *n >= 5)
    }
}

fn encode_doc<'a>(out: &mut Vec<u8>, fields: impl Iterator<Item = (&'a str, &'a Value)>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    for (k, v) in fields {
        encode_element(out, k, v);
    }
    out.push(0);
    let len = (out.len() - start) as i32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn cstring(out: &mut Vec<u8>, s: &str) {
    // A key cannot hold NUL; cut it there rather than corrupt the document.
    out.extend(s.bytes().take_while(|b| *b != 0));
    out.push(0);
}

fn encode_element(out: &mut Vec<u8>, key: &str, v: &Value) {
    let ty = match v {
        Value::Double(_) => 0x01,
        Value::Str(_) => 0x02,
        Value::Doc(_) => 0x03,
        Value::Array(_) => 0x04,
        Value::Binary(..) => 0x05,
        Value::ObjectId(_) => 0x07,
        Value::Bool(_) => 0x08,
        Value::DateTime(_) => 0x09,
        // The reader's skipped types have no content Vigil could send back: write null.
        Value::Null | Value::Other(_) => 0x0a,
        Value::Int32(_) => 0x10,
        Value::Timestamp(_) => 0x11,
        Value::Int64(_) => 0x12,
        Value::Decimal128(_) => 0x13,
    };
    out.push(ty);
    cstring(out, key);
    match v {
        Value::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
        Value::Str(s) => {
            out.extend_from_slice(&((s.len() + 1) as i32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        Value::Doc(d) => encode_doc(out, d.iter()),
        Value::Array(a) => {
            let keys: Vec<String> = (0..a.len()).map(|i| i.to_string()).collect();
            encode_doc(out, keys.iter().map(String::as_str).zip(a.iter()));
        }
        Value::Binary(sub, b) => {
            out.extend_from_slice(&(b.len() as i32).to_le_bytes());
            out.push(*sub);
            out.extend_from_slice(b);
        }
        Value::ObjectId(id) => out.extend_from_slice(id),
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::DateTime(t) => out.extend_from_slice(&t.to_le_bytes()),
        Value::Null | Value::Other(_) => {}
        Value::Int32(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::Timestamp(t) => out.extend_from_slice(&t.to_le_bytes()),
        Value::Int64(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::Decimal128(d) => out.extend_from_slice(d),
    }
}

/// Bytes `at..at + n` of `raw`, when they are all there.
fn take(raw: &[u8], at: usize, n: usize) -> Option<&[u8]> {
    raw.get(at..at.checked_add(n)?)
}

fn i32_at(raw: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(take(raw, at, 4)?.try_into().ok()?))
}

fn u64_at(raw: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(take(raw, at, 8)?.try_into().ok()?))
}

/// A non-negative int32 length at `at`.
fn len_at(raw: &[u8], at: usize) -> Option<usize> {
    usize::try_from(i32_at(raw, at)?).ok()
}

/// A NUL-terminated string at `at`: (text, bytes used including the NUL).
fn cstring_at(raw: &[u8], at: usize) -> Option<(String, usize)> {
    let rest = raw.get(at..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    Some((String::from_utf8_lossy(&rest[..end]).into_owned(), end + 1))
}

/// A BSON string (int32 length including the NUL, bytes, NUL) at `at`: (text, bytes used).
fn string_at(raw: &[u8], at: usize) -> Option<(String, usize)> {
    let n = len_at(raw, at)?;
    let body = take(raw, at + 4, n)?;
    let (last, text) = body.split_last()?;
    (*last == 0).then(|| (String::from_utf8_lossy(text).into_owned(), 4 + n))
}

type Fields = Vec<(String, Value)>;

/// A document at the start of `raw`: its fields and its size.
fn read_doc(raw: &[u8], depth: usize) -> Option<(Fields, usize)> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let size = Document::declared_len(raw)?;
    let doc = raw.get(..size)?;
    if doc.last() != Some(&0) {
        return None;
    }
    let end = size - 1;
    let mut at = 4;
    let mut fields = Vec::new();
    while at < end {
        let ty = doc[at];
        let (key, used) = cstring_at(&doc[..end], at + 1)?;
        at += 1 + used;
        let (value, used) = read_value(&doc[..end], at, ty, depth)?;
        at += used;
        fields.push((key, value));
    }
    (at == end).then_some((fields, size))
}

/// The value of type `ty` at `at`: the value and the bytes it used.
fn read_value(raw: &[u8], at: usize, ty: u8, depth: usize) -> Option<(Value, usize)> {
    Some(match ty {
        0x01 => (Value::Double(f64::from_bits(u64_at(raw, at)?)), 8),
        0x02 => {
            let (s, used) = string_at(raw, at)?;
            (Value::Str(s), used)
        }
        0x03 => {
            let (fields, used) = read_doc(raw.get(at..)?, depth + 1)?;
            (Value::Doc(Document { fields }), used)
        }
        0x04 => {
            let (fields, used) = read_doc(raw.get(at..)?, depth + 1)?;
            (
                Value::Array(fields.into_iter().map(|(_, v)| v).collect()),
                used,
            )
        }
        0x05 => {
            let n = len_at(raw, at)?;
            let sub = *raw.get(at + 4)?;
            let data = take(raw, at + 5, n)?;
            (Value::Binary(sub, data.to_vec()), 5 + n)
        }
        0x06 | 0x7f | 0xff => (Value::Other(ty), 0), // undefined, max key, min key
        0x07 => (Value::ObjectId(take(raw, at, 12)?.try_into().ok()?), 12),
        0x08 => match *raw.get(at)? {
            0 => (Value::Bool(false), 1),
            1 => (Value::Bool(true), 1),
            _ => return None,
        },
        0x09 => (Value::DateTime(u64_at(raw, at)? as i64), 8),
        0x0a => (Value::Null, 0),
        0x0b => {
            // Regular expression: pattern and options, two C strings.
            let (_, a) = cstring_at(raw, at)?;
            let (_, b) = cstring_at(raw, at + a)?;
            (Value::Other(ty), a + b)
        }
        0x0c => {
            // DBPointer (deprecated): a string and a 12-byte ObjectId.
            let (_, used) = string_at(raw, at)?;
            take(raw, at + used, 12)?;
            (Value::Other(ty), used + 12)
        }
        0x0d | 0x0e => {
            // JavaScript code, symbol: a string.
            let (_, used) = string_at(raw, at)?;
            (Value::Other(ty), used)
        }
        0x0f => {
            // Code with scope: int32 total size, string, document; all inside that size.
            let total = len_at(raw, at)?;
            let body = take(raw, at, total)?;
            let (_, s) = string_at(body, 4)?;
            let (_, d) = read_doc(body.get(4 + s..)?, depth + 1)?;
            if 4 + s + d != total {
                return None;
            }
            (Value::Other(ty), total)
        }
        0x10 => (Value::Int32(i32_at(raw, at)?), 4),
        0x11 => (Value::Timestamp(u64_at(raw, at)?), 8),
        0x12 => (Value::Int64(u64_at(raw, at)? as i64), 8),
        0x13 => (Value::Decimal128(take(raw, at, 16)?.try_into().ok()?), 16),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_per_spec() {
        // bsonspec.org's example: {"hello": "world"} is
        // \x16\x00\x00\x00 \x02 hello\x00 \x06\x00\x00\x00 world\x00 \x00
        let d = Document::new().with("hello", "world");
        assert_eq!(
            d.to_bytes(),
            b"\x16\x00\x00\x00\x02hello\x00\x06\x00\x00\x00world\x00\x00"
        );
        // {"BSON": ["awesome", 5.05, 1986]} from the same page.
        let d = Document::new().with(
            "BSON",
            Value::Array(vec!["awesome".into(), 5.05.into(), 1986.into()]),
        );
        let want: &[u8] = b"\x31\x00\x00\x00\x04BSON\x00\x26\x00\x00\x00\x02\x30\x00\x08\x00\x00\x00awesome\x00\x01\x31\x00\x33\x33\x33\x33\x33\x33\x14\x40\x10\x32\x00\xc2\x07\x00\x00\x00\x00";
        assert_eq!(d.to_bytes(), want);
        assert_eq!(Document::from_bytes(want), Some(d));
    }

    #[test]
    fn round_trips_every_encodable_type() {
        let d = Document::new()
            .with("saslStart", 1)
            .with("mechanism", "SCRAM-SHA-256")
            .with("payload", Value::Binary(0, b"n,,n=u,r=abc".to_vec()))
            .with("big", 1i64 << 40)
            .with("ok", 1.0)
            .with("flag", true)
            .with("none", Value::Null)
            .with("options", Document::new().with("skipEmptyExchange", true))
            .with("list", Value::Array(vec![Value::Int32(1), "x".into()]));
        let raw = d.to_bytes();
        let back = Document::from_bytes(&raw).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.get_str("mechanism"), Some("SCRAM-SHA-256"));
        assert_eq!(back.get_binary("payload"), Some(&b"n,,n=u,r=abc"[..]));
        assert_eq!(back.get_i64("big"), Some(1 << 40));
        assert_eq!(back.get_f64_or_int("saslStart"), Some(1.0));
        assert_eq!(back.get_bool("flag"), Some(true));
        assert_eq!(
            back.get_doc("options")
                .unwrap()
                .get_bool("skipEmptyExchange"),
            Some(true)
        );
        assert_eq!(back.get_array("list").unwrap().len(), 2);
        assert!(back.is_ok());
        assert_eq!(back.iter().next().map(|(k, _)| k), Some("saslStart"));
        // Trailing bytes after the document are not part of it.
        let mut more = raw.clone();
        more.extend_from_slice(b"junk");
        assert_eq!(Document::from_bytes(&more), Some(d));
    }

    /// Build a document by hand from raw elements (type, key, value bytes).
    fn raw_doc(elements: &[(u8, &str, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (ty, key, val) in elements {
            body.push(*ty);
            body.extend_from_slice(key.as_bytes());
            body.push(0);
            body.extend_from_slice(val);
        }
        let mut out = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        out.extend_from_slice(&body);
        out.push(0);
        out
    }

    #[test]
    fn skips_every_other_type_by_its_size() {
        // Every element type of BSON 1.1 not decoded above, in its spec layout, followed by
        // a field that must still be found.
        let js_scope = {
            let scope = raw_doc(&[(0x10, "x", &1i32.to_le_bytes())]);
            let mut v = Vec::new();
            let code = b"\x05\x00\x00\x00x+1;\x00";
            v.extend_from_slice(&((4 + code.len() + scope.len()) as i32).to_le_bytes());
            v.extend_from_slice(code);
            v.extend_from_slice(&scope);
            v
        };
        let mut dbptr = b"\x02\x00\x00\x00c\x00".to_vec();
        dbptr.extend_from_slice(&[7; 12]);
        let raw = raw_doc(&[
            (0x06, "undef", b""),
            (0x07, "oid", &[1; 12]),
            (0x09, "date", &1_700_000_000_000i64.to_le_bytes()),
            (0x0b, "re", b"^a.*\x00i\x00"),
            (0x0c, "ptr", &dbptr),
            (0x0d, "js", b"\x03\x00\x00\x00f(\x00"),
            (0x0e, "sym", b"\x02\x00\x00\x00s\x00"),
            (0x0f, "jsws", &js_scope),
            (0x11, "ts", &[2; 8]),
            (0x13, "dec", &[3; 16]),
            (0xff, "min", b""),
            (0x7f, "max", b""),
            (0x02, "version", b"\x06\x00\x00\x007.0.2\x00"),
        ]);
        let d = Document::from_bytes(&raw).unwrap();
        assert_eq!(d.len(), 13);
        assert_eq!(d.get_str("version"), Some("7.0.2"));
        assert_eq!(d.get("oid"), Some(&Value::ObjectId([1; 12])));
        assert_eq!(d.get("re"), Some(&Value::Other(0x0b)));
        assert_eq!(d.get("jsws"), Some(&Value::Other(0x0f)));
        assert_eq!(d.get("dec"), Some(&Value::Decimal128([3; 16])));
    }

    #[test]
    fn refuses_malformed_documents() {
        let good = Document::new().with("a", "b").to_bytes();
        // Truncated anywhere.
        for n in 0..good.len() {
            assert!(Document::from_bytes(&good[..n]).is_none(), "{n}");
        }
        // A declared size beyond the buffer, a missing terminator, a bad string length.
        let mut long = good.clone();
        long[0] = 200;
        assert!(Document::from_bytes(&long).is_none());
        let mut unterminated = good.clone();
        *unterminated.last_mut().unwrap() = 1;
        assert!(Document::from_bytes(&unterminated).is_none());
        let mut bad_str = good.clone();
        bad_str[7] = 0x7f; // string length far past the document
        assert!(Document::from_bytes(&bad_str).is_none());
        // Negative lengths.
        let neg = raw_doc(&[(0x02, "s", &(-5i32).to_le_bytes())]);
        assert!(Document::from_bytes(&neg).is_none());
        // An unknown type cannot be skipped.
        let unknown = raw_doc(&[(0x42, "x", b"")]);
        assert!(Document::from_bytes(&unknown).is_none());
        // A boolean other than 0 or 1.
        assert!(Document::from_bytes(&raw_doc(&[(0x08, "b", b"\x02")])).is_none());
    }

    #[test]
    fn nesting_is_bounded() {
        let mut d = Document::new().with("x", 1);
        for _ in 0..MAX_DEPTH - 1 {
            d = Document::new().with("d", d);
        }
        assert!(Document::from_bytes(&d.to_bytes()).is_some());
        let deeper = Document::new().with("d", d);
        assert!(Document::from_bytes(&deeper.to_bytes()).is_none());
    }

    proptest::proptest! {
        #[test]
        fn reader_never_panics(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = Document::from_bytes(&raw);
            let _ = Document::declared_len(&raw);
        }

        #[test]
        fn reader_never_panics_on_corrupted_documents(
            flips in proptest::collection::vec((0usize..200, proptest::num::u8::ANY), 1..8)
        ) {
            let mut raw = Document::new()
                .with("isMaster", 1)
                .with("s", "text")
                .with("d", Document::new().with("n", 2.5).with("b", Value::Binary(0, vec![1, 2])))
                .with("a", Value::Array(vec![Value::Int64(7), Value::Null]))
                .to_bytes();
            for (at, b) in flips {
                let n = raw.len();
                raw[at % n] = b;
            }
            let _ = Document::from_bytes(&raw);
        }
    }
}
