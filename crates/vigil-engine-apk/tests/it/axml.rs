//! Binary XML read by Vigil compared with `aapt dump xmltree`: the whole tree (namespaces,
//! elements with their lines, attributes with resource ids, raw strings and typed values) is
//! rendered in aapt's format and must equal aapt's output, for framework-res's big manifest
//! and for built apps.

use std::path::Path;
use std::process::Command;

use vigil_engine_apk::res::axml::{Document, Element, Node};
use vigil_engine_apk::res::value::Value;

use crate::support::apk::{build, manifest, reference, App, FRAMEWORK_RES};

/// A member of an APK, by `unzip -p` (the zip reader is another module's).
pub fn member(apk: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(apk)
        .arg(name)
        .output()
        .expect("unzip");
    assert!(out.status.success(), "unzip -p {apk:?} {name}");
    out.stdout
}

/// aapt's escaping of strings in dumps.
fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Render `doc` as `aapt dump xmltree` does.
pub fn xmltree(doc: &Document) -> String {
    let mut out = String::new();
    let mut indent = 0;
    for ns in &doc.namespaces {
        out.push_str(&format!(
            "{}N: {}={}\n",
            "  ".repeat(indent),
            ns.prefix.as_deref().unwrap_or(""),
            ns.uri
        ));
        indent += 1;
    }
    element(doc, &doc.root, indent, &mut out);
    out
}

fn element(doc: &Document, e: &Element, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    out.push_str(&format!("{pad}E: {} (line={})\n", e.name, e.line));
    for a in &e.attributes {
        let prefix = a
            .namespace
            .as_deref()
            .map(|ns| format!("{}:", doc.prefix(ns).unwrap_or(ns)))
            .unwrap_or_default();
        let id = a
            .resource_id
            .map(|id| format!("(0x{id:08x})"))
            .unwrap_or_default();
        let value = match &a.value {
            Value::String(Some(s)) => format!(
                "\"{}\" (Raw: \"{}\")",
                escape(s),
                escape(a.raw.as_deref().unwrap_or(""))
            ),
            v => {
                let v = match v {
                    Value::Reference(_) | Value::Attribute(_) => v.to_string(),
                    _ => format!("(type 0x{:x})0x{:x}", a.data_type, a.data),
                };
                match &a.raw {
                    Some(raw) => format!("{v} (Raw: \"{}\")", escape(raw)),
                    None => v,
                }
            }
        };
        out.push_str(&format!("{pad}  A: {prefix}{}{id}={value}\n", a.name));
    }
    for c in &e.children {
        match c {
            Node::Element(c) => element(doc, c, indent + 1, out),
            Node::Text(t) => out.push_str(&format!("{pad}  C: \"{}\"\n", escape(t))),
        }
    }
}

/// Compare Vigil's rendering of `name` in `apk` with aapt's.
pub fn same_as_aapt(apk: &Path, name: &str) -> Document {
    let doc = Document::parse(&member(apk, name)).unwrap();
    let ours = xmltree(&doc);
    let theirs = reference("aapt", &["dump", "xmltree", apk.to_str().unwrap(), name]);
    let (o, t): (Vec<_>, Vec<_>) = (ours.lines().collect(), theirs.lines().collect());
    for (i, (a, b)) in o.iter().zip(&t).enumerate() {
        assert_eq!(a, b, "line {} of {name} differs", i + 1);
    }
    assert_eq!(o.len(), t.len(), "{name}: line counts differ");
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    doc
}

#[test]
fn framework_manifest_is_read_as_aapt_reads_it() {
    let doc = same_as_aapt(Path::new(FRAMEWORK_RES), "AndroidManifest.xml");
    assert_eq!(doc.root.name, "manifest");
    assert!(doc.root.children_named("permission").count() > 400);
}

#[test]
fn built_manifest_is_read_as_aapt_reads_it() {
    let mut app = App::new(&manifest(
        "com.example.tree",
        r#"android:debuggable="true" android:allowBackup="false""#,
        crate::manifest::COMPONENTS,
    ));
    crate::manifest::resources(&mut app);
    app.res.push((
        "values/more.xml".into(),
        br##"<resources><string name="quoted">Tree "quoted"</string><dimen name="d">16dp</dimen><color name="c">#ff00ff00</color></resources>"##.to_vec(),
    ));
    app.res.push((
        "xml/prefs.xml".into(),
        br##"<?xml version="1.0" encoding="utf-8"?>
<PreferenceScreen xmlns:android="http://schemas.android.com/apk/res/android">
  <EditTextPreference android:key="k" android:title="@string/quoted" android:defaultValue="1.5"
      android:layout_width="@dimen/d" android:layout_height="10sp" android:alpha="0.5"
      android:textColor="#ff112233" android:maxLines="3" android:enabled="false" />
  <Other foo="bar">text here</Other>
</PreferenceScreen>
"##
        .to_vec(),
    ));
    let apk = build("axml-tree", &app);
    same_as_aapt(&apk, "AndroidManifest.xml");
    same_as_aapt(&apk, "res/xml/prefs.xml");
}
