//! Class definitions of a DEX file: `class_defs` entries (class, access flags, superclass,
//! interfaces, source file, class data offset) and their `class_data_item`s, the ULEB128 lists
//! of static and instance fields and direct and virtual methods with their access flags and
//! code offsets. Index deltas are summed with overflow checks and every index is checked
//! against its section; counts are checked against the bytes left and [`DexLimits`] before
//! anything is allocated.
//!
//! [`DexLimits`]: super::DexLimits

use std::borrow::Cow;

use super::leb::uleb128;
use super::{Dex, NO_INDEX};
use crate::bytes::Reader;
use crate::error::{ApkError, Result};

/// Access flags of a class, field or method (`ACC_PUBLIC` = 0x1, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccessFlags(pub u32);

impl AccessFlags {
    /// `public`.
    pub const PUBLIC: u32 = 0x1;
    /// `private`.
    pub const PRIVATE: u32 = 0x2;
    /// `protected`.
    pub const PROTECTED: u32 = 0x4;
    /// `static`.
    pub const STATIC: u32 = 0x8;
    /// `final`.
    pub const FINAL: u32 = 0x10;
    /// `synchronized` (methods).
    pub const SYNCHRONIZED: u32 = 0x20;
    /// `native` (methods).
    pub const NATIVE: u32 = 0x100;
    /// `interface` (classes).
    pub const INTERFACE: u32 = 0x200;
    /// `abstract`.
    pub const ABSTRACT: u32 = 0x400;
    /// Compiler-made.
    pub const SYNTHETIC: u32 = 0x1000;
    /// An enum class or constant.
    pub const ENUM: u32 = 0x4000;
    /// A constructor or class initialiser (methods).
    pub const CONSTRUCTOR: u32 = 0x10000;

    /// Whether every bit of `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }
}

/// A `class_defs` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassDef {
    /// Type index of the class.
    pub class_idx: u32,
    /// The class's access flags.
    pub access: AccessFlags,
    /// Type index of the superclass, [`NO_INDEX`] for `java.lang.Object`.
    pub superclass_idx: u32,
    /// Offset of the interfaces' type list, 0 without.
    pub interfaces_off: u32,
    /// String index of the source file name, [`NO_INDEX`] when unknown.
    pub source_file_idx: u32,
    /// Offset of the annotations directory, 0 without.
    pub annotations_off: u32,
    /// Offset of the class data, 0 for a class without fields or methods (a marker interface).
    pub class_data_off: u32,
    /// Offset of the static fields' initial values, 0 without.
    pub static_values_off: u32,
}

/// A field defined by a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedField {
    /// Index into `field_ids`.
    pub field_idx: u32,
    /// The field's access flags.
    pub access: AccessFlags,
}

/// A method defined by a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedMethod {
    /// Index into `method_ids`.
    pub method_idx: u32,
    /// The method's access flags.
    pub access: AccessFlags,
    /// Offset of the code item, 0 for abstract and native methods.
    pub code_off: u32,
}

/// A class's fields and methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassData {
    /// Static fields.
    pub static_fields: Vec<EncodedField>,
    /// Instance fields.
    pub instance_fields: Vec<EncodedField>,
    /// Direct methods (static, private, constructors).
    pub direct_methods: Vec<EncodedMethod>,
    /// Virtual methods.
    pub virtual_methods: Vec<EncodedMethod>,
}

impl<'a> Dex<'a> {
    /// Number of class definitions.
    pub fn class_count(&self) -> u32 {
        self.header.class_defs.size
    }

    /// Class definition `idx`.
    pub fn class_def(&self, idx: u32) -> Result<ClassDef> {
        let s = self.header.class_defs;
        if idx >= s.size {
            return Err(ApkError::malformed(
                "dex class_defs",
                format!("index {idx} out of range ({} entries)", s.size),
            ));
        }
        let offset = u64::from(s.offset) + u64::from(idx) * 32;
        let mut r = Reader::at(
            self.data,
            usize::try_from(offset).unwrap_or(usize::MAX),
            "dex class_defs",
        )?;
        Ok(ClassDef {
            class_idx: r.u32()?,
            access: AccessFlags(r.u32()?),
            superclass_idx: r.u32()?,
            interfaces_off: r.u32()?,
            source_file_idx: r.u32()?,
            annotations_off: r.u32()?,
            class_data_off: r.u32()?,
            static_values_off: r.u32()?,
        })
    }

    /// Every class definition in order.
    pub fn class_defs(&self) -> impl Iterator<Item = Result<ClassDef>> + '_ {
        (0..self.class_count()).map(move |i| self.class_def(i))
    }

    /// The class's descriptor.
    pub fn class_descriptor(&self, c: &ClassDef) -> Result<Cow<'a, str>> {
        self.type_descriptor(c.class_idx)
    }

    /// The superclass's descriptor, `None` without one.
    pub fn superclass(&self, c: &ClassDef) -> Result<Option<Cow<'a, str>>> {
        if c.superclass_idx == NO_INDEX {
            return Ok(None);
        }
        self.type_descriptor(c.superclass_idx).map(Some)
    }

    /// The descriptors of the interfaces the class implements.
    pub fn interfaces(&self, c: &ClassDef) -> Result<Vec<Cow<'a, str>>> {
        self.type_list(c.interfaces_off)?
            .into_iter()
            .map(|t| self.type_descriptor(t.into()))
            .collect()
    }

    /// The source file name, `None` when unknown.
    pub fn source_file(&self, c: &ClassDef) -> Result<Option<Cow<'a, str>>> {
        if c.source_file_idx == NO_INDEX {
            return Ok(None);
        }
        self.string(c.source_file_idx).map(Some)
    }

    /// The class's fields and methods (empty without class data).
    pub fn class_data(&self, c: &ClassDef) -> Result<ClassData> {
        const WHAT: &str = "dex class_data";
        if c.class_data_off == 0 {
            return Ok(ClassData::default());
        }
        let mut r = self.reader_at(c.class_data_off, WHAT)?;
        let static_fields = uleb128(&mut r, WHAT)?;
        let instance_fields = uleb128(&mut r, WHAT)?;
        let direct_methods = uleb128(&mut r, WHAT)?;
        let virtual_methods = uleb128(&mut r, WHAT)?;
        let methods = u64::from(direct_methods) + u64::from(virtual_methods);
        if methods > u64::from(self.limits.max_methods) {
            return Err(ApkError::TooLarge {
                what: "dex class_data methods of one class",
                size: methods,
                limit: self.limits.max_methods.into(),
            });
        }
        // A field takes at least two bytes, a method three: counts past the bytes left are lies.
        let least = 2 * (u64::from(static_fields) + u64::from(instance_fields)) + 3 * methods;
        if least > r.remaining() as u64 {
            return Err(ApkError::malformed(
                WHAT,
                format!(
                    "at {:#x}: {static_fields}+{instance_fields} fields and {methods} methods \
                     cannot fit in the {} bytes left",
                    c.class_data_off,
                    r.remaining()
                ),
            ));
        }
        Ok(ClassData {
            static_fields: self.encoded_fields(&mut r, static_fields)?,
            instance_fields: self.encoded_fields(&mut r, instance_fields)?,
            direct_methods: self.encoded_methods(&mut r, direct_methods)?,
            virtual_methods: self.encoded_methods(&mut r, virtual_methods)?,
        })
    }

    fn encoded_fields(&self, r: &mut Reader, count: u32) -> Result<Vec<EncodedField>> {
        const WHAT: &str = "dex class_data fields";
        let mut out = Vec::with_capacity(count as usize);
        let mut idx = 0u32;
        for i in 0..count {
            let diff = uleb128(r, WHAT)?;
            idx = next_index(idx, diff, i, self.field_count(), WHAT)?;
            out.push(EncodedField {
                field_idx: idx,
                access: AccessFlags(uleb128(r, WHAT)?),
            });
        }
        Ok(out)
    }

    fn encoded_methods(&self, r: &mut Reader, count: u32) -> Result<Vec<EncodedMethod>> {
        const WHAT: &str = "dex class_data methods";
        let mut out = Vec::with_capacity(count as usize);
        let mut idx = 0u32;
        for i in 0..count {
            let diff = uleb128(r, WHAT)?;
            idx = next_index(idx, diff, i, self.method_count(), WHAT)?;
            out.push(EncodedMethod {
                method_idx: idx,
                access: AccessFlags(uleb128(r, WHAT)?),
                code_off: uleb128(r, WHAT)?,
            });
        }
        Ok(out)
    }
}

/// The index after `prev` given its delta (the first entry's delta is the index itself).
fn next_index(prev: u32, diff: u32, i: u32, count: u32, what: &'static str) -> Result<u32> {
    let idx = if i == 0 {
        Some(diff)
    } else {
        prev.checked_add(diff)
    };
    idx.filter(|idx| *idx < count).ok_or_else(|| {
        ApkError::malformed(
            what,
            format!("entry {i}: index {prev}+{diff} out of range ({count} entries)"),
        )
    })
}
