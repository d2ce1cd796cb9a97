//! Typed values (AOSP `Res_value`): a data type and 32 bits of data, as attributes of binary
//! XML and simple entries of the resource table carry them. Strings are resolved through the
//! pool the value belongs to; references stay resource ids for the table to resolve.

use std::fmt;

use crate::bytes::Reader;
use crate::error::Result;
use crate::res::strings::StringPool;

/// `TYPE_NULL`.
pub const TYPE_NULL: u8 = 0x00;
/// `TYPE_REFERENCE`.
pub const TYPE_REFERENCE: u8 = 0x01;
/// `TYPE_ATTRIBUTE`.
pub const TYPE_ATTRIBUTE: u8 = 0x02;
/// `TYPE_STRING`.
pub const TYPE_STRING: u8 = 0x03;
/// `TYPE_FLOAT`.
pub const TYPE_FLOAT: u8 = 0x04;
/// `TYPE_DIMENSION`.
pub const TYPE_DIMENSION: u8 = 0x05;
/// `TYPE_FRACTION`.
pub const TYPE_FRACTION: u8 = 0x06;
/// `TYPE_DYNAMIC_REFERENCE`.
pub const TYPE_DYNAMIC_REFERENCE: u8 = 0x07;
/// `TYPE_DYNAMIC_ATTRIBUTE`.
pub const TYPE_DYNAMIC_ATTRIBUTE: u8 = 0x08;
/// `TYPE_INT_DEC`.
pub const TYPE_INT_DEC: u8 = 0x10;
/// `TYPE_INT_HEX`.
pub const TYPE_INT_HEX: u8 = 0x11;
/// `TYPE_INT_BOOLEAN`.
pub const TYPE_INT_BOOLEAN: u8 = 0x12;
/// `TYPE_INT_COLOR_ARGB8` (first of the colour types).
pub const TYPE_COLOR_ARGB8: u8 = 0x1c;
/// `TYPE_INT_COLOR_RGB4` (last of the colour types).
pub const TYPE_COLOR_RGB4: u8 = 0x1f;

/// A typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (`TYPE_NULL`; data 1 means "explicitly empty").
    Null,
    /// A reference to a resource (`@type/name`), by id.
    Reference(u32),
    /// A reference to a theme attribute (`?attr`), by id.
    Attribute(u32),
    /// A reference through a shared library's dynamic package id.
    DynamicReference(u32),
    /// A theme attribute through a shared library's dynamic package id.
    DynamicAttribute(u32),
    /// A string (resolved through the value's pool; `None` when the index is bad).
    String(Option<String>),
    /// A float.
    Float(f32),
    /// A dimension: value and unit (`px`, `dp`, `sp`, `pt`, `in`, `mm`).
    Dimension(f32, &'static str),
    /// A fraction: value and unit (`%` of the element, `%p` of its parent).
    Fraction(f32, &'static str),
    /// A decimal integer.
    IntDec(i32),
    /// A hexadecimal integer.
    IntHex(u32),
    /// A boolean.
    Boolean(bool),
    /// A colour: its ARGB value and the type (0x1c..=0x1f) it was written as.
    Color(u32, u8),
    /// A type this reader does not know.
    Other {
        /// The data type.
        kind: u8,
        /// The data.
        data: u32,
    },
}

impl Value {
    /// The value of data type `kind` with `data`; strings from `pool`.
    pub fn decode(kind: u8, data: u32, pool: &StringPool<'_>) -> Value {
        match kind {
            TYPE_NULL => Value::Null,
            TYPE_REFERENCE => Value::Reference(data),
            TYPE_ATTRIBUTE => Value::Attribute(data),
            TYPE_DYNAMIC_REFERENCE => Value::DynamicReference(data),
            TYPE_DYNAMIC_ATTRIBUTE => Value::DynamicAttribute(data),
            TYPE_STRING => Value::String(pool.opt(data)),
            TYPE_FLOAT => Value::Float(f32::from_bits(data)),
            TYPE_DIMENSION => Value::Dimension(
                complex(data),
                ["px", "dp", "sp", "pt", "in", "mm"]
                    .get((data & 0xf) as usize)
                    .copied()
                    .unwrap_or("?"),
            ),
            TYPE_FRACTION => Value::Fraction(
                complex(data) * 100.0,
                if data & 0xf == 0 { "%" } else { "%p" },
            ),
            TYPE_INT_DEC => Value::IntDec(data as i32),
            TYPE_INT_HEX => Value::IntHex(data),
            TYPE_INT_BOOLEAN => Value::Boolean(data != 0),
            TYPE_COLOR_ARGB8..=TYPE_COLOR_RGB4 => Value::Color(data, kind),
            _ => Value::Other { kind, data },
        }
    }

    /// Read a `Res_value` (size, reserved byte, type, data) from `r`. The size field is not
    /// trusted (Android reads the 8 bytes whatever it says).
    pub fn read(r: &mut Reader<'_>, pool: &StringPool<'_>) -> Result<Value> {
        let (kind, data) = read_raw(r)?;
        Ok(Value::decode(kind, data, pool))
    }

    /// The value as Android would read it for a boolean attribute (booleans, and integers
    /// non-zero).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            Value::IntDec(i) => Some(*i != 0),
            Value::IntHex(i) => Some(*i != 0),
            Value::String(Some(s)) => match s.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value as an integer (integer types, booleans as 0/1, and decimal strings).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::IntDec(i) => Some(i64::from(*i)),
            Value::IntHex(i) => Some(i64::from(*i)),
            Value::Boolean(b) => Some(i64::from(*b)),
            Value::String(Some(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The string of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(Some(s)) => Some(s),
            _ => None,
        }
    }

    /// The resource id of a reference.
    pub fn as_reference(&self) -> Option<u32> {
        match self {
            Value::Reference(id) | Value::DynamicReference(id) if *id != 0 => Some(*id),
            _ => None,
        }
    }
}

/// Read a raw `Res_value`: (data type, data).
pub fn read_raw(r: &mut Reader<'_>) -> Result<(u8, u32)> {
    let _size = r.u16()?;
    let _res0 = r.u8()?;
    let kind = r.u8()?;
    let data = r.u32()?;
    Ok((kind, data))
}

/// A complex (dimension, fraction) value's number: a 24-bit signed mantissa and a radix.
fn complex(data: u32) -> f32 {
    const MULTS: [f32; 4] = [
        1.0 / 256.0,
        1.0 / 128.0 / 256.0,
        1.0 / 32768.0 / 256.0,
        1.0 / 8_388_608.0 / 256.0,
    ];
    let mantissa = (data & 0xffff_ff00) as i32 as f32;
    mantissa * MULTS[((data >> 4) & 3) as usize]
}

impl fmt::Display for Value {
    /// As `aapt dump xmltree` shows typed values (strings without quotes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Reference(id) => write!(f, "@0x{id:08x}"),
            Value::Attribute(id) => write!(f, "?0x{id:08x}"),
            Value::DynamicReference(id) => write!(f, "@dyn/0x{id:08x}"),
            Value::DynamicAttribute(id) => write!(f, "?dyn/0x{id:08x}"),
            Value::String(Some(s)) => write!(f, "{s}"),
            Value::String(None) => write!(f, "(bad string)"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Dimension(v, u) | Value::Fraction(v, u) => write!(f, "{v}{u}"),
            Value::IntDec(v) => write!(f, "(type 0x10)0x{:x}", *v as u32),
            Value::IntHex(v) => write!(f, "(type 0x11)0x{v:x}"),
            Value::Boolean(b) => write!(f, "(type 0x12)0x{:x}", if *b { u32::MAX } else { 0 }),
            Value::Color(v, k) => write!(f, "(type 0x{k:x})0x{v:x}"),
            Value::Other { kind, data } => write!(f, "(type 0x{kind:x})0x{data:x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_types() {
        let p = StringPool::empty();
        assert_eq!(Value::decode(0x12, 0xffff_ffff, &p).as_bool(), Some(true));
        assert_eq!(Value::decode(0x12, 0, &p).as_bool(), Some(false));
        assert_eq!(Value::decode(0x10, 28, &p).as_int(), Some(28));
        assert_eq!(
            Value::decode(0x01, 0x7f01_0000, &p).as_reference(),
            Some(0x7f01_0000)
        );
        // 16dp: mantissa 16 << 8, radix 0, unit 1.
        assert_eq!(
            Value::decode(0x05, (16 << 8) | 1, &p),
            Value::Dimension(16.0, "dp")
        );
        assert_eq!(Value::decode(0x04, 1.5f32.to_bits(), &p), Value::Float(1.5));
        assert_eq!(Value::decode(0x03, 3, &p), Value::String(None));
        assert_eq!(
            Value::decode(0x1c, 0xff00_ff00, &p).to_string(),
            "(type 0x1c)0xff00ff00"
        );
    }
}
