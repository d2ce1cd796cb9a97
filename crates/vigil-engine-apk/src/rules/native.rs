//! Native library rules: the hardening of the ELF shared objects an APK ships in
//! `lib/<abi>/<name>.so`, read with the `object` crate's ELF reader (32 and 64 bit, either
//! byte order). A library is read only when it is at most [`MAX_LIBRARY_SIZE`] bytes
//! uncompressed, and at most [`MAX_LIBRARIES`] of them are, so a hostile APK cannot make the
//! rules inflate without end; each of the three checks reads the libraries it needs itself,
//! under the archive's shared inflate budget. A library that is not a readable ELF file is
//! skipped: these rules judge hardening, not well-formedness.
//!
//! Tencent MS VulIds (Vigil's own, stable):
//!
//! | id | rule |
//! | --- | --- |
//! | 119 | `apk.native.no_stack_protector` |
//! | 120 | `apk.native.executable_stack` |
//! | 121 | `apk.native.rwx_segment` |

use object::elf::{
    FileHeader32, FileHeader64, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_LOAD, SHT_DYNSYM,
};
use object::read::elf::{FileHeader, ProgramHeader, Sym};
use object::{Endianness, FileKind};

use crate::rules::{hit, Facts, FnCheck, Hit, Rule};
use vigil_core::Severity;

/// Largest library read (uncompressed bytes); bigger ones are not judged.
pub const MAX_LIBRARY_SIZE: u64 = 64 << 20;
/// Most libraries read per package.
pub const MAX_LIBRARIES: usize = 512;

/// Imports that show stack-protector instrumentation (bionic/glibc, and Intel's compiler).
const STACK_PROTECTOR_SYMBOLS: [&[u8]; 3] = [
    b"__stack_chk_fail",
    b"__stack_chk_guard",
    b"__intel_security_cookie",
];

/// No stack-protector import.
pub static NO_STACK_PROTECTOR: Rule = Rule {
    id: "apk.native.no_stack_protector",
    ms_id: "119",
    name: "Native library built without stack protector",
    level: Severity::Low,
    description: "A native library imports no __stack_chk_fail: it was built without stack \
        canaries, so stack buffer overflows in it are easier to exploit.",
    solution: "Build native code with -fstack-protector-strong (the NDK default).",
    cwe: Some("CWE-121"),
    masvs: Some("MASVS-CODE-4"),
};

/// PT_GNU_STACK executable.
pub static EXECUTABLE_STACK: Rule = Rule {
    id: "apk.native.executable_stack",
    ms_id: "120",
    name: "Native library requests an executable stack",
    level: Severity::Medium,
    description: "A native library's PT_GNU_STACK segment is executable: loading it makes \
        the thread stacks executable, undoing NX protection for shellcode on the stack.",
    solution: "Link with -z noexecstack and remove assembly that lacks a .note.GNU-stack \
        section.",
    cwe: Some("CWE-119"),
    masvs: Some("MASVS-CODE-4"),
};

/// A LOAD segment readable, writable and executable at once.
pub static RWX_SEGMENT: Rule = Rule {
    id: "apk.native.rwx_segment",
    ms_id: "121",
    name: "Native library maps memory writable and executable",
    level: Severity::Medium,
    description: "A native library has a PT_LOAD segment that is readable, writable and \
        executable: code in it can be overwritten at run time (W^X is broken).",
    solution: "Do not put code in writable sections; link with the default separate \
        text and data segments.",
    cwe: Some("CWE-119"),
    masvs: Some("MASVS-CODE-4"),
};

/// Checks [`NO_STACK_PROTECTOR`].
pub static NO_STACK_PROTECTOR_CHECK: FnCheck = FnCheck {
    rule: &NO_STACK_PROTECTOR,
    run: no_stack_protector,
};
/// Checks [`EXECUTABLE_STACK`].
pub static EXECUTABLE_STACK_CHECK: FnCheck = FnCheck {
    rule: &EXECUTABLE_STACK,
    run: executable_stack,
};
/// Checks [`RWX_SEGMENT`].
pub static RWX_SEGMENT_CHECK: FnCheck = FnCheck {
    rule: &RWX_SEGMENT,
    run: rwx_segment,
};

/// What the rules need of one ELF file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Elf {
    /// `PT_GNU_STACK` flags, when the segment is there.
    pub gnu_stack: Option<u32>,
    /// `PT_LOAD` segments: (index among the program headers, virtual address, flags).
    pub loads: Vec<(usize, u64, u32)>,
    /// Number of named undefined dynamic symbols: the imports (0 when there is no
    /// `.dynsym`).
    pub imports: usize,
    /// Whether an undefined dynamic symbol is a stack-protector one.
    pub stack_protector: bool,
}

impl Elf {
    /// Read an ELF file (32 or 64 bit); `None` when it is not one or cannot be read.
    pub fn parse(data: &[u8]) -> Option<Elf> {
        match FileKind::parse(data).ok()? {
            FileKind::Elf32 => read::<FileHeader32<Endianness>>(data),
            FileKind::Elf64 => read::<FileHeader64<Endianness>>(data),
            _ => None,
        }
    }
}

fn read<H: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Elf> {
    let h = H::parse(data).ok()?;
    let e = h.endian().ok()?;
    let mut out = Elf::default();
    for (i, ph) in h.program_headers(e, data).ok()?.iter().enumerate() {
        match ph.p_type(e) {
            PT_GNU_STACK => out.gnu_stack = Some(ph.p_flags(e)),
            PT_LOAD => out.loads.push((i, ph.p_vaddr(e).into(), ph.p_flags(e))),
            _ => {}
        }
    }
    // Section headers may be stripped; then the imports are unknown and stay so.
    if let Ok(sections) = h.sections(e, data) {
        if let Ok(syms) = sections.symbols(e, data, SHT_DYNSYM) {
            for s in syms.iter().filter(|s| s.is_undefined(e)) {
                let Ok(name) = syms.symbol_name(e, s) else {
                    continue;
                };
                if !name.is_empty() {
                    out.imports += 1;
                    out.stack_protector |= STACK_PROTECTOR_SYMBOLS.contains(&name);
                }
            }
        }
    }
    Some(out)
}

/// Whether `name` is a native library of an ABI (`lib/<abi>/<name>.so`).
pub fn is_library(name: &str) -> bool {
    let mut parts = name.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("lib"), Some(abi), Some(file), None)
            if !abi.is_empty() && file.len() > 3 && file.ends_with(".so")
    )
}

/// The package's native libraries that read as ELF: (entry name, facts), bounded.
fn libraries(f: &Facts<'_, '_>) -> Vec<(String, Elf)> {
    let archive = &f.package.archive;
    archive
        .entries()
        .iter()
        .filter(|e| !e.is_dir() && is_library(&e.name))
        .filter(|e| e.uncompressed_size <= MAX_LIBRARY_SIZE)
        .take(MAX_LIBRARIES)
        .filter_map(|e| {
            let data = archive.read_entry(e).ok()?;
            Some((e.name.clone(), Elf::parse(&data.data)?))
        })
        .collect()
}

/// `RWX`-style flags.
fn flags(f: u32) -> String {
    [(PF_R, 'R'), (PF_W, 'W'), (PF_X, 'X')]
        .iter()
        .map(|&(bit, c)| if f & bit != 0 { c } else { '-' })
        .collect()
}

fn no_stack_protector(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    for (name, elf) in libraries(f) {
        // A library importing nothing (fully static code) cannot be judged by its imports.
        if elf.imports > 0 && !elf.stack_protector {
            out.push(hit(
                &NO_STACK_PROTECTOR,
                &name,
                ".dynsym".into(),
                format!(
                    "no __stack_chk_fail import among {} imported symbols",
                    elf.imports
                ),
            ));
        }
    }
}

fn executable_stack(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    for (name, elf) in libraries(f) {
        if let Some(fl) = elf.gnu_stack.filter(|fl| fl & PF_X != 0) {
            out.push(hit(
                &EXECUTABLE_STACK,
                &name,
                "PT_GNU_STACK".into(),
                format!("PT_GNU_STACK flags {}", flags(fl)),
            ));
        }
    }
}

fn rwx_segment(f: &Facts<'_, '_>, out: &mut Vec<Hit>) {
    let rwx = PF_R | PF_W | PF_X;
    for (name, elf) in libraries(f) {
        for (i, vaddr, fl) in elf.loads.iter().filter(|l| l.2 & rwx == rwx) {
            out.push(hit(
                &RWX_SEGMENT,
                &name,
                format!("PT_LOAD #{i}"),
                format!("PT_LOAD at 0x{vaddr:x} flags {}", flags(*fl)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_library, Elf};

    #[test]
    fn only_abi_libraries_count() {
        assert!(is_library("lib/arm64-v8a/libx.so"));
        assert!(!is_library("lib/libx.so"));
        assert!(!is_library("lib/arm64-v8a/sub/libx.so"));
        assert!(!is_library("assets/lib/x86/libx.so"));
        assert!(!is_library("lib/x86/.so"));
        assert!(!is_library("lib/x86/libx.so.txt"));
    }

    #[test]
    fn junk_is_not_elf() {
        assert_eq!(Elf::parse(b""), None);
        assert_eq!(Elf::parse(b"\x7fELF\x02\x01\x01"), None);
        assert_eq!(Elf::parse(&[0u8; 64]), None);
    }
}
