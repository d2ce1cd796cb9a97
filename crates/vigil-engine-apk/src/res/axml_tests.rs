//! Unit tests of the binary XML reader over documents built by hand.

use super::*;
use crate::res::strings;

/// A chunk of `kind` with a header of `header` bytes (after the common 8) and `body`.
pub(crate) fn chunk(kind: u16, header: &[u8], body: &[u8]) -> Vec<u8> {
    let hs = 8 + header.len();
    let mut out = Vec::new();
    out.extend(kind.to_le_bytes());
    out.extend((hs as u16).to_le_bytes());
    out.extend(((hs + body.len()) as u32).to_le_bytes());
    out.extend(header);
    out.extend(body);
    out
}

fn le(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A start element `name` (string index) with attributes (ns, name, raw, type, data).
pub(crate) fn start(name: u32, attrs: &[(u32, u32, u32, u8, u32)]) -> Vec<u8> {
    let mut body = le(&[u32::MAX, name]);
    body.extend(20u16.to_le_bytes());
    body.extend(20u16.to_le_bytes());
    body.extend((attrs.len() as u16).to_le_bytes());
    body.extend([0; 6]);
    for (ns, n, raw, kind, data) in attrs {
        body.extend(le(&[*ns, *n, *raw]));
        body.extend(8u16.to_le_bytes());
        body.push(0);
        body.push(*kind);
        body.extend(data.to_le_bytes());
    }
    chunk(chunk::XML_START_ELEMENT, &le(&[1, u32::MAX]), &body)
}

pub(crate) fn end(name: u32) -> Vec<u8> {
    chunk(
        chunk::XML_END_ELEMENT,
        &le(&[1, u32::MAX]),
        &le(&[u32::MAX, name]),
    )
}

/// A document of `pool` strings, a resource map and `nodes`.
pub(crate) fn doc(pool: &[&str], map: &[u32], nodes: &[Vec<u8>]) -> Vec<u8> {
    let mut body = strings::encode(pool, true);
    if !map.is_empty() {
        body.extend(chunk(chunk::XML_RESOURCE_MAP, &[], &le(map)));
    }
    for n in nodes {
        body.extend(n);
    }
    chunk(chunk::XML, &[], &body)
}

fn sample() -> Vec<u8> {
    // 0: name (mapped to android:name), 1: ns uri, 2: manifest, 3: package, 4: com.x, 5: app
    let pool = [
        "zz", ANDROID_NS, "manifest", "package", "com.x", "app", "android",
    ];
    let ns = chunk(
        chunk::XML_START_NAMESPACE,
        &le(&[1, u32::MAX]),
        &le(&[6, 1]),
    );
    doc(
        &pool,
        &[0x0101_0003],
        &[
            ns,
            start(2, &[(u32::MAX, 3, 4, 3, 4), (1, 0, 5, 3, 5)]),
            start(5, &[(1, 0, u32::MAX, 0x12, u32::MAX)]),
            chunk(chunk::XML_CDATA, &le(&[1, u32::MAX]), &le(&[4, 0, 0])),
            end(5),
            end(2),
        ],
    )
}

#[test]
fn reads_elements_attributes_and_resource_ids() {
    let d = Document::parse(&sample()).unwrap();
    assert_eq!(d.root.name, "manifest");
    assert_eq!(d.prefix(ANDROID_NS), Some("android"));
    assert_eq!(d.root.plain("package").unwrap().string(), Some("com.x"));
    let name = d.root.android(0x0101_0003).unwrap();
    assert_eq!(name.name, "zz");
    assert_eq!(name.namespace.as_deref(), Some(ANDROID_NS));
    assert_eq!(name.string(), Some("app"));
    let app = d.root.elements().next().unwrap();
    assert_eq!(
        app.android(0x0101_0003).unwrap().value.as_bool(),
        Some(true)
    );
    assert_eq!(app.text(), "com.x");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn tolerates_what_android_tolerates() {
    let mut d = sample();
    // Outer type changed, unknown chunk inserted: still read.
    d[0] = 0x77;
    let pos = d.len() - end(2).len();
    let junk = chunk(0x0999, &[], &[1, 2, 3, 4]);
    d.splice(pos..pos, junk.iter().copied());
    let n = d.len() as u32;
    d[4..8].copy_from_slice(&(n + 1000).to_le_bytes());
    let doc = Document::parse(&d).unwrap();
    assert_eq!(doc.root.name, "manifest");
    assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
    // Cut in the middle of the last end tag: the tree is closed.
    let cut = &sample()[..sample().len() - 5];
    let doc = Document::parse(cut).unwrap();
    assert_eq!(doc.root.elements().count(), 1);
    assert!(!doc.warnings.is_empty());
}

#[test]
fn refuses_hostile_documents() {
    assert!(Document::parse(&[]).is_err());
    assert!(Document::parse(&[3, 0, 8, 0, 8, 0, 0, 0]).is_err());
    assert!(Document::parse(&doc(&["a"], &[], &[])).is_err());
    // Deep nesting.
    let mut nodes = vec![start(0, &[]); 300];
    nodes.extend(vec![end(0); 300]);
    let e = Document::parse(&doc(&["a"], &[], &nodes)).unwrap_err();
    assert!(matches!(e, ApkError::TooLarge { .. }), "{e}");
    // Too many nodes.
    let limits = Limits {
        max_nodes: 10,
        ..Limits::default()
    };
    let nodes = vec![start(0, &[]); 20];
    assert!(Document::parse_with(&doc(&["a"], &[], &nodes), limits).is_err());
    // An attribute count far past the chunk.
    let mut s = start(0, &[(u32::MAX, 0, 0, 3, 0)]);
    s[28..30].copy_from_slice(&2000u16.to_le_bytes());
    assert!(Document::parse(&doc(&["a"], &[], &[s])).is_err());
    // A bad element name.
    assert!(Document::parse(&doc(&["a"], &[], &[start(9, &[])])).is_err());
}
