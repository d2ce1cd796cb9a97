//! Unit tests of the resource table reader over tables built by hand.

use super::*;
use crate::res::axml::tests::chunk;
use crate::res::strings;

/// Simple entry: (key index, type, data); `None` for a missing entry.
type Simple = Option<(u32, u8, u32)>;

fn type_chunk(type_id: u8, config: &[u8], entries: &[Simple]) -> Vec<u8> {
    type_chunk_with(type_id, config, entries, 0, false)
}

/// A type chunk with index `flags` (sparse, offset16) and simple or compact entries.
fn type_chunk_with(
    type_id: u8,
    config: &[u8],
    entries: &[Simple],
    flags: u8,
    compact: bool,
) -> Vec<u8> {
    let mut index = Vec::new();
    let mut body = Vec::new();
    let mut count = 0u32;
    for (i, e) in entries.iter().enumerate() {
        let at = body.len() as u32;
        match (e, flags) {
            (None, TYPE_SPARSE) => continue,
            (None, TYPE_OFFSET16) => index.extend(0xffffu16.to_le_bytes()),
            (None, _) => index.extend(u32::MAX.to_le_bytes()),
            (Some(_), TYPE_SPARSE) => {
                index.extend((i as u16).to_le_bytes());
                index.extend(((at / 4) as u16).to_le_bytes());
            }
            (Some(_), TYPE_OFFSET16) => index.extend(((at / 4) as u16).to_le_bytes()),
            (Some(_), _) => index.extend(at.to_le_bytes()),
        }
        count += 1;
        let Some((key, kind, data)) = e else { continue };
        if compact {
            body.extend((*key as u16).to_le_bytes());
            body.extend((ENTRY_COMPACT | (u16::from(*kind) << 8)).to_le_bytes());
            body.extend(data.to_le_bytes());
        } else {
            body.extend(8u16.to_le_bytes());
            body.extend(0u16.to_le_bytes());
            body.extend(key.to_le_bytes());
            body.extend(8u16.to_le_bytes());
            body.push(0);
            body.push(*kind);
            body.extend(data.to_le_bytes());
        }
    }
    while index.len() % 4 != 0 {
        index.push(0);
    }
    let mut header = vec![type_id, flags, 0, 0];
    header.extend(count.to_le_bytes());
    let start = 8 + 12 + config.len() + index.len();
    header.extend((start as u32).to_le_bytes());
    header.extend(config);
    index.extend(body);
    chunk(chunk::TABLE_TYPE, &header, &index)
}

fn config(density: u16) -> Vec<u8> {
    let mut c = vec![0u8; 64];
    c[0] = 64;
    c[14..16].copy_from_slice(&density.to_le_bytes());
    c
}

/// A table of package 0x7f: types string (1) and drawable (2).
pub(crate) fn table() -> Vec<u8> {
    let types = strings::encode(&["string", "drawable", "bool"], true);
    let keys = strings::encode(
        &[
            "app_name", "loop_a", "loop_b", "alias", "icon", "flag", "num",
        ],
        true,
    );
    let mut header = 0x7fu32.to_le_bytes().to_vec();
    let mut name = [0u8; 256];
    for (i, c) in "com.x".encode_utf16().enumerate() {
        name[i * 2..i * 2 + 2].copy_from_slice(&c.to_le_bytes());
    }
    header.extend(name);
    let hs = 8 + 4 + 256 + 16;
    header.extend((hs as u32).to_le_bytes());
    header.extend(0u32.to_le_bytes());
    header.extend(((hs + types.len()) as u32).to_le_bytes());
    header.extend(0u32.to_le_bytes());
    let mut body = types;
    body.extend(keys);
    body.extend(type_chunk(
        1,
        &config(0),
        &[
            Some((0, value::TYPE_STRING, 0)),
            Some((1, value::TYPE_REFERENCE, 0x7f01_0002)),
            Some((2, value::TYPE_REFERENCE, 0x7f01_0001)),
            Some((3, value::TYPE_REFERENCE, 0x7f01_0000)),
        ],
    ));
    body.extend(type_chunk(
        2,
        &config(160),
        &[Some((4, value::TYPE_STRING, 1))],
    ));
    body.extend(type_chunk(
        2,
        &config(480),
        &[Some((4, value::TYPE_STRING, 2))],
    ));
    // Type 3 ("bool"): a sparse chunk, then an offset16 chunk of compact entries.
    let entries = [
        None,
        Some((5, value::TYPE_INT_BOOLEAN, 1)),
        None,
        Some((6, value::TYPE_INT_DEC, 7)),
    ];
    body.extend(type_chunk_with(3, &config(0), &entries, TYPE_SPARSE, false));
    body.extend(type_chunk_with(
        3,
        &config(240),
        &entries,
        TYPE_OFFSET16,
        true,
    ));
    let package = chunk(chunk::TABLE_PACKAGE, &header, &body);
    let mut t = strings::encode(&["My App", "res/a.png", "res/b.png"], false);
    t.extend(package);
    chunk(chunk::TABLE, &1u32.to_le_bytes(), &t)
}

#[test]
fn resolves_strings_files_and_cycles() {
    let d = table();
    let t = ResourceTable::parse(&d).unwrap();
    assert_eq!(t.packages()[0].name, "com.x");
    assert_eq!(t.string(0x7f01_0000).unwrap().as_deref(), Some("My App"));
    assert_eq!(t.string(0x7f01_0003).unwrap().as_deref(), Some("My App"));
    assert_eq!(t.name(0x7f01_0003).as_deref(), Some("string/alias"));
    assert!(t.string(0x7f01_0001).is_err());
    let icon = t.best(0x7f02_0000).unwrap().unwrap();
    assert_eq!(icon.simple().unwrap().as_str(), Some("res/b.png"));
    assert_eq!(t.configs(0x7f02_0000).unwrap().len(), 2);
    assert!(t.entries(0x7f01_0009).unwrap().is_empty());
    assert!(t.entries(0x0101_0000).unwrap().is_empty());
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn sparse_offset16_and_compact_entries() {
    let d = table();
    let t = ResourceTable::parse(&d).unwrap();
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let flag = t.entries(0x7f03_0001).unwrap();
    assert_eq!(flag.len(), 2);
    assert!(flag.iter().all(|e| e.key == "flag"));
    assert!(flag
        .iter()
        .all(|e| e.simple() == Some(&Value::Boolean(true))));
    assert_eq!(flag[1].raw, Some((value::TYPE_INT_BOOLEAN, 1)));
    assert_eq!(flag[1].config.density(), 240);
    let num = t.best(0x7f03_0003).unwrap().unwrap();
    assert_eq!(
        (num.key.as_str(), num.simple()),
        ("num", Some(&Value::IntDec(7)))
    );
    assert!(t.entries(0x7f03_0000).unwrap().is_empty());
    assert!(t.entries(0x7f03_0002).unwrap().is_empty());
    let mut seen = Vec::new();
    t.for_each_entry(|id, e| {
        if id >> 16 == 0x7f03 {
            seen.push((id, e.key.clone()));
        }
    })
    .unwrap();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen
        .iter()
        .all(|(id, k)| (*id == 0x7f03_0001) == (k == "flag")));
}

#[test]
fn refuses_hostile_tables() {
    assert!(ResourceTable::parse(&[]).is_err());
    assert!(ResourceTable::parse(&crate::res::axml::tests::doc(&["a"], &[], &[])).is_err());
    let good = table();
    for cut in [10, 40, 100, good.len() / 2, good.len() - 3] {
        if let Ok(t) = ResourceTable::parse(&good[..cut]) {
            let _ = t.string(0x7f01_0000);
            let _ = t.best(0x7f02_0000);
        }
    }
}
