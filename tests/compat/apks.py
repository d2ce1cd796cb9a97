"""Real Android packages for the MS tests, built with Debian's Android tools the way
`../shared/android/README.md` describes (smali for the code, aapt for the manifest and the
package, zipalign, apksigner with a key made by keytool), so the SDK suite scans what a
user would upload."""

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

FRAMEWORK_RES = "/usr/share/android-framework-res/framework-res.apk"

_KEYSTORE = None


def _run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, "%s failed:\n%s%s" % (" ".join(cmd), res.stdout, res.stderr)


def keystore():
    """The signing key of this test run (RSA 2048), made once."""
    global _KEYSTORE
    if _KEYSTORE is None:
        d = tempfile.mkdtemp(prefix="vigil-compat-ks-")
        ks = os.path.join(d, "test.jks")
        _run(["keytool", "-genkeypair", "-keystore", ks, "-storepass", "vigil-test",
              "-keypass", "vigil-test", "-alias", "test", "-keyalg", "RSA", "-keysize",
              "2048", "-validity", "10000", "-dname", "CN=Vigil Compat, O=Vigil"], d)
        _KEYSTORE = ks
    return _KEYSTORE


def manifest(package, label, app_attrs="", body="", permissions=()):
    perms = "".join('  <uses-permission android:name="%s"/>\n' % p for p in permissions)
    return """<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="%s"
    android:versionCode="3" android:versionName="2.0.1">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="28"/>
%s  <application android:label="%s" %s>
%s
  </application>
</manifest>
""" % (package, perms, label, app_attrs, body)


def string_class(name, value):
    """Smali of class `name` (`com/x/Y`) whose method returns the string `value`."""
    return (".class public L%s;\n.super Ljava/lang/Object;\n"
            ".method public static value()Ljava/lang/String;\n    .registers 1\n"
            "    const-string v0, \"%s\"\n    return-object v0\n.end method\n" % (name, value))


def build(out_dir, name, manifest_xml, classes=(), smali=None, files=None):
    """Build and sign an APK at out_dir/name.apk with these empty classes (`com/x/Y`), these
    classes given as smali text ({name: text}) and these extra files ({path: bytes});
    returns (path, md5, size)."""
    d = Path(tempfile.mkdtemp(prefix="vigil-compat-apk-"))
    (d / "AndroidManifest.xml").write_text(manifest_xml)
    sources = {c: ".class public L%s;\n.super Ljava/lang/Object;\n" % c for c in classes}
    sources.update(smali or {})
    if not sources:
        sources["com/example/Main"] = ".class public Lcom/example/Main;\n.super Ljava/lang/Object;\n"
    for c, text in sources.items():
        p = d / "smali" / (c + ".smali")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    _run(["smali", "assemble", "--api", "21", "-o", "classes.dex", "smali"], d)
    _run(["aapt", "package", "-f", "-M", "AndroidManifest.xml", "-I", FRAMEWORK_RES,
          "-F", "unsigned.apk"], d)
    _run(["aapt", "add", "unsigned.apk", "classes.dex"], d)
    for path, data in (files or {}).items():
        p = d / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        _run(["aapt", "add", "unsigned.apk", path], d)
    _run(["zipalign", "-f", "4", "unsigned.apk", "aligned.apk"], d)
    out = Path(out_dir) / (name + ".apk")
    _run(["apksigner", "sign", "--ks", keystore(), "--ks-pass", "pass:vigil-test",
          "--min-sdk-version", "21", "--out", str(out), "aligned.apk"], d)
    data = out.read_bytes()
    return out, hashlib.md5(data).hexdigest(), len(data)
