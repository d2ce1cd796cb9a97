//! The code rules for cryptography, storage, dynamic code, commands and logs over one app
//! whose own classes are in `classes.dex` and whose third-party class is in `classes2.dex`;
//! each vulnerable method has a safe twin beside it, and the app's WebView bridge is safe
//! because its minSdkVersion is 19.

use std::sync::OnceLock;

use crate::dex::assemble;
use crate::rules_code::{by_method, check_places, expect, hits};
use crate::support::apk::{build, manifest, App};

/// A static method `name` returning `ret` that gets `class`'s instance of `algorithm`.
fn get_instance(name: &str, class: &str, ret: &str, algorithm: &str) -> String {
    format!(
        r#".method public static {name}(){ret}
    .registers 1
    const-string v0, "{algorithm}"
    invoke-static {{v0}}, {class}->getInstance(Ljava/lang/String;){ret}
    move-result-object v0
    return-object v0
.end method
"#
    )
}

const CIPHER: &str = "Ljavax/crypto/Cipher;";
const DIGEST: &str = "Ljava/security/MessageDigest;";

/// The crypto class: ciphers, digests, keys and randomness.
fn crypto() -> String {
    let mut s =
        String::from(".class public Lcom/example/app/Crypto;\n.super Ljava/lang/Object;\n\n");
    for (name, alg) in [
        ("ecb", "AES/ECB/PKCS5Padding"),
        ("bareAes", "AES"),
        ("gcm", "AES/GCM/NoPadding"),
        ("rsa", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"),
        ("des", "DES/CBC/PKCS5Padding"),
        ("desEcb", "DESede/ECB/PKCS5Padding"),
        ("rc4", "RC4"),
    ] {
        s += &get_instance(name, CIPHER, CIPHER, alg);
    }
    for (name, alg) in [("md5", "MD5"), ("sha1", "SHA-1"), ("sha256", "SHA-256")] {
        s += &get_instance(name, DIGEST, DIGEST, alg);
    }
    s += CRYPTO_METHODS;
    s
}

const CRYPTO_METHODS: &str = r#"
.method public static hardKey()Ljavax/crypto/spec/SecretKeySpec;
    .registers 4
    const-string v0, "0123456789abcdef"
    invoke-virtual {v0}, Ljava/lang/String;->getBytes()[B
    move-result-object v1
    new-instance v2, Ljavax/crypto/spec/SecretKeySpec;
    const-string v3, "AES"
    invoke-direct {v2, v1, v3}, Ljavax/crypto/spec/SecretKeySpec;-><init>([BLjava/lang/String;)V
    return-object v2
.end method

.method public static hardIv()Ljavax/crypto/spec/IvParameterSpec;
    .registers 2
    const/16 v0, 0x10
    new-array v0, v0, [B
    fill-array-data v0, :data
    new-instance v1, Ljavax/crypto/spec/IvParameterSpec;
    invoke-direct {v1, v0}, Ljavax/crypto/spec/IvParameterSpec;-><init>([B)V
    return-object v1
    :data
    .array-data 1
        0x1t 0x2t 0x3t 0x4t 0x5t 0x6t 0x7t 0x8t 0x9t 0xat 0xbt 0xct 0xdt 0xet 0xft 0x10t
    .end array-data
.end method

.method public static randomKey()Ljavax/crypto/spec/SecretKeySpec;
    .registers 4
    const/16 v0, 0x10
    new-array v0, v0, [B
    new-instance v1, Ljava/security/SecureRandom;
    invoke-direct {v1}, Ljava/security/SecureRandom;-><init>()V
    invoke-virtual {v1, v0}, Ljava/security/SecureRandom;->nextBytes([B)V
    new-instance v2, Ljavax/crypto/spec/SecretKeySpec;
    const-string v3, "AES"
    invoke-direct {v2, v0, v3}, Ljavax/crypto/spec/SecretKeySpec;-><init>([BLjava/lang/String;)V
    return-object v2
.end method

.method public static weakRandom()I
    .registers 2
    new-instance v0, Ljava/util/Random;
    invoke-direct {v0}, Ljava/util/Random;-><init>()V
    invoke-virtual {v0}, Ljava/util/Random;->nextInt()I
    move-result v1
    return v1
.end method

.method public static seeded()Ljava/security/SecureRandom;
    .registers 3
    new-instance v0, Ljava/security/SecureRandom;
    invoke-direct {v0}, Ljava/security/SecureRandom;-><init>()V
    const-wide/16 v1, 0x2a
    invoke-virtual {v0, v1, v2}, Ljava/security/SecureRandom;->setSeed(J)V
    return-object v0
.end method

.method public static seededFromTime()Ljava/security/SecureRandom;
    .registers 3
    new-instance v0, Ljava/security/SecureRandom;
    invoke-direct {v0}, Ljava/security/SecureRandom;-><init>()V
    invoke-static {}, Ljava/lang/System;->currentTimeMillis()J
    move-result-wide v1
    invoke-virtual {v0, v1, v2}, Ljava/security/SecureRandom;->setSeed(J)V
    return-object v0
.end method
"#;

const DICE: &str = r#".class public Lcom/example/app/Dice;
.super Ljava/lang/Object;

.method public static roll()I
    .registers 2
    new-instance v0, Ljava/util/Random;
    invoke-direct {v0}, Ljava/util/Random;-><init>()V
    const/4 v1, 0x6
    invoke-virtual {v0, v1}, Ljava/util/Random;->nextInt(I)I
    move-result v1
    return v1
.end method
"#;

/// A static method `name(Context)` calling `call` (name and prototype) with `mode`.
fn mode_call(name: &str, call: &str, ret: &str, mode: u8) -> String {
    format!(
        r#".method public static {name}(Landroid/content/Context;){ret}
    .registers 3
    const-string v0, "data"
    const/4 v1, {mode:#x}
    invoke-virtual {{p0, v0, v1}}, Landroid/content/Context;->{call}{ret}
    move-result-object v0
    return-object v0
.end method
"#
    )
}

fn store() -> String {
    let out = "Ljava/io/FileOutputStream;";
    let prefs = "Landroid/content/SharedPreferences;";
    let mut s =
        String::from(".class public Lcom/example/app/Store;\n.super Ljava/lang/Object;\n\n");
    s += &mode_call(
        "worldReadable",
        "openFileOutput(Ljava/lang/String;I)",
        out,
        1,
    );
    s += &mode_call(
        "worldWriteable",
        "getSharedPreferences(Ljava/lang/String;I)",
        prefs,
        2,
    );
    s += &mode_call("privateFile", "openFileOutput(Ljava/lang/String;I)", out, 0);
    s += &mode_call(
        "privatePrefs",
        "getSharedPreferences(Ljava/lang/String;I)",
        prefs,
        0,
    );
    s += STORE_METHODS;
    s
}

const STORE_METHODS: &str = r#"
.method public static external()Ljava/io/File;
    .registers 1
    invoke-static {}, Landroid/os/Environment;->getExternalStorageDirectory()Ljava/io/File;
    move-result-object v0
    return-object v0
.end method

.method public static externalFiles(Landroid/content/Context;)Ljava/io/File;
    .registers 2
    const/4 v0, 0x0
    invoke-virtual {p0, v0}, Landroid/content/Context;->getExternalFilesDir(Ljava/lang/String;)Ljava/io/File;
    move-result-object v0
    return-object v0
.end method

.method public static internal(Landroid/content/Context;)Ljava/io/File;
    .registers 2
    invoke-virtual {p0}, Landroid/content/Context;->getFilesDir()Ljava/io/File;
    move-result-object v0
    return-object v0
.end method
"#;

const LOADER: &str = r#".class public Lcom/example/app/Loader;
.super Ljava/lang/Object;

.method public static loadPlugin(Landroid/content/Context;Ljava/lang/String;)Ljava/lang/ClassLoader;
    .registers 6
    new-instance v0, Ldalvik/system/DexClassLoader;
    const-string v1, "/sdcard/opt"
    const/4 v2, 0x0
    invoke-virtual {p0}, Landroid/content/Context;->getClassLoader()Ljava/lang/ClassLoader;
    move-result-object v3
    invoke-direct {v0, p1, v1, v2, v3}, Ldalvik/system/DexClassLoader;-><init>(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/ClassLoader;)V
    return-object v0
.end method

.method public static reflect(Ljava/lang/String;)Ljava/lang/reflect/Method;
    .registers 4
    invoke-static {p0}, Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;
    move-result-object v0
    const-string v1, "run"
    const/4 v2, 0x0
    new-array v2, v2, [Ljava/lang/Class;
    invoke-virtual {v0, v1, v2}, Ljava/lang/Class;->getMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;
    move-result-object v0
    return-object v0
.end method

.method public static shell()Ljava/lang/Process;
    .registers 2
    invoke-static {}, Ljava/lang/Runtime;->getRuntime()Ljava/lang/Runtime;
    move-result-object v0
    const-string v1, "id"
    invoke-virtual {v0, v1}, Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;
    move-result-object v0
    return-object v0
.end method

.method public static builder()Ljava/lang/Process;
    .registers 4
    const/4 v0, 0x1
    new-array v0, v0, [Ljava/lang/String;
    const/4 v1, 0x0
    const-string v2, "ls"
    aput-object v2, v0, v1
    new-instance v1, Ljava/lang/ProcessBuilder;
    invoke-direct {v1, v0}, Ljava/lang/ProcessBuilder;-><init>([Ljava/lang/String;)V
    invoke-virtual {v1}, Ljava/lang/ProcessBuilder;->start()Ljava/lang/Process;
    move-result-object v0
    return-object v0
.end method
"#;

/// A static method `name(String)` logging `text` and its argument under `tag`.
fn log_method(name: &str, tag: &str, text: &str) -> String {
    format!(
        r#"
.method public static {name}(Ljava/lang/String;)V
    .registers 3
    const-string v0, "{tag}"
    const-string v1, "{text}"
    invoke-virtual {{v1, p0}}, Ljava/lang/String;->concat(Ljava/lang/String;)Ljava/lang/String;
    move-result-object v1
    invoke-static {{v0, v1}}, Landroid/util/Log;->d(Ljava/lang/String;Ljava/lang/String;)I
    return-void
.end method
"#
    )
}

const BRIDGE: &str = r#".class public Lcom/example/app/Bridge;
.super Ljava/lang/Object;

.method public static expose(Landroid/webkit/WebView;Ljava/lang/Object;)V
    .registers 3
    const-string v0, "bridge"
    invoke-virtual {p0, p1, v0}, Landroid/webkit/WebView;->addJavascriptInterface(Ljava/lang/Object;Ljava/lang/String;)V
    return-void
.end method
"#;

const TRACKER: &str = r#".class public Lcom/thirdparty/sdk/Tracker;
.super Ljava/lang/Object;

.method public static legacy()Ljavax/crypto/Cipher;
    .registers 1
    const-string v0, "DES"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    move-result-object v0
    return-object v0
.end method
"#;

/// The app, built once: its classes in `classes.dex`, the tracker in `classes2.dex`.
fn crypto_apk() -> &'static [u8] {
    static APK: OnceLock<Vec<u8>> = OnceLock::new();
    APK.get_or_init(|| {
        let mut app = App::new(&manifest("com.example.app", "", ""));
        app.smali = vec![
            ("com/example/app/Crypto.smali".into(), crypto()),
            ("com/example/app/Dice.smali".into(), DICE.into()),
            ("com/example/app/Store.smali".into(), store()),
            (
                "com/example/app/Loader.smali".into(),
                [
                    LOADER,
                    &log_method("logSecret", "Auth", "user password: "),
                    &log_method("logPlain", "Loader", "plugin loaded: "),
                ]
                .concat(),
            ),
            ("com/example/app/Bridge.smali".into(), BRIDGE.into()),
        ];
        let second = assemble(
            "rules-code-tracker",
            &[("com/thirdparty/sdk/Tracker.smali", TRACKER)],
        );
        app.files.push(("classes2.dex".into(), second));
        std::fs::read(build("rules-code-crypto", &app)).expect("apk")
    })
}

#[test]
fn crypto_storage_and_runtime_rules_hit_the_vulnerable_methods_only() {
    let hits = hits(crypto_apk());
    check_places(&hits, |m| {
        if m.starts_with("Lcom/thirdparty/") {
            "classes2.dex"
        } else {
            "classes.dex"
        }
    });
    let c = |m: &str| format!("Lcom/example/app/Crypto;->{m}");
    let cipher = |m: &str| c(&format!("{m}(){CIPHER}"));
    let digest = |m: &str| c(&format!("{m}(){DIGEST}"));
    let st = |m: &str| format!("Lcom/example/app/Store;->{m}");
    let ld = |m: &str| format!("Lcom/example/app/Loader;->{m}");
    let ecb = "apk.code.cipher_ecb";
    let weak = "apk.code.cipher_weak_algorithm";
    let want = expect(&[
        (&cipher("ecb"), &[ecb]),
        (&cipher("bareAes"), &[ecb]),
        (&cipher("des"), &[weak]),
        (&cipher("desEcb"), &[ecb, weak]),
        (&cipher("rc4"), &[weak]),
        (&digest("md5"), &["apk.code.weak_hash"]),
        (&digest("sha1"), &["apk.code.weak_hash"]),
        (
            &c("hardKey()Ljavax/crypto/spec/SecretKeySpec;"),
            &["apk.code.hardcoded_key"],
        ),
        (
            &c("hardIv()Ljavax/crypto/spec/IvParameterSpec;"),
            &["apk.code.hardcoded_key"],
        ),
        (&c("weakRandom()I"), &["apk.code.insecure_random"]),
        (
            &c("seeded()Ljava/security/SecureRandom;"),
            &["apk.code.insecure_random"],
        ),
        (
            &st("worldReadable(Landroid/content/Context;)Ljava/io/FileOutputStream;"),
            &["apk.code.world_accessible_mode"],
        ),
        (
            &st("worldWriteable(Landroid/content/Context;)Landroid/content/SharedPreferences;"),
            &["apk.code.world_accessible_mode"],
        ),
        (
            &st("external()Ljava/io/File;"),
            &["apk.code.external_storage"],
        ),
        (
            &st("externalFiles(Landroid/content/Context;)Ljava/io/File;"),
            &["apk.code.external_storage"],
        ),
        (
            &ld("loadPlugin(Landroid/content/Context;Ljava/lang/String;)Ljava/lang/ClassLoader;"),
            &["apk.code.dynamic_code_loading"],
        ),
        (
            &ld("shell()Ljava/lang/Process;"),
            &["apk.code.command_execution"],
        ),
        (
            &ld("builder()Ljava/lang/Process;"),
            &["apk.code.command_execution"],
        ),
        (
            &ld("logSecret(Ljava/lang/String;)V"),
            &["apk.code.log_secrets"],
        ),
        (
            "Lcom/thirdparty/sdk/Tracker;->legacy()Ljavax/crypto/Cipher;",
            &[ecb, weak],
        ),
    ]);
    let got = by_method(&hits);
    assert_eq!(got, want);
    // The twins: GCM, RSA's "ECB", SHA-256, a random key, a time seed, Random without
    // cryptography, MODE_PRIVATE, internal storage, reflection, a plain log, and a bridge
    // on minSdkVersion 19.
    for twin in [
        cipher("gcm"),
        cipher("rsa"),
        digest("sha256"),
        c("randomKey()Ljavax/crypto/spec/SecretKeySpec;"),
        c("seededFromTime()Ljava/security/SecureRandom;"),
        "Lcom/example/app/Dice;->roll()I".into(),
        st("privateFile(Landroid/content/Context;)Ljava/io/FileOutputStream;"),
        st("privatePrefs(Landroid/content/Context;)Landroid/content/SharedPreferences;"),
        st("internal(Landroid/content/Context;)Ljava/io/File;"),
        ld("reflect(Ljava/lang/String;)Ljava/lang/reflect/Method;"),
        ld("logPlain(Ljava/lang/String;)V"),
        "Lcom/example/app/Bridge;->expose(Landroid/webkit/WebView;Ljava/lang/Object;)V".into(),
    ] {
        assert!(!got.contains_key(&twin), "{twin}");
    }
    let proof = |m: &str, id: &str| {
        hits.iter()
            .find(|h| h.place.code == m && h.rule.id == id)
            .map(|h| h.proof.clone())
            .unwrap_or_default()
    };
    assert!(proof(&cipher("bareAes"), ecb).contains("\"AES\" (no mode: ECB by default)"));
    assert!(proof(
        &c("hardKey()Ljavax/crypto/spec/SecretKeySpec;"),
        "apk.code.hardcoded_key"
    )
    .contains("\"0123456789abcdef\""));
    assert!(proof(
        &c("seeded()Ljava/security/SecureRandom;"),
        "apk.code.insecure_random"
    )
    .contains("the constant 42"));
    assert!(proof(
        &st("worldReadable(Landroid/content/Context;)Ljava/io/FileOutputStream;"),
        "apk.code.world_accessible_mode"
    )
    .contains("MODE_WORLD_READABLE"));
    assert!(proof(
        &ld("logSecret(Ljava/lang/String;)V"),
        "apk.code.log_secrets"
    )
    .contains("user password"));
}
