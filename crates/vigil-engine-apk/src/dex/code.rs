//! Code items and just enough of the Dalvik instruction set to walk them: the length of every
//! opcode's format (and of the switch and array-data payloads), so a linear walk of a method's
//! instructions, as `dexdump` does, finds the method references of `invoke-*` (formats 35c,
//! 3rc, 45cc, 4rcc), the strings of `const-string` and `const-string/jumbo`, the fields of
//! `iget`/`iput`/`sget`/`sput` and the types of `new-instance`, `new-array`,
//! `filled-new-array`, `const-class`, `check-cast` and `instance-of`. The walk is bounded by a budget of code units; an instruction running
//! past the end of its code is an error naming the method's code offset.

use super::Dex;
use crate::error::{ApkError, Result};

const WHAT: &str = "dex code_item";

/// A method's code item, without its instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeItem {
    /// Registers used.
    pub registers: u16,
    /// Words of incoming arguments.
    pub ins: u16,
    /// Words of outgoing arguments.
    pub outs: u16,
    /// Number of try items.
    pub tries: u16,
    /// Offset of the debug information, 0 without.
    pub debug_info_off: u32,
    /// Number of 16-bit code units of the instructions.
    pub insns_size: u32,
    /// Offset of the first instruction.
    pub insns_off: u32,
}

/// What one method's instructions refer to, in the order they occur (duplicates kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeRefs {
    /// Method indices invoked (`invoke-*`).
    pub methods: Vec<u32>,
    /// String indices loaded (`const-string`, `const-string/jumbo`).
    pub strings: Vec<u32>,
    /// Field indices read or written (`iget*`, `iput*`, `sget*`, `sput*`).
    pub fields: Vec<u32>,
    /// Type indices of `new-instance`, `new-array`, `filled-new-array` (and `/range`),
    /// `const-class`, `check-cast` and `instance-of`.
    pub types: Vec<u32>,
    /// Instructions walked (payloads included).
    pub instructions: u32,
}

impl<'a> Dex<'a> {
    /// The code item at `code_off`, its instructions checked to lie within the data.
    pub fn code_item(&self, code_off: u32) -> Result<CodeItem> {
        let mut r = self.reader_at(code_off, WHAT)?;
        let item = CodeItem {
            registers: r.u16()?,
            ins: r.u16()?,
            outs: r.u16()?,
            tries: r.u16()?,
            debug_info_off: r.u32()?,
            insns_size: r.u32()?,
            insns_off: u32::try_from(r.pos()).unwrap_or(u32::MAX),
        };
        if (item.insns_size as usize).saturating_mul(2) > r.remaining() {
            return Err(ApkError::malformed(
                WHAT,
                format!(
                    "at {code_off:#x}: {} code units run past the end of the file",
                    item.insns_size
                ),
            ));
        }
        Ok(item)
    }

    /// The references of the code at `code_off`, walking at most
    /// [`DexLimits::max_code_units`](super::DexLimits::max_code_units) code units.
    pub fn code_refs(&self, code_off: u32) -> Result<CodeRefs> {
        let mut budget = self.limits.max_code_units;
        self.code_refs_within(code_off, &mut budget)
    }

    /// [`Dex::code_refs`], taking the code units walked from `budget`.
    pub fn code_refs_within(&self, code_off: u32, budget: &mut u64) -> Result<CodeRefs> {
        let item = self.code_item(code_off)?;
        let units = u64::from(item.insns_size);
        if units > *budget {
            return Err(ApkError::TooLarge {
                what: "dex code units walked",
                size: units,
                limit: self.limits.max_code_units,
            });
        }
        *budget -= units;
        let start = item.insns_off as usize;
        let insns = start
            .checked_add((units as usize).saturating_mul(2))
            .and_then(|end| self.data.get(start..end))
            .ok_or(ApkError::Truncated {
                what: WHAT,
                offset: start as u64,
            })?;
        walk(insns, code_off)
    }
}

/// Code unit `pc` of `insns`.
fn unit(insns: &[u8], pc: usize) -> Option<u16> {
    let i = pc.checked_mul(2)?;
    Some(u16::from_le_bytes([*insns.get(i)?, *insns.get(i + 1)?]))
}

/// Walk the instructions `insns` (little-endian code units) of the code at `code_off`.
fn walk(insns: &[u8], code_off: u32) -> Result<CodeRefs> {
    let total = insns.len() / 2;
    let mut refs = CodeRefs::default();
    let mut pc = 0usize;
    let past = |pc: usize| {
        ApkError::malformed(
            WHAT,
            format!("code at {code_off:#x}: instruction at {pc:#x} runs past the end"),
        )
    };
    while pc < total {
        let first = unit(insns, pc).ok_or_else(|| past(pc))?;
        let op = (first & 0xff) as u8;
        let len = if op == 0 && first != 0 {
            payload_len(insns, pc, first).ok_or_else(|| past(pc))?
        } else {
            format_len(op)
        };
        if pc.checked_add(len).is_none_or(|end| end > total) {
            return Err(past(pc));
        }
        let b = || u32::from(unit(insns, pc + 1).unwrap_or(0));
        match op {
            0x1a => refs.strings.push(b()),
            0x1b => refs
                .strings
                .push(b() | (u32::from(unit(insns, pc + 2).unwrap_or(0)) << 16)),
            0x1c | 0x1f | 0x20 | 0x22..=0x25 => refs.types.push(b()),
            0x52..=0x6d => refs.fields.push(b()),
            0x6e..=0x72 | 0x74..=0x78 | 0xfa | 0xfb => refs.methods.push(b()),
            _ => {}
        }
        refs.instructions += 1;
        pc += len;
    }
    Ok(refs)
}

/// Length in code units of the payload pseudo-instruction starting with `ident` at `pc`
/// (`None` when it cannot be read); 1 for a `nop` with an unknown high byte.
fn payload_len(insns: &[u8], pc: usize, ident: u16) -> Option<usize> {
    let size = u64::from(unit(insns, pc + 1)?);
    let len = match ident {
        // packed-switch-payload: ident, size, first_key (2 units), targets (2 units each).
        0x0100 => 4 + size * 2,
        // sparse-switch-payload: ident, size, keys and targets (2 units each).
        0x0200 => 2 + size * 4,
        // fill-array-data-payload: ident, element_width, size (2 units), the bytes padded.
        0x0300 => {
            let count = u64::from(unit(insns, pc + 2)?) | (u64::from(unit(insns, pc + 3)?) << 16);
            4 + (size * count).div_ceil(2)
        }
        _ => 1,
    };
    usize::try_from(len).ok()
}

/// Length in code units of the instruction format of `op`.
fn format_len(op: u8) -> usize {
    match op {
        0x02 | 0x05 | 0x08 => 2,
        0x03 | 0x06 | 0x09 => 3,
        0x00..=0x12 => 1,
        0x13 | 0x15 | 0x16 | 0x19 | 0x1a | 0x1c | 0x1f | 0x20 | 0x22 | 0x23 => 2,
        0x14 | 0x17 | 0x1b | 0x24..=0x26 | 0x2a..=0x2c => 3,
        0x18 => 5,
        0x1d | 0x1e | 0x21 | 0x27 | 0x28 => 1,
        0x29 | 0x2d..=0x3d => 2,
        0x3e..=0x43 => 1,
        0x44..=0x6d => 2,
        0x6e..=0x72 | 0x74..=0x78 => 3,
        0x73 | 0x79 | 0x7a | 0x7b..=0x8f => 1,
        0x90..=0xaf => 2,
        0xb0..=0xcf => 1,
        0xd0..=0xe2 => 2,
        0xe3..=0xf9 => 1,
        0xfa | 0xfb => 4,
        0xfc | 0xfd => 3,
        0xfe | 0xff => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(units: &[u16]) -> Vec<u8> {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn walks_invokes_strings_and_payloads() {
        let insns = code(&[
            0x0071, 0x0004, 0x0000, // invoke-static {}, method@4
            0x011a, 0x000e, // const-string v1, string@e
            0x001b, 0x0001, 0x0002, // const-string/jumbo v0, string@20001
            0x002b, 0x0006, 0x0000, // packed-switch v0, +6
            0x000e, // return-void
            0x0100, 0x0001, 0x0000, 0x0000, 0x0002, 0x0000, // packed-switch-payload, 1 target
            0x0300, 0x0001, 0x0003, 0x0000, 0x0201, 0x0003, // fill-array-data-payload 3 bytes
            0x0074, 0x0007, 0x0000, // invoke-virtual/range method@7
        ]);
        let refs = walk(&insns, 0).unwrap();
        assert_eq!(refs.methods, [4, 7]);
        assert_eq!(refs.strings, [0xe, 0x20001]);
        assert_eq!(refs.instructions, 8);
    }

    #[test]
    fn refuses_instructions_past_the_end() {
        assert!(walk(&code(&[0x006e, 0x0001]), 0).is_err());
        assert!(walk(&code(&[0x0100, 0xffff]), 0).is_err());
        assert!(walk(&code(&[0x0300, 0xffff, 0xffff, 0xffff]), 0).is_err());
        assert!(walk(&code(&[0x0200]), 0).is_err());
        assert_eq!(walk(&code(&[0x0500, 0x000e]), 0).unwrap().instructions, 2);
    }
}
