//! The DEX reader on hostile input: truncated headers, offsets past the end, huge counts,
//! overlong ULEB128, string data without a terminator, each an error naming what was read,
//! and proptests that parsing and walking everything never panics, on arbitrary bytes and
//! on random changes to a real small `classes.dex`.

use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_engine_apk::dex::{Dex, DexLimits, DexSummary};
use vigil_engine_apk::ApkError;

use crate::dex::{assemble, sample};

/// The sample app's `classes.dex`, assembled once.
fn real() -> &'static [u8] {
    static DEX: OnceLock<Vec<u8>> = OnceLock::new();
    DEX.get_or_init(|| assemble("dex-hostile", &sample()))
}

fn get_u32(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

fn put_u32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// `real()` with `tail` appended (file_size updated); returns the data and `tail`'s offset.
fn with_tail(tail: &[u8]) -> (Vec<u8>, u32) {
    let mut d = real().to_vec();
    let at = d.len() as u32;
    d.extend_from_slice(tail);
    let len = d.len() as u32;
    put_u32(&mut d, 32, len);
    (d, at)
}

/// Read everything the reader offers; the result of each step is discarded.
fn walk_all(data: &[u8]) {
    let limits = DexLimits {
        max_code_units: 1_000_000,
        ..DexLimits::default()
    };
    let Ok(dex) = Dex::parse_with(data, limits) else {
        return;
    };
    let _ = DexSummary::build(&dex);
    for s in dex.strings().take(10_000) {
        let _ = s;
    }
    for t in dex.types().take(10_000) {
        let _ = t;
    }
    for i in 0..dex.proto_count().min(10_000) {
        let _ = dex.proto_signature(i);
    }
    for i in 0..dex.method_count().min(10_000) {
        let _ = dex.method_parts(i);
    }
    for i in 0..dex.field_count().min(10_000) {
        let _ = dex.field(i);
    }
    for c in dex.class_defs().take(10_000).flatten() {
        let _ = dex.interfaces(&c);
        let _ = dex.superclass(&c);
        let _ = dex.source_file(&c);
        if let Ok(data) = dex.class_data(&c) {
            for m in data.direct_methods.iter().chain(&data.virtual_methods) {
                let _ = dex.code_refs(m.code_off);
            }
        }
    }
}

#[test]
fn a_truncated_header_is_an_error() {
    for len in [0, 7, 8, 40, 0x6f] {
        let e = Dex::parse(&real()[..len]).unwrap_err();
        assert!(
            matches!(e, ApkError::Truncated { .. } | ApkError::Malformed { .. }),
            "{len}: {e}"
        );
    }
    // A file cut short of its file_size.
    let e = Dex::parse(&real()[..real().len() - 1]).unwrap_err();
    assert!(matches!(e, ApkError::Truncated { .. }), "{e}");
}

#[test]
fn sections_past_the_end_are_errors_naming_the_section() {
    for (at, what) in [
        (60, "string_ids"),
        (68, "type_ids"),
        (76, "proto_ids"),
        (84, "field_ids"),
        (92, "method_ids"),
        (100, "class_defs"),
    ] {
        let mut d = real().to_vec();
        let near_end = d.len() as u32 - 4;
        put_u32(&mut d, at, near_end);
        let e = Dex::parse(&d).unwrap_err().to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
    let mut d = real().to_vec();
    put_u32(&mut d, 52, 0xffff_fff0);
    let e = Dex::parse(&d).unwrap_err().to_string();
    assert!(e.contains("map_list"), "{e}");
    // A string's data offset past the end is an error of that string, not of the file.
    let mut d = real().to_vec();
    let ids = get_u32(&d, 60) as usize;
    put_u32(&mut d, ids, 0xffff_fff0);
    let dex = Dex::parse(&d).unwrap();
    assert!(dex
        .string(0)
        .unwrap_err()
        .to_string()
        .contains("string_data"));
    assert!(dex.string(1).is_ok());
    assert!(DexSummary::build(&dex).is_err());
    // Indices out of range.
    assert!(dex.string(u32::MAX).is_err());
    assert!(dex.method(dex.method_count()).is_err());
    assert!(dex.class_def(dex.class_count()).is_err());
}

#[test]
fn huge_counts_are_refused_before_anything_is_allocated() {
    let mut d = real().to_vec();
    put_u32(&mut d, 88, u32::MAX);
    assert!(matches!(
        Dex::parse(&d).unwrap_err(),
        ApkError::TooLarge {
            what: "dex method_ids",
            ..
        }
    ));
    // Under the limit but past the data.
    let mut d = real().to_vec();
    put_u32(&mut d, 56, 1_000_000);
    assert!(matches!(
        Dex::parse(&d).unwrap_err(),
        ApkError::Malformed {
            what: "dex string_ids",
            ..
        }
    ));
    // Class data claiming billions of members.
    let (mut d, at) = with_tail(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0]);
    let first_class = get_u32(&d, 100) as usize;
    put_u32(&mut d, first_class + 24, at);
    let dex = Dex::parse(&d).unwrap();
    let c = dex.class_def(0).unwrap();
    assert!(dex.class_data(&c).is_err());
    let s = DexSummary::build(&dex).unwrap();
    assert_eq!(s.error_count, 1, "{:?}", s.errors);
    // Limits below the file's counts.
    let small = DexLimits {
        max_classes: 1,
        ..DexLimits::default()
    };
    assert!(matches!(
        Dex::parse_with(real(), small).unwrap_err(),
        ApkError::TooLarge {
            what: "dex class_defs",
            ..
        }
    ));
    let few_units = DexLimits {
        max_code_units: 10,
        ..DexLimits::default()
    };
    let dex = Dex::parse_with(real(), few_units).unwrap();
    let s = DexSummary::build(&dex).unwrap();
    assert!(
        s.errors.iter().any(|e| e.contains("code units")),
        "{:?}",
        s.errors
    );
}

#[test]
fn an_overlong_uleb128_is_an_error() {
    let (mut d, at) = with_tail(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0, 0, 0]);
    let first_class = get_u32(&d, 100) as usize;
    put_u32(&mut d, first_class + 24, at);
    let dex = Dex::parse(&d).unwrap();
    let e = dex.class_data(&dex.class_def(0).unwrap()).unwrap_err();
    assert!(e.to_string().contains("ULEB128"), "{e}");
}

#[test]
fn string_data_without_a_terminator_is_an_error() {
    let (mut d, at) = with_tail(&[0x03, b'a', b'b', b'c']);
    let ids = get_u32(&d, 60) as usize;
    put_u32(&mut d, ids, at);
    let dex = Dex::parse(&d).unwrap();
    let e = dex.string(0).unwrap_err();
    assert!(matches!(e, ApkError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("string_data"), "{e}");
}

#[test]
fn code_past_the_end_is_an_error_of_that_method() {
    let dex = Dex::parse(real()).unwrap();
    let s = DexSummary::build(&dex).unwrap();
    let m = s
        .classes
        .iter()
        .flat_map(|c| &c.methods)
        .find(|m| m.code_off != 0)
        .unwrap();
    let mut d = real().to_vec();
    // insns_size of that code item.
    put_u32(&mut d, m.code_off as usize + 12, 0x7fff_ffff);
    let dex = Dex::parse(&d).unwrap();
    assert!(dex.code_refs(m.code_off).is_err());
    let s = DexSummary::build(&dex).unwrap();
    assert_eq!(s.error_count, 1, "{:?}", s.errors);
}

proptest! {
    // 512 cases a test unless PROPTEST_CASES asks for more (a longer search by hand).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        walk_all(&data);
        // With a valid magic and header sizes, the reader goes further.
        let mut d = data;
        d.resize(d.len().max(0x70), 0);
        d[..8].copy_from_slice(b"dex\n035\0");
        let len = d.len() as u32;
        put_u32(&mut d, 32, len);
        put_u32(&mut d, 36, 0x70);
        put_u32(&mut d, 40, 0x1234_5678);
        walk_all(&d);
    }

    #[test]
    fn mutations_of_a_real_dex_never_panic(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut d = real().to_vec();
        for (at, byte) in changes {
            let i = at.index(d.len());
            d[i] = byte;
        }
        if truncate {
            d.truncate(cut.index(d.len()));
        }
        walk_all(&d);
    }

    #[test]
    fn header_fields_set_to_anything_never_panic(
        fields in proptest::collection::vec((0usize..28, any::<u32>()), 1..6),
    ) {
        let mut d = real().to_vec();
        for (field, value) in fields {
            put_u32(&mut d, 8 + field * 4, value);
        }
        walk_all(&d);
    }
}

#[test]
fn a_string_longer_than_it_declares_is_an_error() {
    // One UTF-16 unit declared, so at most three bytes before the NUL.
    let (mut d, at) = with_tail(&[0x01, b'a', b'b', b'c', b'd', 0]);
    let ids = get_u32(&d, 60) as usize;
    put_u32(&mut d, ids, at);
    let dex = Dex::parse(&d).unwrap();
    let e = dex.string(0).unwrap_err().to_string();
    assert!(e.contains("declared"), "{e}");
}

#[test]
fn strings_sharing_their_data_cannot_blow_up_the_summary() {
    // Every string id points at one 5000-byte string: the summary would decode it once per
    // id, more string bytes than the file has.
    let mut tail = vec![0xe0, 0x26];
    tail.extend(std::iter::repeat_n(b'a', 5_000));
    tail.push(0);
    let (mut d, at) = with_tail(&tail);
    let ids = get_u32(&d, 60) as usize;
    for i in 0..get_u32(&d, 56) as usize {
        put_u32(&mut d, ids + 4 * i, at);
    }
    let dex = Dex::parse(&d).unwrap();
    assert_eq!(dex.string(3).unwrap().len(), 5_000);
    assert!(matches!(
        DexSummary::build(&dex).unwrap_err(),
        ApkError::TooLarge { .. }
    ));
    // And the per-string limit.
    let limits = DexLimits {
        max_string_bytes: 100,
        ..DexLimits::default()
    };
    let dex = Dex::parse_with(&d, limits).unwrap();
    assert!(matches!(
        dex.string(0).unwrap_err(),
        ApkError::TooLarge { .. }
    ));
}
