//! Just enough of a method's instructions for the code rules: the instructions decoded with
//! their formats (which say their length and where their registers are), and a linear walk
//! that follows constants through registers to the calls that use them: `const/4 v1, 0x1`
//! feeding `setAllowFileAccessFromFileURLs(v1)`, a `const-string` feeding
//! `Cipher.getInstance`, a `const-string`'s `getBytes()` feeding `new SecretKeySpec`.
//!
//! The walk is deliberately simple and errs towards not knowing: it goes through the code in
//! address order, forgets everything at every branch target and exception handler (so a
//! value is known only on straight-line code from its constant), forgets the destination of
//! every instruction that writes a register it does not model, and reads a method only when
//! its code item lies within the file. The code units decoded by one [`Walk`] are bounded by
//! the file's [`DexLimits::max_code_units`](crate::dex::DexLimits::max_code_units).

use crate::dex::{Dex, DexSummary};

/// What a register is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// An integer constant (`const*`, `const-wide*`); the low register of a wide pair.
    Int(i64),
    /// A constant string (`const-string`), by string index.
    Str(u32),
    /// The bytes of a constant string (`getBytes()` of one, a Base64 decoding of one).
    StrBytes(u32),
    /// A new array (`new-array`) not yet filled.
    NewArray,
    /// An array filled from constant data (`new-array` then `fill-array-data`).
    ArrayData,
}

/// One method invocation as walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Code unit offset of the `invoke` in its method.
    pub pc: usize,
    /// The method reference invoked.
    pub method: u32,
    /// What each argument register holds, in the instruction's order (the receiver first for
    /// instance methods; a wide argument takes two registers).
    pub args: Vec<Option<Known>>,
}

impl Call {
    /// What argument register `i` holds.
    pub fn arg(&self, i: usize) -> Option<Known> {
        self.args.get(i).copied().flatten()
    }
}

/// Instruction formats of the Dalvik bytecode (`12x`, `35c`, ...), as far as the walk needs:
/// the length and which register field is the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// One unit; destination (if any) in the 4-bit `A` field: 12x, 11n.
    OneA4,
    /// One unit; destination (if any) in the 8-bit `AA` field: 10x, 11x, 10t.
    OneAa,
    /// Two units, 4-bit `A`: 22t, 22s, 22c.
    TwoA4,
    /// Two units, 8-bit `AA`: 20t, 22x, 21t, 21s, 21h, 21c, 23x, 22b.
    TwoAa,
    /// Three units: 30t, 32x, 31i, 31t, 31c, 35c, 3rc.
    Three,
    /// Four units: 45cc, 4rcc.
    Four,
    /// Five units: 51l.
    Five,
}

impl Format {
    fn of(op: u8) -> Format {
        use Format::*;
        match op {
            0x01 | 0x04 | 0x07 | 0x12 | 0x21 | 0x7b..=0x8f | 0xb0..=0xcf => OneA4,
            0x00 | 0x0a..=0x11 | 0x1d | 0x1e | 0x27 | 0x28 | 0x3e..=0x43 | 0x73 | 0x79 | 0x7a => {
                OneAa
            }
            0xe3..=0xf9 => OneAa,
            0x20 | 0x23 | 0x32..=0x37 | 0x52..=0x5f | 0xd0..=0xd7 => TwoA4,
            0x02 | 0x05 | 0x08 | 0x13 | 0x15 | 0x16 | 0x19 | 0x1a | 0x1c | 0x1f | 0x22 => TwoAa,
            0x29 | 0x2d..=0x31 | 0x38..=0x3d | 0x44..=0x51 | 0x60..=0x6d | 0x90..=0xaf => TwoAa,
            0xd8..=0xe2 | 0xfe | 0xff => TwoAa,
            0x03 | 0x06 | 0x09 | 0x14 | 0x17 | 0x1b | 0x24..=0x26 | 0x2a..=0x2c => Three,
            0x6e..=0x72 | 0x74..=0x78 | 0xfc | 0xfd => Three,
            0xfa | 0xfb => Four,
            0x18 => Five,
        }
    }

    fn len(self) -> usize {
        match self {
            Format::OneA4 | Format::OneAa => 1,
            Format::TwoA4 | Format::TwoAa => 2,
            Format::Three => 3,
            Format::Four => 4,
            Format::Five => 5,
        }
    }
}

/// One decoded instruction: its offset, opcode and code units.
#[derive(Debug, Clone, Copy)]
struct Insn<'d> {
    pc: usize,
    op: u8,
    units: &'d [u8],
}

impl Insn<'_> {
    /// Code unit `i` of the instruction (0 past its end).
    fn unit(&self, i: usize) -> u16 {
        unit(self.units, i).unwrap_or(0)
    }
    /// The 4-bit `A` field.
    fn a4(&self) -> usize {
        usize::from((self.unit(0) >> 8) & 0xf)
    }
    /// The 4-bit `B` field.
    fn b4(&self) -> usize {
        usize::from(self.unit(0) >> 12)
    }
    /// The signed 4-bit literal `B` of `const/4`.
    fn lit4(&self) -> i64 {
        i64::from((self.unit(0) as i16) >> 12)
    }
    /// The 8-bit `AA` field.
    fn aa(&self) -> usize {
        usize::from(self.unit(0) >> 8)
    }
    /// Units 1 and 2 as a 32-bit value.
    fn u32_at1(&self) -> u32 {
        u32::from(self.unit(1)) | (u32::from(self.unit(2)) << 16)
    }
    /// The destination register of a writing instruction of this format.
    fn dest(&self) -> usize {
        match Format::of(self.op) {
            // move-wide/16 and the other 32x moves: `AAAA` in unit 1.
            _ if matches!(self.op, 0x03 | 0x06 | 0x09) => usize::from(self.unit(1)),
            Format::OneA4 | Format::TwoA4 => self.a4(),
            _ => self.aa(),
        }
    }
    /// The branch targets (code unit offsets) of a `goto`, `if-*` or switch, given the
    /// method's code.
    fn targets(&self, code: &[u8]) -> Vec<usize> {
        let rel = |off: i64| usize::try_from(self.pc as i64 + off).ok();
        let one = |off: i64| rel(off).into_iter().collect();
        match self.op {
            0x28 => one(i64::from((self.unit(0) >> 8) as u8 as i8)),
            0x29 | 0x32..=0x3d => one(i64::from(self.unit(1) as i16)),
            0x2a => one(i64::from(self.u32_at1() as i32)),
            0x2b | 0x2c => {
                let Some(at) = rel(i64::from(self.u32_at1() as i32)) else {
                    return Vec::new();
                };
                let size = usize::from(unit(code, at + 1).unwrap_or(0));
                let first = if self.op == 0x2b {
                    at + 4
                } else {
                    at + 2 + size * 2
                };
                (0..size)
                    .filter_map(|k| {
                        let lo = unit(code, first + k * 2)?;
                        let hi = unit(code, first + k * 2 + 1)?;
                        rel(i64::from((u32::from(lo) | (u32::from(hi) << 16)) as i32))
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Code unit `pc` of `code`.
fn unit(code: &[u8], pc: usize) -> Option<u16> {
    let i = pc.checked_mul(2)?;
    Some(u16::from_le_bytes([
        *code.get(i)?,
        *code.get(i.checked_add(1)?)?,
    ]))
}

/// The instructions of `code`, payloads skipped; `None` when one runs past the end.
fn decode(code: &[u8]) -> Option<Vec<Insn<'_>>> {
    let total = code.len() / 2;
    let mut out = Vec::new();
    let mut pc = 0usize;
    while pc < total {
        let first = unit(code, pc)?;
        let op = (first & 0xff) as u8;
        let len = match first {
            0x0100 => 4 + usize::from(unit(code, pc + 1)?) * 2,
            0x0200 => 2 + usize::from(unit(code, pc + 1)?) * 4,
            0x0300 => {
                let width = u64::from(unit(code, pc + 1)?);
                let count = u64::from(unit(code, pc + 2)?) | (u64::from(unit(code, pc + 3)?) << 16);
                4 + usize::try_from((width * count).div_ceil(2)).ok()?
            }
            _ => Format::of(op).len(),
        };
        let end = pc.checked_add(len).filter(|e| *e <= total)?;
        if first & 0xff != 0 || first == 0 {
            out.push(Insn {
                pc,
                op,
                units: code.get(pc * 2..end * 2)?,
            });
        }
        pc = end;
    }
    Some(out)
}

/// Instructions of one dex file, decoded on demand within a budget of code units.
pub struct Walk<'w> {
    dex: &'w Dex<'w>,
    /// Method references whose result is the bytes of a constant string argument
    /// (`String.getBytes`, `Base64.decode`), sorted.
    byte_sources: Vec<u32>,
    budget: u64,
}

impl<'w> Walk<'w> {
    /// A walk over `dex`, whose summary is `summary`.
    pub fn new(dex: &'w Dex<'w>, summary: &DexSummary) -> Self {
        let byte_sources = (0u32..)
            .zip(&summary.method_refs)
            .filter(|(_, r)| {
                r.is("Ljava/lang/String;", "getBytes")
                    || r.is("Landroid/util/Base64;", "decode")
                    || r.is("Ljava/util/Base64$Decoder;", "decode")
            })
            .map(|(i, _)| i)
            .collect();
        Walk {
            dex,
            byte_sources,
            budget: dex.limits().max_code_units,
        }
    }

    /// The code units of the method whose code is at `code_off`, taken from the budget.
    fn code(&mut self, code_off: u32) -> Option<&'w [u8]> {
        if code_off == 0 {
            return None;
        }
        let item = self.dex.code_item(code_off).ok()?;
        self.budget = self.budget.checked_sub(u64::from(item.insns_size))?;
        let start = item.insns_off as usize;
        let end = start.checked_add((item.insns_size as usize).checked_mul(2)?)?;
        self.dex.data().get(start..end)
    }

    /// The method's instructions other than `nop`s: their opcodes and code units.
    fn body(&mut self, code_off: u32) -> Option<Vec<Insn<'w>>> {
        let code = self.code(code_off)?;
        let mut insns = decode(code)?;
        insns.retain(|i| i.op != 0x00);
        Some(insns)
    }

    /// Whether the method does nothing: its code is `return-void` (and `nop`s).
    pub fn does_nothing(&mut self, code_off: u32) -> bool {
        matches!(self.body(code_off).as_deref(), Some([only]) if only.op == 0x0e)
    }

    /// Whether the method returns true and nothing else: `const/4 vA, 0x1` (or `const/16`,
    /// `const`) then `return vA`.
    pub fn returns_true(&mut self, code_off: u32) -> bool {
        let Some(body) = self.body(code_off) else {
            return false;
        };
        let [set, ret] = body.as_slice() else {
            return false;
        };
        let (reg, value) = match set.op {
            0x12 => (set.a4(), set.lit4()),
            0x13 => (set.aa(), i64::from(set.unit(1) as i16)),
            0x14 => (set.aa(), i64::from(set.u32_at1() as i32)),
            _ => return false,
        };
        ret.op == 0x0f && ret.aa() == reg && value == 1
    }

    /// The method's invocations with what their argument registers are known to hold.
    /// `None` when the code cannot be read or is past the budget.
    pub fn calls(&mut self, code_off: u32) -> Option<Vec<Call>> {
        let code = self.code(code_off)?;
        let registers = self.dex.code_item(code_off).ok()?.registers;
        let insns = decode(code)?;
        let mut targets: Vec<usize> = insns.iter().flat_map(|i| i.targets(code)).collect();
        targets.sort_unstable();
        let mut regs = Registers(vec![None; usize::from(registers) + 1]);
        let mut result: Option<Known> = None;
        let mut calls = Vec::new();
        for ins in insns {
            if ins.op == 0x0d || targets.binary_search(&ins.pc).is_ok() {
                regs.0.fill(None);
            }
            let last = result.take();
            match ins.op {
                // move, move/from16, move/16 and their -object forms copy what is known.
                0x01 | 0x07 => regs.set(ins.a4(), regs.get(ins.b4())),
                0x02 | 0x08 => regs.set(ins.aa(), regs.get(usize::from(ins.unit(1)))),
                0x03 | 0x09 => {
                    regs.set(usize::from(ins.unit(1)), regs.get(usize::from(ins.unit(2))))
                }
                // move-result, move-result-object.
                0x0a | 0x0c => regs.set(ins.aa(), last),
                0x12 => regs.set(ins.a4(), Some(Known::Int(ins.lit4()))),
                0x13 => regs.set(ins.aa(), Some(Known::Int(i64::from(ins.unit(1) as i16)))),
                0x14 => regs.set(ins.aa(), Some(Known::Int(i64::from(ins.u32_at1() as i32)))),
                0x15 => regs.set(
                    ins.aa(),
                    Some(Known::Int(i64::from(
                        ((u32::from(ins.unit(1))) << 16) as i32,
                    ))),
                ),
                0x16..=0x19 => {
                    let v = match ins.op {
                        0x16 => i64::from(ins.unit(1) as i16),
                        0x17 => i64::from(ins.u32_at1() as i32),
                        0x18 => (0..4)
                            .fold(0u64, |v, k| v | (u64::from(ins.unit(1 + k)) << (16 * k)))
                            as i64,
                        _ => (u64::from(ins.unit(1)) << 48) as i64,
                    };
                    regs.set(ins.aa(), Some(Known::Int(v)));
                    regs.set(ins.aa() + 1, None);
                }
                0x1a => regs.set(ins.aa(), Some(Known::Str(u32::from(ins.unit(1))))),
                0x1b => regs.set(ins.aa(), Some(Known::Str(ins.u32_at1()))),
                0x23 => regs.set(ins.a4(), Some(Known::NewArray)),
                // fill-array-data of a new array: its contents are constants.
                0x26 if regs.get(ins.aa()) == Some(Known::NewArray) => {
                    regs.set(ins.aa(), Some(Known::ArrayData))
                }
                0x6e..=0x72 | 0x74..=0x78 | 0xfa | 0xfb => {
                    let args: Vec<Option<Known>> = invoke_registers(&ins)
                        .into_iter()
                        .map(|r| regs.get(r))
                        .collect();
                    let method = u32::from(ins.unit(1));
                    if self.byte_sources.binary_search(&method).is_ok() {
                        result = args.iter().flatten().find_map(|a| match a {
                            Known::Str(s) => Some(Known::StrBytes(*s)),
                            _ => None,
                        });
                    }
                    calls.push(Call {
                        pc: ins.pc,
                        method,
                        args,
                    });
                }
                op if writes(op) => {
                    regs.set(ins.dest(), None);
                    regs.set(ins.dest() + 1, None);
                }
                _ => {}
            }
        }
        Some(calls)
    }
}

/// The registers of a method as the walk knows them.
struct Registers(Vec<Option<Known>>);

impl Registers {
    fn get(&self, r: usize) -> Option<Known> {
        self.0.get(r).copied().flatten()
    }
    fn set(&mut self, r: usize, v: Option<Known>) {
        if let Some(slot) = self.0.get_mut(r) {
            *slot = v;
        }
    }
}

/// The argument registers of an `invoke-*` (35c, 3rc, 45cc, 4rcc).
fn invoke_registers(ins: &Insn<'_>) -> Vec<usize> {
    match ins.op {
        0x74..=0x78 | 0xfb => {
            let first = usize::from(ins.unit(2));
            (first..first + ins.aa()).collect()
        }
        _ => {
            let count = ins.b4().min(5);
            let cdef = ins.unit(2);
            let mut regs: Vec<usize> = (0..4)
                .map(|k| usize::from((cdef >> (4 * k)) & 0xf))
                .collect();
            regs.push(ins.a4());
            regs.truncate(count);
            regs
        }
    }
}

/// Whether opcode `op` writes a register the walk does not model (its destination is then
/// forgotten): `move-wide*`, `move-result-wide`, `move-exception`, `const-class`,
/// `check-cast`, `instance-of`, `array-length`, `new-instance`, comparisons, `aget*`,
/// `iget*`, `sget*`, unary and binary operations, `const-method-handle`/`-type`.
fn writes(op: u8) -> bool {
    matches!(
        op,
        0x04..=0x06
            | 0x0b
            | 0x0d
            | 0x1c
            | 0x1f..=0x22
            | 0x2d..=0x31
            | 0x44..=0x4a
            | 0x52..=0x58
            | 0x60..=0x66
            | 0x7b..=0xe2
            | 0xfe
            | 0xff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(units: &[u16]) -> Vec<u8> {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn decodes_past_payloads_and_refuses_overruns() {
        let c = code(&[
            0x0012, 0x000e, 0x0300, 0x0001, 0x0003, 0x0000, 0x0201, 0x0003,
        ]);
        let insns = decode(&c).unwrap();
        assert_eq!(insns.iter().map(|i| i.op).collect::<Vec<_>>(), [0x12, 0x0e]);
        assert!(decode(&code(&[0x006e, 0x0001])).is_none());
        assert!(decode(&code(&[0x0100, 0xffff])).is_none());
    }

    #[test]
    fn branch_targets_of_gotos_ifs_and_switches() {
        // packed-switch v0, +4 (pc 0); return-void (pc 3); its payload (pc 4) targets pc 3.
        let c = code(&[
            0x002b, 0x0004, 0x0000, 0x000e, 0x0100, 0x0001, 0x0000, 0x0000, 0x0003, 0x0000,
        ]);
        let insns = decode(&c).unwrap();
        assert_eq!(insns[0].targets(&c), [3]);
        let g = code(&[0x0000, 0xff28]);
        let insns = decode(&g).unwrap();
        assert_eq!(insns[1].targets(&g), [0]);
    }

    #[test]
    fn invoke_registers_in_order() {
        let c = code(&[0x206e, 0x0005, 0x0010]);
        let insns = decode(&c).unwrap();
        assert_eq!(invoke_registers(&insns[0]), [0, 1]);
        let r = code(&[0x0374, 0x0005, 0x0004]);
        let insns = decode(&r).unwrap();
        assert_eq!(invoke_registers(&insns[0]), [4, 5, 6]);
    }
}
