//! The identifier sections of a DEX file, read on demand by index: `string_ids` (string data
//! decoded from MUTF-8 when asked), `type_ids` (descriptors such as `Lcom/example/Main;`),
//! `proto_ids` (shorty, return type, parameter type list), `field_ids` and `method_ids`
//! (class, name, type or prototype). An index out of its section's range or an offset past
//! the data is an error naming the section.

use std::borrow::Cow;

use super::leb::{cstr, decode_mutf8, uleb128};
use super::{Dex, Section};
use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// A `proto_ids` entry: a method prototype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoId {
    /// String index of the shorty descriptor (`VL` for `(Ljava/lang/String;)V`).
    pub shorty_idx: u32,
    /// Type index of the return type.
    pub return_type_idx: u32,
    /// Offset of the parameter type list, 0 without parameters.
    pub parameters_off: u32,
}

/// A `field_ids` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldId {
    /// Type index of the class defining the field.
    pub class_idx: u16,
    /// Type index of the field's type.
    pub type_idx: u16,
    /// String index of the field's name.
    pub name_idx: u32,
}

/// A `method_ids` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodId {
    /// Type index of the class defining the method.
    pub class_idx: u16,
    /// Proto index of the method's prototype.
    pub proto_idx: u16,
    /// String index of the method's name.
    pub name_idx: u32,
}

impl<'a> Dex<'a> {
    /// A reader at entry `idx` of `section` (entries of `item` bytes).
    fn entry(&self, s: Section, idx: u32, item: u32, what: &'static str) -> Result<Reader<'a>> {
        if idx >= s.size {
            return Err(ApkError::malformed(
                what,
                format!("index {idx} out of range ({} entries)", s.size),
            ));
        }
        let offset = u64::from(s.offset) + u64::from(idx) * u64::from(item);
        let offset = u32::try_from(offset).map_err(|_| ApkError::Truncated { what, offset })?;
        self.reader_at(offset, what)
    }

    /// Number of strings.
    pub fn string_count(&self) -> u32 {
        self.header.string_ids.size
    }

    /// The MUTF-8 bytes of string `idx` (without the terminating NUL). The NUL must come
    /// within the length the string declares (three bytes a UTF-16 unit at most, as Android's
    /// verifier checks) and within [`DexLimits::max_string_bytes`](super::DexLimits).
    pub fn string_bytes(&self, idx: u32) -> Result<&'a [u8]> {
        const WHAT: &str = "dex string_data";
        let off = self
            .entry(self.header.string_ids, idx, 4, "dex string_ids")?
            .u32()?;
        let mut r = self.reader_at(off, WHAT)?;
        let units = uleb128(&mut r, WHAT)?;
        let declared = u64::from(units) * 3;
        let max = declared.min(u64::from(self.limits.max_string_bytes));
        let found = cstr(
            self.data,
            r.pos(),
            usize::try_from(max).unwrap_or(usize::MAX),
            "dex string_data (no terminating NUL)",
        )?;
        found.ok_or_else(|| {
            if declared > max {
                ApkError::TooLarge {
                    what: WHAT,
                    size: declared,
                    limit: self.limits.max_string_bytes.into(),
                }
            } else {
                ApkError::malformed(
                    WHAT,
                    format!("string {idx} at {off:#x} runs past its declared {units} UTF-16 units"),
                )
            }
        })
    }

    /// String `idx`, decoded from MUTF-8 (lossily; borrowed when ASCII).
    pub fn string(&self, idx: u32) -> Result<Cow<'a, str>> {
        self.string_bytes(idx).map(decode_mutf8)
    }

    /// Every string in index order, decoded one at a time.
    pub fn strings(&self) -> impl Iterator<Item = Result<Cow<'a, str>>> + '_ {
        (0..self.string_count()).map(move |i| self.string(i))
    }

    /// Number of types.
    pub fn type_count(&self) -> u32 {
        self.header.type_ids.size
    }

    /// The string index of type `idx`'s descriptor.
    pub fn type_string_idx(&self, idx: u32) -> Result<u32> {
        self.entry(self.header.type_ids, idx, 4, "dex type_ids")?
            .u32()
    }

    /// The descriptor of type `idx` (`Lcom/example/Main;`, `[I`, `V`).
    pub fn type_descriptor(&self, idx: u32) -> Result<Cow<'a, str>> {
        self.string(self.type_string_idx(idx)?)
    }

    /// Every type descriptor in index order.
    pub fn types(&self) -> impl Iterator<Item = Result<Cow<'a, str>>> + '_ {
        (0..self.type_count()).map(move |i| self.type_descriptor(i))
    }

    /// The type indices of the `type_list` at `offset` (0: empty), bounded by the data and
    /// by 65535 entries.
    pub fn type_list(&self, offset: u32) -> Result<Vec<u16>> {
        const WHAT: &str = "dex type_list";
        if offset == 0 {
            return Ok(Vec::new());
        }
        let mut r = self.reader_at(offset, WHAT)?;
        let size = r.u32()?;
        if size > 0xffff {
            return Err(ApkError::malformed(
                WHAT,
                format!("at {offset:#x}: {size} entries"),
            ));
        }
        if (size as usize).saturating_mul(2) > r.remaining() {
            return Err(ApkError::Truncated {
                what: WHAT,
                offset: offset.into(),
            });
        }
        (0..size).map(|_| r.u16()).collect()
    }

    /// Number of prototypes.
    pub fn proto_count(&self) -> u32 {
        self.header.proto_ids.size
    }

    /// Prototype `idx`.
    pub fn proto(&self, idx: u32) -> Result<ProtoId> {
        let mut r = self.entry(self.header.proto_ids, idx, 12, "dex proto_ids")?;
        Ok(ProtoId {
            shorty_idx: r.u32()?,
            return_type_idx: r.u32()?,
            parameters_off: r.u32()?,
        })
    }

    /// Prototype `idx`'s parameter type descriptors and return type descriptor.
    pub fn proto_types(&self, idx: u32) -> Result<(Vec<Cow<'a, str>>, Cow<'a, str>)> {
        let p = self.proto(idx)?;
        let params = self
            .type_list(p.parameters_off)?
            .into_iter()
            .map(|t| self.type_descriptor(t.into()))
            .collect::<Result<Vec<_>>>()?;
        Ok((params, self.type_descriptor(p.return_type_idx)?))
    }

    /// Prototype `idx` as a signature, `(Ljava/lang/String;)Ljava/lang/Process;`.
    pub fn proto_signature(&self, idx: u32) -> Result<String> {
        let (params, ret) = self.proto_types(idx)?;
        let mut s = String::from("(");
        for p in &params {
            s.push_str(p);
        }
        s.push(')');
        s.push_str(&ret);
        Ok(s)
    }

    /// Number of field references.
    pub fn field_count(&self) -> u32 {
        self.header.field_ids.size
    }

    /// Field reference `idx`.
    pub fn field(&self, idx: u32) -> Result<FieldId> {
        let mut r = self.entry(self.header.field_ids, idx, 8, "dex field_ids")?;
        Ok(FieldId {
            class_idx: r.u16()?,
            type_idx: r.u16()?,
            name_idx: r.u32()?,
        })
    }

    /// Number of method references.
    pub fn method_count(&self) -> u32 {
        self.header.method_ids.size
    }

    /// Method reference `idx`.
    pub fn method(&self, idx: u32) -> Result<MethodId> {
        let mut r = self.entry(self.header.method_ids, idx, 8, "dex method_ids")?;
        Ok(MethodId {
            class_idx: r.u16()?,
            proto_idx: r.u16()?,
            name_idx: r.u32()?,
        })
    }

    /// Method reference `idx` resolved: (class descriptor, name, signature).
    pub fn method_parts(&self, idx: u32) -> Result<(Cow<'a, str>, Cow<'a, str>, String)> {
        let m = self.method(idx)?;
        Ok((
            self.type_descriptor(m.class_idx.into())?,
            self.string(m.name_idx)?,
            self.proto_signature(m.proto_idx.into())?,
        ))
    }

    /// Every field reference in index order.
    pub fn fields(&self) -> impl Iterator<Item = Result<FieldId>> + '_ {
        (0..self.field_count()).map(move |i| self.field(i))
    }

    /// Every method reference in index order.
    pub fn methods(&self) -> impl Iterator<Item = Result<MethodId>> + '_ {
        (0..self.method_count()).map(move |i| self.method(i))
    }
}
