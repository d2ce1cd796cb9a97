//! Java archives (`.jar`, `.war`, `.ear`, `.par`, `.sar`, `.jpi`, `.hpi`): the Maven
//! coordinates recorded inside them, and the archives nested in them.
//!
//! Every `META-INF/maven/GROUP/ARTIFACT/pom.properties` of an archive is a package (a shaded
//! jar records the artifacts it absorbed this way, and those are real code). An archive without
//! any falls back to `META-INF/MANIFEST.MF` (main section: `Implementation-Version`,
//! `Bundle-Version` or `Specification-Version`; `Implementation-Vendor-Id` as the group), with
//! the file name (`NAME-VERSION.jar`) for what the manifest lacks; without a version nothing is
//! reported. Archives inside an archive (any member with one of the extensions:
//! `WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, an ear's `lib/*.jar` and modules) are read the same
//! way, down to [`MAX_DEPTH`] levels, and reported at `OUTER!/INNER` paths.
//!
//! Bounds, so zip bombs fail cleanly: at most [`MAX_ENTRIES`] entries per archive (checked on
//! the ZIP64 end record before the central directory is read), [`MAX_METADATA_BYTES`] of one
//! pom.properties or manifest, [`MAX_NESTED_BYTES`] of one nested archive and
//! [`MAX_TOTAL_BYTES`] decompressed in all for one outer archive; what passes a bound is
//! skipped with a note. Only stored and deflated members are read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Seek};

/// File name extensions of Java archives (compared case-insensitively).
pub const EXTENSIONS: [&str; 7] = ["jar", "war", "ear", "par", "sar", "jpi", "hpi"];
/// Archive levels read: the file itself is level 1.
pub const MAX_DEPTH: usize = 3;
/// Most entries of one archive.
pub const MAX_ENTRIES: u64 = 200_000;
/// Largest pom.properties or MANIFEST.MF read (decompressed).
pub const MAX_METADATA_BYTES: u64 = 1 << 20;
/// Largest nested archive read (decompressed).
pub const MAX_NESTED_BYTES: u64 = 64 << 20;
/// Bytes decompressed in all for one outer archive.
pub const MAX_TOTAL_BYTES: u64 = 256 << 20;
/// Most pom.properties files read from one archive.
pub const MAX_POM_PROPERTIES: usize = 10_000;

/// Whether `path` names a Java archive.
pub fn is_java_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
    })
}

/// Where a package's coordinates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `META-INF/maven/…/pom.properties`.
    PomProperties,
    /// `META-INF/MANIFEST.MF` (with the file name for a missing name).
    Manifest,
    /// The file name alone (`NAME-VERSION.jar`).
    FileName,
}

/// A package found in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaPackage {
    /// `groupId`, when known.
    pub group: Option<String>,
    /// `artifactId`.
    pub artifact: String,
    /// `version`.
    pub version: String,
    /// The nested archive it was found in, relative to the outer file (`WEB-INF/lib/a.jar`,
    /// levels joined with `!/`); empty for the outer file itself.
    pub inner: String,
    /// Where the coordinates came from.
    pub origin: Origin,
}

/// What reading one archive found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveScan {
    /// Packages, outer archive first, then nested ones in entry order.
    pub packages: Vec<JavaPackage>,
    /// What could not be read, and why.
    pub notes: Vec<String>,
}

/// Reads an archive's packages. `file_name` is its name (for the file-name fallback).
pub fn scan(data: &[u8], file_name: &str) -> ArchiveScan {
    let mut out = ArchiveScan::default();
    let mut budget = MAX_TOTAL_BYTES;
    scan_level(
        Cursor::new(data),
        zip64_entry_claim(data),
        file_name,
        "",
        1,
        &mut budget,
        &mut out,
    );
    out
}

/// [`scan`] for an archive in a file (too large to hold in memory): its central directory is
/// read from the end, members from where it says.
pub fn scan_file(mut file: std::fs::File, file_name: &str) -> ArchiveScan {
    let mut out = ArchiveScan::default();
    let claim = match zip64_entry_claim_in(&mut file) {
        Ok(c) => c,
        Err(e) => {
            out.notes.push(format!("archive: cannot read ({e})"));
            return out;
        }
    };
    if let Err(e) = file.rewind() {
        out.notes.push(format!("archive: cannot read ({e})"));
        return out;
    }
    let mut budget = MAX_TOTAL_BYTES;
    let reader = std::io::BufReader::new(file);
    scan_level(reader, claim, file_name, "", 1, &mut budget, &mut out);
    out
}

fn scan_level<R: Read + Seek>(
    reader: R,
    zip64_claim: Option<u64>,
    file_name: &str,
    inner: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut ArchiveScan,
) {
    let here = if inner.is_empty() { "archive" } else { inner };
    if let Some(n) = zip64_claim.filter(|&n| n > MAX_ENTRIES) {
        out.notes.push(format!(
            "{here}: claims {n} entries (limit {MAX_ENTRIES}); not read"
        ));
        return;
    }
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => {
            out.notes.push(format!("{here}: not a readable zip ({e})"));
            return;
        }
    };
    if zip.len() as u64 > MAX_ENTRIES {
        out.notes.push(format!(
            "{here}: {} entries (limit {MAX_ENTRIES}); not read",
            zip.len()
        ));
        return;
    }
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len() {
        let Some(name) = zip.name_for_index(i) else {
            continue;
        };
        if is_pom_properties(name) {
            poms.push(i);
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest.get_or_insert(i);
        } else if is_java_archive(name) && !name.ends_with('/') {
            nested.push(i);
        }
    }
    let mut found = BTreeSet::new();
    for &i in poms.iter().take(MAX_POM_PROPERTIES) {
        match read_member(&mut zip, i, MAX_METADATA_BYTES, budget) {
            Ok(bytes) => {
                if let Some((group, artifact, version)) = pom_coordinates(&parse_properties(&bytes))
                {
                    if found.insert((group.clone(), artifact.clone(), version.clone())) {
                        out.packages.push(JavaPackage {
                            group: Some(group),
                            artifact,
                            version,
                            inner: inner.to_string(),
                            origin: Origin::PomProperties,
                        });
                    }
                }
            }
            Err(e) => out.notes.push(format!("{here}: pom.properties #{i}: {e}")),
        }
    }
    if poms.len() > MAX_POM_PROPERTIES {
        out.notes.push(format!(
            "{here}: {} pom.properties, only {MAX_POM_PROPERTIES} read",
            poms.len()
        ));
    }
    // An archive whose pom.properties all belong to other artifacts (dependencies shaded
    // into it, e.g. cglib inside guice) is a package of its own too, named by its manifest and
    // file name.
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let (file_artifact, _) = split_file_name(stem);
    let owned = out.packages.iter().any(|p| {
        p.inner == inner
            && p.origin == Origin::PomProperties
            && (p.artifact == file_artifact || stem.starts_with(&p.artifact))
    });
    if !owned {
        let attrs = match manifest {
            Some(i) => match read_member(&mut zip, i, MAX_METADATA_BYTES, budget) {
                Ok(bytes) => parse_manifest(&bytes),
                Err(e) => {
                    out.notes.push(format!("{here}: MANIFEST.MF: {e}"));
                    BTreeMap::new()
                }
            },
            None => BTreeMap::new(),
        };
        if let Some(p) = from_manifest(&attrs, file_name, inner) {
            let again = out
                .packages
                .iter()
                .any(|q| q.inner == inner && q.artifact == p.artifact && q.version == p.version);
            if !again {
                out.packages.push(p);
            }
        }
    }
    if depth >= MAX_DEPTH {
        if !nested.is_empty() {
            out.notes.push(format!(
                "{here}: {} nested archives below depth {MAX_DEPTH} not read",
                nested.len()
            ));
        }
        return;
    }
    for i in nested {
        let Some(name) = zip.name_for_index(i).map(str::to_string) else {
            continue;
        };
        let path = if inner.is_empty() {
            name.clone()
        } else {
            format!("{inner}!/{name}")
        };
        match read_member(&mut zip, i, MAX_NESTED_BYTES, budget) {
            Ok(bytes) => {
                let base = name.rsplit('/').next().unwrap_or(&name).to_string();
                let claim = zip64_entry_claim(&bytes);
                scan_level(
                    Cursor::new(&bytes[..]),
                    claim,
                    &base,
                    &path,
                    depth + 1,
                    budget,
                    out,
                );
            }
            Err(e) => out.notes.push(format!("{path}: {e}")),
        }
    }
}

/// Reads member `i`, failing past `cap` bytes or the remaining budget.
fn read_member<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    i: usize,
    cap: u64,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    let limit = cap.min(*budget);
    let file = zip.by_index(i).map_err(|e| e.to_string())?;
    if file.encrypted() {
        return Err("encrypted".into());
    }
    let mut data = Vec::new();
    let result = file.take(limit + 1).read_to_end(&mut data);
    *budget = budget.saturating_sub(data.len() as u64);
    result.map_err(|e| e.to_string())?;
    if data.len() as u64 > limit {
        return Err(if limit < cap {
            format!("decompression budget of {MAX_TOTAL_BYTES} bytes exhausted")
        } else {
            format!("larger than {cap} bytes decompressed")
        });
    }
    Ok(data)
}

/// The largest entry count any ZIP64 end-of-central-directory record in `data` claims (the
/// zip reader reserves memory by that count, so it is checked first).
fn zip64_entry_claim(data: &[u8]) -> Option<u64> {
    const SIG: &[u8; 4] = b"PK\x06\x06";
    let mut max = None;
    let mut at = 0;
    while let Some(pos) = data
        .get(at..)
        .and_then(|rest| rest.windows(4).position(|w| w == SIG))
    {
        let start = at + pos;
        if let Some(rec) = data.get(start..start + 56) {
            for range in [24..32, 32..40] {
                let n = u64::from_le_bytes(rec[range].try_into().unwrap_or([0; 8]));
                max = Some(max.map_or(n, |m: u64| m.max(n)));
            }
        }
        at = start + 4;
    }
    max
}

/// [`zip64_entry_claim`] over a whole stream, read in chunks that overlap by one record.
fn zip64_entry_claim_in(r: &mut impl Read) -> std::io::Result<Option<u64>> {
    const RECORD: usize = 56;
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0;
    let mut max = None;
    loop {
        let n = match r.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        if n == 0 || filled == buf.len() {
            if let Some(c) = zip64_entry_claim(&buf[..filled]) {
                max = Some(max.map_or(c, |m: u64| m.max(c)));
            }
            if n == 0 {
                return Ok(max);
            }
            // A record cut at the end is read whole in the next window.
            let keep = RECORD - 1;
            buf.copy_within(filled - keep..filled, 0);
            filled = keep;
        }
    }
}

/// `META-INF/maven/GROUP/ARTIFACT/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(parts.as_slice(), ["META-INF", "maven", g, a, "pom.properties"] if !g.is_empty() && !a.is_empty())
}

fn pom_coordinates(props: &BTreeMap<String, String>) -> Option<(String, String, String)> {
    let get = |k: &str| props.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    Some((
        get("groupId")?.to_string(),
        get("artifactId")?.to_string(),
        get("version")?.to_string(),
    ))
}

/// Most keys kept from one properties file or manifest section.
const MAX_KEYS: usize = 10_000;

/// Parses a Java `.properties` file (ISO 8859-1 or UTF-8; `#`/`!` comments, `=`, `:` or
/// whitespace separators, backslash line continuations and escapes including `\uXXXX`).
pub fn parse_properties(data: &[u8]) -> BTreeMap<String, String> {
    let text = match std::str::from_utf8(data) {
        Ok(t) => t.to_string(),
        Err(_) => data.iter().map(|&b| char::from(b)).collect(),
    };
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    while let Some(first) = lines.next() {
        logical.clear();
        let mut line = first.trim_start_matches([' ', '\t', '\x0c']);
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        loop {
            let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
            if trailing % 2 == 1 {
                logical.push_str(&line[..line.len() - 1]);
                match lines.next() {
                    Some(next) => line = next.trim_start_matches([' ', '\t', '\x0c']),
                    None => break,
                }
            } else {
                logical.push_str(line);
                break;
            }
        }
        if logical.is_empty() || out.len() >= MAX_KEYS {
            continue;
        }
        let (key, value) = split_property(&logical);
        out.insert(key, value);
    }
    out
}

fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(e) = unescape(&mut chars) {
                    key.push(e);
                }
            }
            '=' | ':' => break,
            ' ' | '\t' | '\x0c' => {
                // Whitespace ends the key; one `=` or `:` may follow it.
                while chars
                    .peek()
                    .is_some_and(|c| matches!(c, ' ' | '\t' | '\x0c'))
                {
                    chars.next();
                }
                if chars.peek().is_some_and(|c| matches!(c, '=' | ':')) {
                    chars.next();
                }
                break;
            }
            c => key.push(c),
        }
    }
    while chars
        .peek()
        .is_some_and(|c| matches!(c, ' ' | '\t' | '\x0c'))
    {
        chars.next();
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = unescape(&mut chars) {
                value.push(e);
            }
        } else {
            value.push(c);
        }
    }
    (key, value)
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    Some(match chars.next()? {
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'f' => '\x0c',
        'u' => {
            let hex: String = (0..4).filter_map(|_| chars.next()).collect();
            u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or(char::REPLACEMENT_CHARACTER)
        }
        c => c,
    })
}

/// Parses the main section of a `MANIFEST.MF` (up to the first blank line): `Name: value`
/// lines, continuation lines starting with one space. Keys are returned lowercased (manifest
/// attribute names are case-insensitive).
pub fn parse_manifest(data: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(data);
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    loop {
        let line = lines.next();
        if let Some(cont) = line.and_then(|l| l.strip_prefix(' ')) {
            if let Some((_, v)) = current.as_mut() {
                if v.len() + cont.len() <= MAX_METADATA_BYTES as usize {
                    v.push_str(cont);
                }
            }
            continue;
        }
        if let Some((k, v)) = current.take() {
            if out.len() < MAX_KEYS {
                out.entry(k).or_insert(v);
            }
        }
        let Some(line) = line else { break };
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if !k.is_empty() {
                current = Some((
                    k.to_ascii_lowercase(),
                    v.strip_prefix(' ').unwrap_or(v).to_string(),
                ));
            }
        }
    }
    out
}

/// `NAME-VERSION` → (`NAME`, `VERSION`) at the first `-` followed by a digit.
pub fn split_file_name(stem: &str) -> (String, Option<String>) {
    let bytes = stem.as_bytes();
    for (i, w) in bytes.windows(2).enumerate() {
        if w[0] == b'-' && w[1].is_ascii_digit() && i > 0 {
            return (stem[..i].to_string(), Some(stem[i + 1..].to_string()));
        }
    }
    (stem.to_string(), None)
}

/// A package from manifest attributes (lowercased keys) and the archive's file name.
pub fn from_manifest(
    attrs: &BTreeMap<String, String>,
    file_name: &str,
    inner: &str,
) -> Option<JavaPackage> {
    let get = |k: &str| {
        attrs
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
    };
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let (file_artifact, file_version) = split_file_name(stem);
    let manifest_version = get("implementation-version")
        .or_else(|| get("bundle-version"))
        .or_else(|| get("specification-version"))
        .map(str::to_string);
    let origin = if manifest_version.is_some() {
        Origin::Manifest
    } else {
        Origin::FileName
    };
    let version = manifest_version.or(file_version.clone())?;
    let artifact = if file_version.is_some() {
        file_artifact
    } else {
        get("implementation-title")
            .or_else(|| get("bundle-symbolicname").map(|s| s.split(';').next().unwrap_or(s)))
            .map(str::to_string)
            .unwrap_or(file_artifact)
    };
    if artifact.is_empty() {
        return None;
    }
    let group = get("implementation-vendor-id")
        .filter(|g| g.contains('.'))
        .map(str::to_string);
    Some(JavaPackage {
        group,
        artifact,
        version,
        inner: inner.to_string(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn names_and_splits() {
        assert!(is_java_archive("/opt/app/lib/log4j-core-2.14.1.jar"));
        assert!(is_java_archive("/srv/app.WAR"));
        assert!(!is_java_archive("/srv/.jar"));
        assert!(!is_java_archive("/srv/jar"));
        assert_eq!(
            split_file_name("guava-31.1-jre"),
            ("guava".into(), Some("31.1-jre".into()))
        );
        assert_eq!(split_file_name("gettext"), ("gettext".into(), None));
        assert_eq!(split_file_name("-1"), ("-1".into(), None));
    }

    #[test]
    fn properties_syntax() {
        let p = parse_properties(
            b"#Generated by Maven\n! other\ngroupId=org.apache\nartifactId : commons-io\n\
version 2.\\\n   11.0\nkey\\ with\\ space=a\\u0041\\tb\n",
        );
        assert_eq!(p["groupId"], "org.apache");
        assert_eq!(p["artifactId"], "commons-io");
        assert_eq!(p["version"], "2.11.0");
        assert_eq!(p["key with space"], "aA\tb");
        assert!(!p.contains_key("#Generated"));
    }

    #[test]
    fn manifest_syntax() {
        let m = parse_manifest(
            b"Manifest-Version: 1.0\r\nBundle-Description: Guice is a lightweight framewor\r\n k for Java\r\n\
Implementation-Version: 4.2.3\r\n\r\nName: foo/\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(
            m["bundle-description"],
            "Guice is a lightweight framework for Java"
        );
        assert_eq!(m["implementation-version"], "4.2.3");
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn pom_properties_manifest_and_file_name() {
        let pom = zip_of(&[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nImplementation-Version: 9\n",
            ),
            (
                "META-INF/maven/org.example/a/pom.properties",
                b"groupId=org.example\nartifactId=a\nversion=1.0\n",
            ),
            (
                "META-INF/maven/org.shaded/b/pom.properties",
                b"groupId=org.shaded\nartifactId=b\nversion=2.0\n",
            ),
        ]);
        let s = scan(&pom, "a-1.0.jar");
        let got: Vec<_> = s
            .packages
            .iter()
            .map(|p| {
                (
                    p.group.clone().unwrap(),
                    p.artifact.as_str(),
                    p.version.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("org.example".into(), "a", "1.0"),
                ("org.shaded".into(), "b", "2.0")
            ]
        );
        // The same archive under another name: its pom.properties are all shaded
        // dependencies, so the archive is a package of its own, from its manifest and name.
        let s = scan(&pom, "guice-4.2.jar");
        let got: Vec<_> = s
            .packages
            .iter()
            .map(|p| (p.artifact.as_str(), p.version.as_str(), p.origin))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", "1.0", Origin::PomProperties),
                ("b", "2.0", Origin::PomProperties),
                ("guice", "9", Origin::Manifest)
            ]
        );
        let mf = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: mylib\nImplementation-Version: 3.1\nImplementation-Vendor-Id: com.example\n",
        )]);
        let s = scan(&mf, "mylib.jar");
        assert_eq!(s.packages[0].artifact, "mylib");
        assert_eq!(s.packages[0].group.as_deref(), Some("com.example"));
        assert_eq!(s.packages[0].origin, Origin::Manifest);
        let bare = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")]);
        let s = scan(&bare, "aopalliance-1.0.jar");
        assert_eq!(
            (
                s.packages[0].artifact.as_str(),
                s.packages[0].version.as_str(),
                s.packages[0].origin
            ),
            ("aopalliance", "1.0", Origin::FileName)
        );
        assert!(scan(&bare, "gettext.jar").packages.is_empty());
        let s = scan(b"not a zip", "x.jar");
        assert!(s.packages.is_empty() && s.notes.len() == 1);
    }

    #[test]
    fn zip64_claims() {
        let mut data = vec![0u8; 10];
        data.extend_from_slice(b"PK\x06\x06");
        let mut rec = vec![0u8; 52];
        rec[20..28].copy_from_slice(&u64::MAX.to_le_bytes());
        data.extend_from_slice(&rec);
        assert_eq!(zip64_entry_claim(&data), Some(u64::MAX));
        let s = scan(&data, "x.jar");
        assert!(s.notes[0].contains("claims"), "{:?}", s.notes);
        assert_eq!(zip64_entry_claim(b"PK\x06\x06"), None);
        // Streamed: a record astride the window boundary is still seen, and only a whole one.
        for at in [(1 << 20) - 30, (1 << 20) - 4, (1 << 20) - 56, (1 << 20) + 3] {
            let mut big = vec![0u8; at];
            big.extend_from_slice(&data[10..]);
            big.extend_from_slice(&[0u8; 100]);
            let got = zip64_entry_claim_in(&mut Cursor::new(&big)).unwrap();
            assert_eq!(got, Some(u64::MAX), "record at {at}");
            let cut = &big[..at + 40];
            assert_eq!(zip64_entry_claim_in(&mut Cursor::new(cut)).unwrap(), None);
        }
    }

    #[test]
    fn archives_in_files_read_like_archives_in_memory() {
        let inner = zip_of(&[(
            "META-INF/maven/org.example/inner/pom.properties",
            b"groupId=org.example\nartifactId=inner\nversion=2.0\n",
        )]);
        let outer = zip_of(&[
            (
                "META-INF/maven/org.example/app/pom.properties",
                b"groupId=org.example\nartifactId=app\nversion=1.0\n",
            ),
            ("BOOT-INF/lib/inner-2.0.jar", &inner),
        ]);
        let path = std::env::temp_dir().join(format!("vigil-java-{}.jar", std::process::id()));
        std::fs::write(&path, &outer).unwrap();
        let from_file = scan_file(std::fs::File::open(&path).unwrap(), "app.jar");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file, scan(&outer, "app.jar"));
        assert_eq!(from_file.packages.len(), 2);
        assert_eq!(from_file.packages[1].inner, "BOOT-INF/lib/inner-2.0.jar");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = parse_manifest(&data);
            let _ = parse_properties(&data);
            let _ = scan(&data, "x-1.jar");
            let _ = split_file_name(&String::from_utf8_lossy(&data));
        }

        #[test]
        fn wrapped_manifests_round_trip(
            attrs in proptest::collection::btree_map("[A-Za-z][A-Za-z0-9-]{0,20}", "[ -~]{0,200}", 1..10),
            crlf in proptest::prelude::any::<bool>(),
        ) {
            // Written as the JDK writes manifests: lines of at most 72 bytes, continuations
            // starting with one space.
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            let mut want = BTreeMap::new();
            for (k, v) in &attrs {
                if want.contains_key(&k.to_ascii_lowercase()) {
                    continue;
                }
                want.insert(k.to_ascii_lowercase(), v.clone());
                let line = format!("{k}: {v}");
                let mut rest = line.as_str();
                let mut first = true;
                while !rest.is_empty() || first {
                    let take = rest.len().min(if first { 72 } else { 71 });
                    if !first {
                        text.push(' ');
                    }
                    text.push_str(&rest[..take]);
                    text.push_str(nl);
                    rest = &rest[take..];
                    first = false;
                }
            }
            text.push_str(nl);
            text.push_str("Name: section/\n");
            proptest::prop_assert_eq!(parse_manifest(text.as_bytes()), want);
        }
    }
}
