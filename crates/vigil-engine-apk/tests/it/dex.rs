//! The DEX reader against `dexdump`: classes written in smali (fields, static and virtual
//! methods, an interface, an inner class, native and abstract methods, calls to
//! `Runtime.exec`, strings with non-ASCII characters, a NUL and a surrogate pair, switch and
//! array payloads) are assembled by Debian's `smali`, and the header, classes, access flags,
//! fields, methods and each method's `method@` and `string@` references are compared with
//! what `dexdump -f -d` prints. Also: an APK's `classes.dex`, multidex, the checksum.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::apk::{build, manifest, reference, scratch, App};
use vigil_engine_apk::dex::{java_name, AccessFlags, Anomaly, Dex, DexSummary};

/// Assemble smali sources `(path, text)` into one DEX file's bytes.
pub fn assemble(tag: &str, sources: &[(&str, &str)]) -> Vec<u8> {
    let dir = scratch(tag);
    for (path, text) in sources {
        let p = dir.join("smali").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = Command::new("smali")
        .current_dir(&dir)
        .args(["assemble", "--api", "26", "-o", "classes.dex", "smali"])
        .output()
        .expect("smali (are Debian's Android tools installed?)");
    assert!(
        out.status.success(),
        "smali: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.join("classes.dex")).unwrap()
}

/// `dexdump` with `args` on `dex` (written to a scratch file).
pub fn dexdump(tag: &str, dex: &[u8], args: &[&str]) -> String {
    let path = scratch(tag).join("classes.dex");
    std::fs::write(&path, dex).unwrap();
    let mut all = args.to_vec();
    all.push(path.to_str().unwrap());
    reference("dexdump", &all)
}

pub const MAIN: &str = r#".class public final Lcom/example/Main;
.super Landroid/app/Activity;
.implements Ljava/lang/Runnable;
.implements Lcom/example/Api;
.source "Main.java"

.field private static final TAG:Ljava/lang/String; = "vigil"
.field public static counter:I
.field protected name:Ljava/lang/String;
.field private transient cache:[J

.method static constructor <clinit>()V
    .registers 1
    const/4 v0, 0x0
    sput v0, Lcom/example/Main;->counter:I
    return-void
.end method

.method public constructor <init>()V
    .registers 1
    invoke-direct {p0}, Landroid/app/Activity;-><init>()V
    return-void
.end method

.method public static shell(Ljava/lang/String;)Ljava/lang/Process;
    .registers 3
    invoke-static {}, Ljava/lang/Runtime;->getRuntime()Ljava/lang/Runtime;
    move-result-object v0
    const-string v1, "sh -c "
    invoke-virtual {v0, p0}, Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;
    move-result-object v0
    return-object v0
.end method

.method private native secret(I)J
.end method

.method public run()V
    .registers 6
    const-string v0, "h\u00e9llo\u0000w\u00f6rld \ud83d\ude00 \u4e2d\u6587"
    const-string/jumbo v1, "jumbo string"
    iget-object v2, p0, Lcom/example/Main;->name:Ljava/lang/String;
    new-instance v3, Ljava/lang/StringBuilder;
    invoke-direct {v3}, Ljava/lang/StringBuilder;-><init>()V
    invoke-virtual {v3, v0}, Ljava/lang/StringBuilder;->append(Ljava/lang/String;)Ljava/lang/StringBuilder;
    sget v4, Lcom/example/Main;->counter:I
    packed-switch v4, :switch
    const/4 v4, 0x3
    new-array v4, v4, [I
    fill-array-data v4, :array
    invoke-static {v2}, Lcom/example/Main;->shell(Ljava/lang/String;)Ljava/lang/Process;
    :ret
    return-void
    :case0
    const-string v0, "case zero"
    goto :ret
    :switch
    .packed-switch 0x0
        :case0
        :ret
    .end packed-switch
    :array
    .array-data 4
        0x1
        0x2
        0x3
    .end array-data
.end method

.method public call(Ljava/lang/Object;IJ[Ljava/lang/String;)Ljava/lang/Object;
    .registers 8
    invoke-static/range {p0 .. p0}, Lcom/example/Main$Inner;->make(Lcom/example/Main;)Lcom/example/Main$Inner;
    move-result-object v0
    return-object v0
.end method
"#;

pub const INNER: &str = r#".class Lcom/example/Main$Inner;
.super Ljava/lang/Object;
.source "Main.java"

.field final synthetic this$0:Lcom/example/Main;

.method constructor <init>(Lcom/example/Main;)V
    .registers 2
    iput-object p1, p0, Lcom/example/Main$Inner;->this$0:Lcom/example/Main;
    invoke-direct {p0}, Ljava/lang/Object;-><init>()V
    return-void
.end method

.method static make(Lcom/example/Main;)Lcom/example/Main$Inner;
    .registers 2
    new-instance v0, Lcom/example/Main$Inner;
    invoke-direct {v0, p0}, Lcom/example/Main$Inner;-><init>(Lcom/example/Main;)V
    return-object v0
.end method
"#;

pub const API: &str = r#".class public interface abstract Lcom/example/Api;
.super Ljava/lang/Object;

.method public abstract call(Ljava/lang/Object;IJ[Ljava/lang/String;)Ljava/lang/Object;
.end method
"#;

pub const WEB: &str = r#".class public Lcom/other/Web;
.super Ljava/lang/Object;

.method public static expose(Landroid/webkit/WebView;Ljava/lang/Object;)V
    .registers 3
    const-string v0, "bridge"
    invoke-virtual {p0, p1, v0}, Landroid/webkit/WebView;->addJavascriptInterface(Ljava/lang/Object;Ljava/lang/String;)V
    const-string v0, "AES/ECB/PKCS5Padding"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    return-void
.end method
"#;

/// The sample app's sources.
pub fn sample() -> Vec<(&'static str, &'static str)> {
    vec![
        ("com/example/Main.smali", MAIN),
        ("com/example/Main$Inner.smali", INNER),
        ("com/example/Api.smali", API),
        ("com/other/Web.smali", WEB),
    ]
}

/// A member (field or method) as `dexdump` prints it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct DumpMember {
    name: String,
    ty: String,
    access: u32,
    methods: BTreeSet<u32>,
    strings: BTreeSet<u32>,
    fields: BTreeSet<u32>,
    types: BTreeSet<u32>,
}

/// A class as `dexdump` prints it.
#[derive(Debug, Default, Clone)]
struct DumpClass {
    descriptor: String,
    access: u32,
    superclass: Option<String>,
    interfaces: Vec<String>,
    fields: Vec<DumpMember>,
    methods: Vec<DumpMember>,
}

fn strs(v: &[std::sync::Arc<str>]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn quoted(line: &str) -> String {
    let a = line.find('\'').unwrap();
    let b = line.rfind('\'').unwrap();
    line[a + 1..b].to_string()
}

fn hex_after(line: &str, marker: &str) -> Option<u32> {
    let at = line.find(marker)? + marker.len();
    let digits: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    u32::from_str_radix(&digits, 16).ok()
}

/// Parse `dexdump -d` output: classes, their members, and each method's references.
fn parse_dump(text: &str) -> Vec<DumpClass> {
    #[derive(PartialEq)]
    enum In {
        Head,
        Interfaces,
        Fields,
        Methods,
    }
    let mut classes: Vec<DumpClass> = Vec::new();
    let mut state = In::Head;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Class descriptor") {
            classes.push(DumpClass {
                descriptor: quoted(t),
                ..DumpClass::default()
            });
            state = In::Head;
            continue;
        }
        let Some(class) = classes.last_mut() else {
            continue;
        };
        if t.starts_with("Access flags") {
            class.access = hex_after(t, "0x").unwrap();
        } else if t.starts_with("Superclass") {
            class.superclass = Some(quoted(t));
        } else if t.starts_with("Interfaces") {
            state = In::Interfaces;
        } else if t.starts_with("Static fields") || t.starts_with("Instance fields") {
            state = In::Fields;
        } else if t.starts_with("Direct methods") || t.starts_with("Virtual methods") {
            state = In::Methods;
        } else if t.starts_with("source_file_idx") {
            state = In::Head;
        } else if t.starts_with('#') && state == In::Interfaces {
            class.interfaces.push(quoted(t));
        } else if t.starts_with('#') && t.contains("(in ") {
            let members = if state == In::Fields {
                &mut class.fields
            } else {
                &mut class.methods
            };
            members.push(DumpMember::default());
        } else if let Some(m) = match state {
            In::Fields => class.fields.last_mut(),
            In::Methods => class.methods.last_mut(),
            _ => None,
        } {
            if t.starts_with("name ") {
                m.name = quoted(t);
            } else if t.starts_with("type ") {
                m.ty = quoted(t);
            } else if t.starts_with("access ") {
                m.access = hex_after(t, "0x").unwrap();
            } else if t.contains('|') {
                if let Some(i) = hex_after(t, "// method@") {
                    m.methods.insert(i);
                }
                if let Some(i) = hex_after(t, "// string@") {
                    m.strings.insert(i);
                }
                if let Some(i) = hex_after(t, "// field@") {
                    m.fields.insert(i);
                }
                if let Some(i) = hex_after(t, "// type@") {
                    m.types.insert(i);
                }
            }
        }
    }
    classes
}

fn header_value(dump: &str, key: &str) -> String {
    dump.lines()
        .find(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
        .unwrap_or_else(|| panic!("{key} in {dump}"))
        .split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Compare everything `dexdump -f -d` says of `bytes` with the reader.
pub fn compare_with_dexdump(tag: &str, bytes: &[u8]) -> DexSummary {
    let dump = dexdump(tag, bytes, &["-f", "-d"]);
    let dex = Dex::parse(bytes).unwrap();
    assert_eq!(dex.anomalies(), &[], "{dump}");
    let h = dex.header();
    assert_eq!(
        format!("{:08x}", h.checksum),
        header_value(&dump, "checksum")
    );
    assert_eq!(
        header_value(&dump, "magic"),
        format!("'dex\\n{:03}\\0'", h.version)
    );
    for (key, value) in [
        ("file_size", h.file_size),
        ("header_size", h.header_size),
        ("string_ids_size", h.string_ids.size),
        ("string_ids_off", h.string_ids.offset),
        ("type_ids_size", h.type_ids.size),
        ("proto_ids_size", h.proto_ids.size),
        ("field_ids_size", h.field_ids.size),
        ("method_ids_size", h.method_ids.size),
        ("method_ids_off", h.method_ids.offset),
        ("class_defs_size", h.class_defs.size),
        ("class_defs_off", h.class_defs.offset),
        ("data_size", h.data.size),
        ("data_off", h.data.offset),
    ] {
        assert_eq!(header_value(&dump, key), value.to_string(), "{key}");
    }
    let summary = DexSummary::build(&dex).unwrap();
    assert_eq!(summary.errors, Vec::<String>::new());
    let classes = parse_dump(&dump);
    assert_eq!(
        classes
            .iter()
            .map(|c| c.descriptor.clone())
            .collect::<Vec<_>>(),
        summary
            .classes
            .iter()
            .map(|c| c.descriptor.to_string())
            .collect::<Vec<_>>()
    );
    for (d, c) in classes.iter().zip(&summary.classes) {
        assert_eq!(d.access, c.access.0, "{}", c.descriptor);
        assert_eq!(
            d.superclass.as_deref(),
            c.superclass.as_deref(),
            "{}",
            c.descriptor
        );
        assert_eq!(strs(&c.interfaces), d.interfaces, "{}", c.descriptor);
        let fields: Vec<_> = c
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.to_string(),
                    f.type_descriptor.to_string(),
                    f.access.0,
                )
            })
            .collect();
        let dump_fields: Vec<_> = d
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.ty.clone(), f.access))
            .collect();
        assert_eq!(fields, dump_fields, "{}", c.descriptor);
        assert_eq!(c.methods.len(), d.methods.len(), "{}", c.descriptor);
        for (dm, m) in d.methods.iter().zip(&c.methods) {
            let r = &summary.method_refs[m.method_idx as usize];
            assert_eq!(
                (dm.name.as_str(), dm.ty.clone(), dm.access),
                (&*m.name, r.signature(), m.access.0),
                "{}",
                c.descriptor
            );
            assert_eq!(r.class, c.descriptor);
            assert_eq!(
                dm.methods,
                m.invokes.iter().copied().collect::<BTreeSet<_>>(),
                "{}->{}",
                c.descriptor,
                m.name
            );
            for (dump, mine) in [
                (&dm.strings, &m.strings),
                (&dm.fields, &m.fields),
                (&dm.types, &m.types),
            ] {
                assert_eq!(
                    *dump,
                    mine.iter().copied().collect::<BTreeSet<_>>(),
                    "{}->{}",
                    c.descriptor,
                    m.name
                );
            }
        }
    }
    // Every field and type dexdump names in an instruction reads the same here.
    for line in dump.lines().filter(|l| l.contains("// field@")) {
        let f = &summary.field_refs[hex_after(line, "// field@").unwrap() as usize];
        let shown = format!("{}.{}:{}", f.class, f.name, f.type_descriptor);
        assert!(line.contains(&shown), "{shown} in {line}");
    }
    for line in dump.lines().filter(|l| l.contains("// type@")) {
        let t = &summary.types[hex_after(line, "// type@").unwrap() as usize];
        assert!(line.contains(&**t), "{t} in {line}");
    }
    // Every method reference dexdump names in an instruction reads the same here.
    for line in dump.lines().filter(|l| l.contains("// method@")) {
        let idx = hex_after(line, "// method@").unwrap() as usize;
        let r = &summary.method_refs[idx];
        let shown = format!("{}.{}:{}", r.class, r.name, r.signature());
        assert!(line.contains(&shown), "{shown} in {line}");
    }
    summary
}

#[test]
fn classes_methods_and_references_match_dexdump() {
    let bytes = assemble("dex-sample", &sample());
    let s = compare_with_dexdump("dex-sample-dump", &bytes);
    assert_eq!(s.classes.len(), 4);
    let main = s.class("Lcom/example/Main;").unwrap();
    assert_eq!(main.java_name(), "com.example.Main");
    assert!(main.access.has(AccessFlags::PUBLIC | AccessFlags::FINAL));
    assert_eq!(main.source_file.as_deref(), Some("Main.java"));
    assert_eq!(
        strs(&main.interfaces),
        ["Ljava/lang/Runnable;", "Lcom/example/Api;"]
    );
    let inner = s.class("Lcom/example/Main$Inner;").unwrap();
    assert_eq!(inner.java_name(), "com.example.Main$Inner");
    let api = s.class("Lcom/example/Api;").unwrap();
    assert!(api
        .access
        .has(AccessFlags::INTERFACE | AccessFlags::ABSTRACT));
    assert_eq!(api.methods[0].code_off, 0);
    let secret = main.methods.iter().find(|m| &*m.name == "secret").unwrap();
    assert!(secret.access.has(AccessFlags::NATIVE) && secret.code_off == 0);

    // The strings, decoded from MUTF-8.
    let odd = "h\u{e9}llo\0w\u{f6}rld \u{1f600} \u{4e2d}\u{6587}";
    assert!(s.strings.iter().any(|x| &**x == odd), "{:?}", s.strings);
    let run = main.methods.iter().find(|m| &*m.name == "run").unwrap();
    let run_strings: Vec<&str> = run
        .strings
        .iter()
        .map(|&i| &*s.strings[i as usize])
        .collect();
    assert_eq!(run_strings.len(), 3);
    for want in [odd, "jumbo string", "case zero"] {
        assert!(run_strings.contains(&want), "{run_strings:?}");
    }

    // The calls rules look for.
    let exec: Vec<String> = s
        .callers_of("Ljava/lang/Runtime;", "exec")
        .map(|(c, m)| format!("{}.{}", c.java_name(), m.name))
        .collect();
    assert_eq!(exec, ["com.example.Main.shell"]);
    let web: Vec<String> = s
        .callers_of("Landroid/webkit/WebView;", "addJavascriptInterface")
        .map(|(c, m)| format!("{}.{}", c.java_name(), m.name))
        .collect();
    assert_eq!(web, ["com.other.Web.expose"]);
    let counter: Vec<String> = s
        .users_of_field("Lcom/example/Main;", "counter")
        .map(|(c, m)| format!("{}.{}", c.java_name(), m.name))
        .collect();
    assert_eq!(
        counter,
        ["com.example.Main.<clinit>", "com.example.Main.run"]
    );
    let builders: Vec<String> = s
        .users_of_type("Ljava/lang/StringBuilder;")
        .map(|(c, m)| format!("{}.{}", c.java_name(), m.name))
        .collect();
    assert_eq!(builders, ["com.example.Main.run"]);
    let cipher = s.method_ref_indices("Ljavax/crypto/Cipher;", "getInstance");
    assert_eq!(
        s.method_refs[cipher[0] as usize].to_string(),
        "Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;"
    );

    // Lazy access agrees with the summary.
    let dex = Dex::parse(&bytes).unwrap();
    assert_eq!(dex.strings().count(), s.strings.len());
    for (i, t) in dex.types().enumerate() {
        let t = t.unwrap();
        assert!(s.strings.iter().any(|x| **x == *t), "type {i} {t}");
    }
    let first = dex.class_def(0).unwrap();
    assert_eq!(
        java_name(&dex.class_descriptor(&first).unwrap()),
        s.classes[0].java_name()
    );
    assert!(!dex.map().is_empty());
    assert!(dex.checksum_ok());
}

#[test]
fn an_apks_classes_dex_reads_like_dexdump_says() {
    let mut app = App::new(&manifest("com.example.dex", "", ""));
    app.smali = sample()
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let apk = build("dex-apk", &app);
    let out = Command::new("unzip")
        .args(["-p", apk.to_str().unwrap(), "classes.dex"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = compare_with_dexdump("dex-apk-dump", &out.stdout);
    assert_eq!(s.classes.len(), 4);
}

#[test]
fn multidex_files_read_each_on_their_own() {
    let first = assemble("dex-multi-1", &sample()[..2]);
    let second = assemble("dex-multi-2", &sample()[2..]);
    let a = compare_with_dexdump("dex-multi-1d", &first);
    let b = compare_with_dexdump("dex-multi-2d", &second);
    let names = |s: &DexSummary| {
        let mut v: Vec<_> = s.classes.iter().map(|c| c.java_name()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&a), ["com.example.Main", "com.example.Main$Inner"]);
    assert_eq!(names(&b), ["com.example.Api", "com.other.Web"]);
    // The second file's references to the first's classes are references, not definitions.
    assert!(b
        .method_refs
        .iter()
        .all(|m| &*m.class != "Lcom/example/Main;"));
    assert_eq!(
        vigil_engine_apk::dex::multidex_index("classes2.dex"),
        Some(2)
    );
}

#[test]
fn a_bad_checksum_is_an_anomaly_not_a_refusal() {
    let good = assemble("dex-checksum", &sample());
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&0u32.to_le_bytes());
    let dex = Dex::parse(&bad).unwrap();
    let stored = u32::from_le_bytes([good[8], good[9], good[10], good[11]]);
    assert_eq!(
        dex.anomalies(),
        &[Anomaly::ChecksumMismatch {
            stored: 0,
            computed: stored
        }]
    );
    assert!(!dex.checksum_ok());
    // dexdump says the same: "Bad checksum (<computed>, expected <stored>)".
    let path = scratch("dex-checksum-dump").join("classes.dex");
    std::fs::write(&path, &bad).unwrap();
    let out = Command::new("dexdump").arg(&path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Bad checksum ({stored:08x}, expected 00000000)")),
        "{text}"
    );
    // A changed byte past the header: both the checksum and the SHA-1 signature disagree.
    let mut changed = good.clone();
    let last = changed.len() - 1;
    changed[last] ^= 0x40;
    let dex = Dex::parse(&changed).unwrap();
    assert_eq!(dex.anomalies().len(), 2, "{:?}", dex.anomalies());
    assert!(dex.anomalies().contains(&Anomaly::SignatureMismatch));
    // Trailing bytes past file_size are noted and not read.
    let mut longer = good.clone();
    longer.extend_from_slice(b"trailer");
    let dex = Dex::parse(&longer).unwrap();
    assert_eq!(dex.data().len(), good.len());
    assert!(matches!(dex.anomalies(), [Anomaly::TrailingData { .. }]));
}
