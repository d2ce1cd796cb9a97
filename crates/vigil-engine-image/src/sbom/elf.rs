//! A minimal, bounded ELF reader for the binary analyzers: named sections (through the section
//! header table and its string table) and virtual addresses mapped to file bytes (through the
//! `PT_LOAD` program headers). 32- and 64-bit, little- and big-endian. Every offset and size is
//! checked against the bytes given, which may be a truncated prefix of the file (the section
//! header table sits at the end of most files, so a prefix usually has program headers but no
//! sections): nothing here panics or reads outside `data`.

/// The ELF magic.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// Section header entries read at most (the 16-bit `e_shnum` bounds it anyway).
const MAX_SECTIONS: usize = 65_535;
/// Program header entries read at most.
const MAX_SEGMENTS: usize = 65_535;

/// A parsed ELF header over the file's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Elf<'a> {
    data: &'a [u8],
    is64: bool,
    big_endian: bool,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
}

impl<'a> Elf<'a> {
    /// Parses the ELF header; `None` if `data` is not ELF or the header is cut short.
    pub fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if data.len() < 52 || !data.starts_with(MAGIC) {
            return None;
        }
        let is64 = match data[4] {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match data[5] {
            1 => false,
            2 => true,
            _ => return None,
        };
        let mut elf = Elf {
            data,
            is64,
            big_endian,
            phoff: 0,
            phentsize: 0,
            phnum: 0,
            shoff: 0,
            shentsize: 0,
            shnum: 0,
            shstrndx: 0,
        };
        if is64 {
            if data.len() < 64 {
                return None;
            }
            elf.phoff = elf.u64_at(32)?;
            elf.shoff = elf.u64_at(40)?;
            elf.phentsize = elf.u16_at(54)?.into();
            elf.phnum = elf.u16_at(56)?.into();
            elf.shentsize = elf.u16_at(58)?.into();
            elf.shnum = elf.u16_at(60)?.into();
            elf.shstrndx = elf.u16_at(62)?.into();
        } else {
            elf.phoff = elf.u32_at(28)?.into();
            elf.shoff = elf.u32_at(32)?.into();
            elf.phentsize = elf.u16_at(42)?.into();
            elf.phnum = elf.u16_at(44)?.into();
            elf.shentsize = elf.u16_at(46)?.into();
            elf.shnum = elf.u16_at(48)?.into();
            elf.shstrndx = elf.u16_at(50)?.into();
        }
        Some(elf)
    }

    /// Whether the file is big-endian.
    pub fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// Whether the file is 64-bit.
    pub fn is64(&self) -> bool {
        self.is64
    }

    /// The bytes of the first section called `name` (not `SHT_NOBITS`), if the section header
    /// table, its string table and the section itself lie within the data.
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        let min_entsize = if self.is64 { 64 } else { 40 };
        if self.shentsize < min_entsize || self.shnum == 0 {
            return None;
        }
        let strtab = self.section_header(self.shstrndx)?;
        let strtab = self.slice(strtab.offset, strtab.size)?;
        let count = (self.shnum as usize).min(MAX_SECTIONS);
        for i in 0..count {
            let Some(sh) = self.section_header(i as u64) else {
                continue;
            };
            if sh.kind == SHT_NOBITS {
                continue;
            }
            let Some(rest) = strtab.get(sh.name as usize..) else {
                continue;
            };
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            if &rest[..end] == name.as_bytes() {
                return self.slice(sh.offset, sh.size);
            }
        }
        None
    }

    /// `len` bytes at virtual address `addr`, from the `PT_LOAD` segment that maps them from
    /// the file (not from its zero-filled tail).
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let entsize_min = if self.is64 { 56 } else { 32 };
        if self.phentsize < entsize_min {
            return None;
        }
        let count = (self.phnum as usize).min(MAX_SEGMENTS);
        for i in 0..count {
            let base = self
                .phoff
                .checked_add((i as u64).checked_mul(self.phentsize)?)?;
            let (kind, offset, vaddr, filesz) = if self.is64 {
                (
                    self.u32_at(base)?,
                    self.u64_at(base.checked_add(8)?)?,
                    self.u64_at(base.checked_add(16)?)?,
                    self.u64_at(base.checked_add(32)?)?,
                )
            } else {
                (
                    self.u32_at(base)?,
                    self.u32_at(base.checked_add(4)?)?.into(),
                    self.u32_at(base.checked_add(8)?)?.into(),
                    self.u32_at(base.checked_add(16)?)?.into(),
                )
            };
            if kind != PT_LOAD || addr < vaddr {
                continue;
            }
            let rel = addr - vaddr;
            if rel.checked_add(len).is_some_and(|end| end <= filesz) {
                return self.slice(offset.checked_add(rel)?, len);
            }
        }
        None
    }

    /// Reads a pointer-sized unsigned integer (4 or 8 bytes) in the file's byte order.
    pub fn uint(&self, bytes: &[u8], size: usize) -> Option<u64> {
        read_uint(bytes, size, self.big_endian)
    }

    fn section_header(&self, index: u64) -> Option<SectionHeader> {
        let base = self.shoff.checked_add(index.checked_mul(self.shentsize)?)?;
        if self.is64 {
            Some(SectionHeader {
                name: self.u32_at(base)?,
                kind: self.u32_at(base.checked_add(4)?)?,
                offset: self.u64_at(base.checked_add(24)?)?,
                size: self.u64_at(base.checked_add(32)?)?,
            })
        } else {
            Some(SectionHeader {
                name: self.u32_at(base)?,
                kind: self.u32_at(base.checked_add(4)?)?,
                offset: self.u32_at(base.checked_add(16)?)?.into(),
                size: self.u32_at(base.checked_add(20)?)?.into(),
            })
        }
    }

    fn slice(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    fn u16_at(&self, offset: u64) -> Option<u16> {
        let b = self.slice(offset, 2)?;
        let b = [b[0], b[1]];
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, offset: u64) -> Option<u32> {
        read_uint(self.slice(offset, 4)?, 4, self.big_endian).and_then(|v| u32::try_from(v).ok())
    }

    fn u64_at(&self, offset: u64) -> Option<u64> {
        read_uint(self.slice(offset, 8)?, 8, self.big_endian)
    }
}

const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;

struct SectionHeader {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
}

/// Reads a 4- or 8-byte unsigned integer from the start of `bytes`.
pub fn read_uint(bytes: &[u8], size: usize, big_endian: bool) -> Option<u64> {
    match size {
        4 => {
            let b: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
            Some(
                if big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
                .into(),
            )
        }
        8 => {
            let b: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
            Some(if big_endian {
                u64::from_be_bytes(b)
            } else {
                u64::from_le_bytes(b)
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little 64-bit little-endian ELF: one `PT_LOAD` segment, sections `.shstrtab` and
    /// `.note.x` (and the null section).
    fn tiny_elf() -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(MAGIC);
        f[4] = 2; // 64-bit
        f[5] = 1; // little-endian
        f[6] = 1;
        // Program header at 64.
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&1u16.to_le_bytes());
        let mut ph = vec![0u8; 56];
        ph[..4].copy_from_slice(&PT_LOAD.to_le_bytes());
        ph[8..16].copy_from_slice(&0u64.to_le_bytes()); // offset
        ph[16..24].copy_from_slice(&0x40_0000u64.to_le_bytes()); // vaddr
        f.extend_from_slice(&ph);
        // Section contents.
        let note_off = f.len() as u64;
        f.extend_from_slice(b"hello");
        let strtab_off = f.len() as u64;
        f.extend_from_slice(b"\0.shstrtab\0.note.x\0");
        let shoff = f.len() as u64;
        let mut sh = vec![0u8; 64]; // null section
        let mut push = |name: u32, kind: u32, off: u64, size: u64| {
            let mut s = vec![0u8; 64];
            s[..4].copy_from_slice(&name.to_le_bytes());
            s[4..8].copy_from_slice(&kind.to_le_bytes());
            s[24..32].copy_from_slice(&off.to_le_bytes());
            s[32..40].copy_from_slice(&size.to_le_bytes());
            sh.extend_from_slice(&s);
        };
        push(1, 3, strtab_off, 19);
        push(11, 7, note_off, 5);
        f.extend_from_slice(&sh);
        f[40..48].copy_from_slice(&shoff.to_le_bytes());
        f[58..60].copy_from_slice(&64u16.to_le_bytes());
        f[60..62].copy_from_slice(&3u16.to_le_bytes());
        f[62..64].copy_from_slice(&1u16.to_le_bytes());
        // The segment maps the whole file.
        let len = f.len() as u64;
        f[64 + 32..64 + 40].copy_from_slice(&len.to_le_bytes());
        f
    }

    #[test]
    fn sections_and_addresses() {
        let f = tiny_elf();
        let elf = Elf::parse(&f).unwrap();
        assert_eq!(elf.section(".note.x"), Some(&b"hello"[..]));
        assert_eq!(elf.section(".note"), None);
        assert_eq!(elf.read_vaddr(0x40_0000, 4), Some(&MAGIC[..]));
        assert_eq!(elf.read_vaddr(0x3f_ffff, 4), None);
        assert_eq!(elf.read_vaddr(0x40_0000 + f.len() as u64 - 2, 4), None);
        // A prefix without the section table still maps addresses.
        let prefix = &f[..130];
        let elf = Elf::parse(prefix).unwrap();
        assert_eq!(elf.section(".note.x"), None);
        assert_eq!(elf.read_vaddr(0x40_0000, 4), Some(&MAGIC[..]));
        assert!(Elf::parse(b"\x7fELF").is_none());
        assert!(Elf::parse(&[0u8; 100]).is_none());
    }
}
