//! Unit tests of the container reader over archives written here by a tiny zip writer
//! ([`Zip`]) that can produce each trick: mismatched local headers, unknown methods,
//! duplicate and escaping names, overlapping and out-of-bounds data, prefixes, comments,
//! ZIP64 records and bombs.

use super::*;
use std::io::Write;

/// One entry to write; the `Option`s override what a correct writer would put.
#[derive(Clone, Default)]
struct E {
    name: Vec<u8>,
    data: Vec<u8>,
    deflate: bool,
    method: Option<u16>,
    local_method: Option<u16>,
    local_name: Option<Vec<u8>>,
    flags: u16,
    local_flags: Option<u16>,
    local_sizes: Option<(u32, u32)>,
    cd_sizes: Option<(u64, u64)>,
    local_offset: Option<u64>,
    crc: Option<u32>,
    local_extra: Vec<u8>,
}

fn stored(name: &str, data: &[u8]) -> E {
    E {
        name: name.as_bytes().to_vec(),
        data: data.to_vec(),
        ..E::default()
    }
}

fn deflated(name: &str, data: &[u8]) -> E {
    E {
        deflate: true,
        ..stored(name, data)
    }
}

#[derive(Clone, Default)]
struct Zip {
    entries: Vec<E>,
    prefix: Vec<u8>,
    comment: Vec<u8>,
    trailing: Vec<u8>,
    eocd_count: Option<u16>,
    cd_offset: Option<u32>,
    zip64: bool,
}

fn zip(entries: Vec<E>) -> Zip {
    Zip {
        entries,
        ..Zip::default()
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

fn u16le(v: &mut Vec<u8>, x: u16) {
    v.extend(x.to_le_bytes());
}

fn u32le(v: &mut Vec<u8>, x: u32) {
    v.extend(x.to_le_bytes());
}

fn u64le(v: &mut Vec<u8>, x: u64) {
    v.extend(x.to_le_bytes());
}

impl Zip {
    fn bytes(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let mut cd = Vec::new();
        for e in &self.entries {
            let payload = if e.deflate {
                deflate(&e.data)
            } else {
                e.data.clone()
            };
            let crc = e.crc.unwrap_or_else(|| crc32(&e.data));
            let method = e.method.unwrap_or(if e.deflate { 8 } else { 0 });
            let lho = out.len() as u64;
            let (lc, lu) = e
                .local_sizes
                .unwrap_or((payload.len() as u32, e.data.len() as u32));
            let lname = e.local_name.clone().unwrap_or_else(|| e.name.clone());
            u32le(&mut out, LFH_SIG);
            u16le(&mut out, 20);
            u16le(&mut out, e.local_flags.unwrap_or(e.flags));
            u16le(&mut out, e.local_method.unwrap_or(method));
            u32le(&mut out, 0);
            u32le(&mut out, crc);
            u32le(&mut out, lc);
            u32le(&mut out, lu);
            u16le(&mut out, lname.len() as u16);
            u16le(&mut out, e.local_extra.len() as u16);
            out.extend(&lname);
            out.extend(&e.local_extra);
            out.extend(&payload);
            let (cc, cu) = e
                .cd_sizes
                .unwrap_or((payload.len() as u64, e.data.len() as u64));
            let lho = e.local_offset.unwrap_or(lho);
            let mut extra = Vec::new();
            if self.zip64 {
                u16le(&mut extra, ZIP64_EXTRA);
                u16le(&mut extra, 24);
                u64le(&mut extra, cu);
                u64le(&mut extra, cc);
                u64le(&mut extra, lho);
            }
            let short = |v: u64| if self.zip64 { u32::MAX } else { v as u32 };
            u32le(&mut cd, CD_SIG);
            u16le(&mut cd, 0x0314);
            u16le(&mut cd, 20);
            u16le(&mut cd, e.flags);
            u16le(&mut cd, method);
            u32le(&mut cd, 0);
            u32le(&mut cd, crc);
            u32le(&mut cd, short(cc));
            u32le(&mut cd, short(cu));
            u16le(&mut cd, e.name.len() as u16);
            u16le(&mut cd, extra.len() as u16);
            u16le(&mut cd, 0);
            u16le(&mut cd, 0);
            u16le(&mut cd, 0);
            u32le(&mut cd, 0o100644 << 16);
            u32le(&mut cd, short(lho));
            cd.extend(&e.name);
            cd.extend(&extra);
        }
        let cd_offset = out.len();
        let count = self.eocd_count.unwrap_or(self.entries.len() as u16);
        out.extend(&cd);
        if self.zip64 {
            let record = out.len() as u64;
            u32le(&mut out, ZIP64_EOCD_SIG);
            u64le(&mut out, 44);
            u16le(&mut out, 45);
            u16le(&mut out, 45);
            u32le(&mut out, 0);
            u32le(&mut out, 0);
            u64le(&mut out, u64::from(count));
            u64le(&mut out, u64::from(count));
            u64le(&mut out, cd.len() as u64);
            u64le(&mut out, cd_offset as u64);
            u32le(&mut out, ZIP64_LOCATOR_SIG);
            u32le(&mut out, 0);
            u64le(&mut out, record);
            u32le(&mut out, 1);
        }
        u32le(&mut out, EOCD_SIG);
        u32le(&mut out, 0);
        u16le(&mut out, count);
        u16le(&mut out, count);
        if self.zip64 {
            u32le(&mut out, u32::MAX);
            u32le(&mut out, u32::MAX);
        } else {
            u32le(&mut out, cd.len() as u32);
            u32le(&mut out, self.cd_offset.unwrap_or(cd_offset as u32));
        }
        u16le(&mut out, self.comment.len() as u16);
        out.extend(&self.comment);
        out.extend(&self.trailing);
        out
    }

    fn open(&self) -> (Vec<u8>, ZipLimits) {
        (self.bytes(), ZipLimits::default())
    }
}

fn anomalies(data: &[u8]) -> Vec<Anomaly> {
    Archive::new(data, &ZipLimits::default())
        .unwrap()
        .anomalies()
        .to_vec()
}

fn eocd(cd_offset: u32, comment: &[u8]) -> Vec<u8> {
    let mut v = EOCD_SIG.to_le_bytes().to_vec();
    v.extend([0, 0, 0, 0, 1, 0, 1, 0]);
    v.extend(7u32.to_le_bytes());
    v.extend(cd_offset.to_le_bytes());
    v.extend((comment.len() as u16).to_le_bytes());
    v.extend(comment);
    v
}

#[test]
fn finds_the_record_whose_comment_reaches_the_end() {
    let mut data = vec![0u8; 100];
    data.extend(eocd(40, b"hello"));
    let e = find_eocd(&data).unwrap();
    assert_eq!(
        (e.offset, e.cd_offset, e.cd_size, e.entries),
        (100, 40, 7, 1)
    );
    // A record inside the comment whose own comment does not reach the end is skipped;
    // one that ends the data is the one Android takes, so Vigil takes it too.
    let mut data = vec![0u8; 10];
    let mut comment = eocd(1, b"");
    comment.extend(b"tail");
    data.extend(eocd(3, &comment));
    assert_eq!(find_eocd(&data).unwrap().cd_offset, 3);
    let mut data = vec![0u8; 10];
    data.extend(eocd(3, &eocd(1, b"")));
    assert_eq!(find_eocd(&data).unwrap().cd_offset, 1);
    assert!(find_eocd(&[0u8; 21]).is_err());
    assert!(find_eocd(&[0u8; 4000]).is_err());
}

#[test]
fn reads_stored_and_deflated_entries() {
    let text = b"hello hello hello hello hello".repeat(40);
    let z = zip(vec![
        stored("AndroidManifest.xml", b"<manifest/>"),
        deflated("classes.dex", &text),
        stored("res/", b""),
    ]);
    let (data, limits) = z.open();
    let a = Archive::new(&data, &limits).unwrap();
    assert!(a.anomalies().is_empty(), "{:?}", a.anomalies());
    assert_eq!(a.entries().len(), 3);
    let dex = a.by_name("classes.dex").unwrap();
    assert_eq!(dex.method, Method::Deflated);
    assert!(dex.compressed_size < dex.uncompressed_size);
    assert_eq!(dex.unix_mode(), Some(0o100644));
    let c = a.read_entry(dex).unwrap();
    assert!(c.crc_matches && c.size_matches && c.inflated);
    assert_eq!(c.data, &text[..]);
    assert_eq!(
        a.read_name("AndroidManifest.xml").unwrap().unwrap(),
        b"<manifest/>"
    );
    assert!(matches!(
        a.read_entry(&a.entries()[0]).unwrap().data,
        Cow::Borrowed(_)
    ));
    assert!(a.entries()[2].is_dir());
    assert_eq!(a.read_name("missing").unwrap(), None);
    assert_eq!(a.cd_offset(), a.eocd().cd_offset as usize);
    assert_eq!(a.inflated_total(), text.len() as u64);
    // A CRC that does not match is reported with the data, not refused.
    let mut bad = stored("a", b"abc");
    bad.crc = Some(1);
    let data = zip(vec![bad]).bytes();
    let a = Archive::new(&data, &limits).unwrap();
    let c = a.read_entry(&a.entries()[0]).unwrap();
    assert!(!c.crc_matches && c.size_matches);
}

#[test]
fn duplicate_names_keep_the_first() {
    let data = zip(vec![
        stored("classes.dex", b"one"),
        stored("classes.dex", b"two"),
    ])
    .bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.read_name("classes.dex").unwrap().unwrap(), b"one");
    assert_eq!(
        a.anomalies(),
        &[Anomaly::DuplicateName {
            name: "classes.dex".into(),
            first: 0,
            duplicate: 1
        }]
    );
    assert!(a.anomalies()[0].android_rejects());
}

#[test]
fn local_headers_are_compared_not_trusted() {
    // BadPack: a bogus method and sizes in the local header; the data is read by the CD.
    let mut e = deflated("AndroidManifest.xml", b"manifest manifest manifest");
    e.local_method = Some(0x5a5a);
    e.local_sizes = Some((7, 0xdead));
    e.local_extra = vec![0xfe, 0xca, 2, 0, 9, 9];
    let data = zip(vec![e]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(
        a.read_name("AndroidManifest.xml").unwrap().unwrap(),
        b"manifest manifest manifest"
    );
    let [Anomaly::LocalHeaderMismatch {
        index: 0,
        local_method: 0x5a5a,
        differs,
    }] = a.anomalies()
    else {
        panic!("{:?}", a.anomalies());
    };
    assert!(differs.method && differs.sizes && !differs.name && !differs.crc);
    // Sizes differ: Android refuses the entry; with a data descriptor flag it does not.
    assert!(a.anomalies()[0].android_rejects());
    let mut e = stored("a", b"abc");
    e.local_sizes = Some((0, 0));
    e.local_flags = Some(FLAG_DATA_DESCRIPTOR);
    e.flags = FLAG_DATA_DESCRIPTOR;
    assert!(anomalies(&zip(vec![e]).bytes()).is_empty());
    let mut e = stored("a", b"abc");
    e.local_method = Some(8);
    let found = anomalies(&zip(vec![e]).bytes());
    assert!(!found[0].android_rejects(), "{found:?}");
    let mut e = stored("classes.dex", b"abc");
    e.local_name = Some(b"classes.dey".to_vec());
    let found = anomalies(&zip(vec![e]).bytes());
    assert!(
        matches!(
            found[..],
            [Anomaly::LocalHeaderMismatch {
                differs: Mismatch { name: true, .. },
                ..
            }]
        ),
        "{found:?}"
    );
    // The data starts after the LOCAL name and extra, whatever the CD's lengths.
    let mut e = stored("x", b"payload");
    e.local_name = Some(b"a-much-longer-local-name".to_vec());
    e.local_extra = vec![0; 13];
    let data = zip(vec![e]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.read_name("x").unwrap().unwrap(), b"payload");
}

#[test]
fn unknown_methods_read_as_stored_and_flags_are_ignored() {
    let mut e = stored("AndroidManifest.xml", b"<manifest/>");
    e.method = Some(0x1337);
    let mut enc = stored("classes.dex", b"dex\n035");
    enc.flags = FLAG_ENCRYPTED;
    let data = zip(vec![e, enc]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.entries()[0].method, Method::Unknown(0x1337));
    let c = a.read_entry(&a.entries()[0]).unwrap();
    assert!(c.crc_matches && !c.inflated);
    assert_eq!(c.data, &b"<manifest/>"[..]);
    assert!(a.entries()[1].is_encrypted());
    assert_eq!(a.read_name("classes.dex").unwrap().unwrap(), b"dex\n035");
    assert_eq!(
        a.anomalies(),
        &[
            Anomaly::UnknownCompressionMethod {
                index: 0,
                method: 0x1337
            },
            Anomaly::EncryptedFlag { index: 1 }
        ]
    );
    assert!(a.anomalies().iter().all(|x| !x.android_rejects()));
}

#[test]
fn escaping_names_are_reported() {
    let names: [&[u8]; 7] = [
        b"../../etc/passwd",
        b"/data/local/tmp/x",
        b"lib\\..\\x.so",
        b"assets/a\0.txt",
        b"C:x",
        b"assets/\xc0\xaf.txt",
        b"assets/\xff",
    ];
    let data = zip(names
        .iter()
        .map(|n| E {
            name: n.to_vec(),
            data: b"x".to_vec(),
            ..E::default()
        })
        .collect())
    .bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    let issues = |i: usize| -> Vec<NameIssue> {
        a.anomalies()
            .iter()
            .filter_map(|x| match x {
                Anomaly::NameTraversal { index, issue, .. } if *index == i => Some(*issue),
                _ => None,
            })
            .collect()
    };
    assert_eq!(issues(0), [NameIssue::ParentDir]);
    assert_eq!(issues(1), [NameIssue::Absolute]);
    assert_eq!(issues(2), [NameIssue::Backslash, NameIssue::ParentDir]);
    assert_eq!(issues(3), [NameIssue::Nul]);
    assert_eq!(issues(4), [NameIssue::Absolute]);
    assert!(a.anomalies().contains(&Anomaly::NonUtf8Name {
        index: 5,
        android_accepts: true
    }));
    assert!(a.anomalies().contains(&Anomaly::NonUtf8Name {
        index: 6,
        android_accepts: false
    }));
    assert_eq!(a.entries()[6].name, "assets/\u{fffd}");
    assert_eq!(a.entries()[6].raw_name, b"assets/\xff");
}

#[test]
fn android_name_check() {
    assert!(android_valid_name(b"res/layout/main.xml"));
    assert!(android_valid_name("assets/\u{4e2d}\u{1f600}".as_bytes()));
    assert!(android_valid_name(b"\xc0\xaf")); // overlong '/', structurally fine
    assert!(!android_valid_name(b"a\0"));
    assert!(!android_valid_name(b"\x80"));
    assert!(!android_valid_name(b"\xe4\xb8"));
    assert!(!android_valid_name(b"\xfe\x80"));
    assert!(!android_valid_name(b"\xc3A"));
}

#[test]
fn data_outside_the_archive_is_reported_and_unreadable() {
    let mut e = stored("big", b"abc");
    e.cd_sizes = Some((1 << 20, 1 << 20));
    let data = zip(vec![e, stored("ok", b"fine")]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert!(a
        .anomalies()
        .iter()
        .any(|x| matches!(x, Anomaly::DataOutsideArchive { index: 0, .. })));
    assert!(matches!(
        a.read_name("big"),
        Err(ApkError::Truncated { .. })
    ));
    assert_eq!(a.read_name("ok").unwrap().unwrap(), b"fine");
    // A local header offset past the central directory.
    let mut e = stored("far", b"abc");
    e.local_offset = Some(0xfff0_0000);
    let data = zip(vec![e]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert!(a.entries()[0].data_offset.is_none());
    assert!(matches!(a.anomalies()[0], Anomaly::BadLocalHeader { .. }));
    assert!(a.read(&a.entries()[0]).is_err());
}

#[test]
fn overlapping_entries_are_reported() {
    let mut twin = stored("b", b"same");
    twin.local_offset = Some(0);
    let data = zip(vec![stored("a", b"same"), twin]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert!(a.anomalies().contains(&Anomaly::OverlappingEntries {
        first: 0,
        second: 1
    }));
    assert_eq!(a.read_name("b").unwrap().unwrap(), b"same");
}

#[test]
fn prefixed_archives_and_comments() {
    // Janus: another file before the first local header.
    let mut z = zip(vec![stored("classes.dex", b"dex")]);
    z.prefix = b"dex\n035\0 a prepended dex".to_vec();
    let found = anomalies(&z.bytes());
    assert_eq!(
        found,
        [Anomaly::DataBeforeFirstEntry {
            len: 24,
            starts_with_local_header: false
        }]
    );
    assert!(found[0].android_rejects());
    // An archive comment is fine; bytes after it are not.
    let mut z = zip(vec![stored("a", b"a")]);
    z.comment = b"signed by nobody".to_vec();
    assert!(anomalies(&z.bytes()).is_empty());
    z.trailing = b"appended".to_vec();
    assert_eq!(
        anomalies(&z.bytes()),
        [Anomaly::CommentLengthMismatch {
            declared: 16,
            actual: 24
        }]
    );
    // A second record hidden in the comment: Android takes it and refuses the archive.
    let mut z = zip(vec![stored("a", b"a")]);
    z.comment = eocd(0, b"");
    z.comment.extend(b"xx");
    let data = z.bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.entries().len(), 1);
    assert!(matches!(a.anomalies(), [Anomaly::EocdInComment { .. }]));
}

#[test]
fn central_directory_counts() {
    let entries = vec![stored("a", b"a"), stored("b", b"b")];
    let mut z = zip(entries.clone());
    z.eocd_count = Some(1);
    let data = z.bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.entries().len(), 1);
    assert!(matches!(
        a.anomalies(),
        [Anomaly::CentralDirectorySizeMismatch { .. }]
    ));
    z.eocd_count = Some(5);
    let data = z.bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert_eq!(a.entries().len(), 2);
    assert_eq!(
        a.anomalies(),
        &[Anomaly::CentralDirectoryTruncated {
            declared: 5,
            parsed: 2
        }]
    );
    let limits = ZipLimits {
        max_entries: 1,
        ..ZipLimits::default()
    };
    assert!(matches!(
        Archive::new(&zip(entries).bytes(), &limits),
        Err(ApkError::TooLarge { .. })
    ));
}

#[test]
fn broken_archives_are_errors_not_panics() {
    let mut z = zip(vec![deflated("a", &[7u8; 3000]), stored("b", b"bbbb")]);
    z.comment = b"c".to_vec();
    let data = z.bytes();
    for cut in 0..data.len() {
        let part = &data[..cut];
        if let Ok(a) = Archive::new(part, &ZipLimits::default()) {
            for e in a.entries() {
                let _ = a.read(e);
            }
        }
    }
    let mut z = zip(vec![stored("a", b"a")]);
    z.cd_offset = Some(u32::MAX - 10);
    assert!(matches!(
        Archive::new(&z.bytes(), &ZipLimits::default()),
        Err(ApkError::Malformed { .. })
    ));
    assert!(Archive::new(b"", &ZipLimits::default()).is_err());
    assert!(Archive::new(&[0u8; 100], &ZipLimits::default()).is_err());
    // A deflate stream cut short.
    let mut e = deflated(
        "a",
        &(0..5000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    );
    let full = deflate(&e.data).len() as u64;
    e.cd_sizes = Some((full / 2, e.data.len() as u64));
    e.local_sizes = Some(((full / 2) as u32, e.data.len() as u32));
    let data = zip(vec![e]).bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert!(a.read(&a.entries()[0]).is_err());
}

/// Assert that `err` refuses `what` as too large.
fn assert_too_large(err: ApkError, expected: &str) {
    assert!(
        matches!(&err, ApkError::TooLarge { what, .. } if *what == expected),
        "{err}"
    );
}

fn small_limits() -> ZipLimits {
    ZipLimits {
        max_entry_size: 8 << 20,
        max_total_inflated: 12 << 20,
        max_ratio: 100,
        ratio_floor: 64 << 10,
        ..ZipLimits::default()
    }
}

#[test]
fn bombs_are_refused() {
    let zeros = vec![0u8; 4 << 20];
    // Honest sizes: refused from the declared ratio before inflating.
    let data = zip(vec![deflated("bomb", &zeros)]).bytes();
    let a = Archive::new(&data, &small_limits()).unwrap();
    assert_too_large(
        a.read(&a.entries()[0]).unwrap_err(),
        "zip entry compression ratio",
    );
    assert_eq!(a.inflated_total(), 0);
    // Lying sizes: refused while inflating, having inflated little.
    let mut e = deflated("bomb", &zeros);
    e.cd_sizes = Some((deflate(&zeros).len() as u64, 1000));
    e.local_flags = Some(FLAG_DATA_DESCRIPTOR);
    let data = zip(vec![e]).bytes();
    let a = Archive::new(&data, &small_limits()).unwrap();
    assert_too_large(
        a.read(&a.entries()[0]).unwrap_err(),
        "zip entry compression ratio",
    );
    assert!(a.inflated_total() < 1 << 20, "{}", a.inflated_total());
    // Claiming 4 GiB: refused before anything is allocated, stored or deflated.
    for deflate in [false, true] {
        let mut e = stored("huge", b"tiny");
        e.deflate = deflate;
        e.cd_sizes = Some((4, 0xffff_fffe));
        let data = zip(vec![e]).bytes();
        let a = Archive::new(&data, &ZipLimits::default()).unwrap();
        let err = a.read(&a.entries()[0]).unwrap_err();
        assert!(
            matches!(
                err,
                ApkError::TooLarge {
                    what: "zip entry uncompressed size",
                    size: 0xffff_fffe,
                    ..
                }
            ),
            "{err}"
        );
    }
}

fn noise(len: usize, seed: u32) -> Vec<u8> {
    // Text-like bytes that compress about 2:1.
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b"abcdefghij"[(x >> 16) as usize % 10]
        })
        .collect()
}

#[test]
fn the_inflate_budget_is_shared() {
    let limits = ZipLimits {
        max_total_inflated: 3 << 20,
        ..small_limits()
    };
    let inner = zip(vec![deflated("x.bin", &noise(2 << 20, 2))]).bytes();
    let data = zip(vec![
        deflated("a.bin", &noise(2 << 20, 1)),
        deflated("inner.apk", &inner),
    ])
    .bytes();
    let a = Archive::new(&data, &limits).unwrap();
    assert_eq!(a.read_name("a.bin").unwrap().unwrap().len(), 2 << 20);
    let nested = a.nested(a.by_name("inner.apk").unwrap()).unwrap();
    assert_eq!(nested.depth(), 1);
    let err = nested.read_name("x.bin").unwrap_err();
    assert!(
        matches!(err, ApkError::TooLarge { what: "zip archive inflated total", limit, .. } if limit == 3 << 20),
        "{err}"
    );
    assert!(a.inflated_total() <= (3 << 20) + 1);
}

#[test]
fn nested_archives_to_a_bounded_depth() {
    let inner = zip(vec![stored("classes.dex", b"dex")]).bytes();
    let middle = zip(vec![deflated("split.apk", &inner)]).bytes();
    let outer = zip(vec![stored("bundle.apks", &middle)]).bytes();
    let a = Archive::new(&outer, &ZipLimits::default()).unwrap();
    let bundle = a.by_name("bundle.apks").unwrap();
    assert!(bundle.has_archive_name());
    let m = a.nested(bundle).unwrap();
    let i = m.nested(m.by_name("split.apk").unwrap()).unwrap();
    assert_eq!(i.depth(), 2);
    assert_eq!(i.read_name("classes.dex").unwrap().unwrap(), b"dex");
    assert!(a.inflated_total() > 0);
    let limits = ZipLimits {
        max_depth: 1,
        ..ZipLimits::default()
    };
    let a = Archive::new(&outer, &limits).unwrap();
    let m = a.nested(a.by_name("bundle.apks").unwrap()).unwrap();
    assert!(matches!(
        m.nested(m.by_name("split.apk").unwrap()),
        Err(ApkError::TooLarge {
            what: "nested archive depth",
            ..
        })
    ));
    // Not an archive: an error, not a panic.
    assert!(a
        .nested(&Archive::new(&inner, &limits).unwrap().entries()[0])
        .is_err());
}

#[test]
fn zip64_records_are_followed() {
    let mut z = zip(vec![stored("a", b"alpha"), deflated("b", &[9u8; 500])]);
    z.zip64 = true;
    let data = z.bytes();
    let a = Archive::new(&data, &ZipLimits::default()).unwrap();
    assert!(a.anomalies().is_empty(), "{:?}", a.anomalies());
    assert!(a.central_directory().zip64.is_some());
    assert_eq!(a.entries()[1].uncompressed_size, 500);
    assert_eq!(a.read_name("a").unwrap().unwrap(), b"alpha");
    assert_eq!(a.read_name("b").unwrap().unwrap(), vec![9u8; 500]);
    // 0xffffffff in the end record without a locator.
    let mut data = zip(vec![stored("a", b"a")]).bytes();
    let at = data.len() - EOCD_LEN + 12;
    data[at..at + 8].fill(0xff);
    assert!(matches!(
        Archive::new(&data, &ZipLimits::default()),
        Err(ApkError::Malformed { .. })
    ));
}

#[test]
fn anomalies_display_and_point_at_entries() {
    let mut e = stored("../x", b"x");
    e.method = Some(99);
    let found = anomalies(&zip(vec![e]).bytes());
    assert!(found.iter().all(|a| a.entry() == Some(0)));
    let text: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("unknown compression method 99")),
        "{text:?}"
    );
}
