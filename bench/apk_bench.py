#!/usr/bin/env python3
"""Helper of bench/apk.sh: everything that is easier in Python than in bash.

  apk_bench.py smali DIR DEX CLASSES FIRST TOTAL   write CLASSES smali classes (numbered from FIRST, of
                                                   TOTAL in the app) for dex number DEX under DIR
  apk_bench.py manifest OUT PACKAGE COMPONENTS      an AndroidManifest.xml whose first COMPONENTS
                                                   classes (of dex 0) are activities, services,
                                                   receivers and providers, with 14 permissions
  apk_bench.py add-stored APK FILE...              add FILEs (by base name) to the zip APK, stored
  apk_bench.py androguard APK OUT.json [analyze]   the androguard side (run with the venv's python)
  apk_bench.py summary RESULTS_DIR                 compare the runs recorded in RESULTS_DIR, print the table

Generated classes (`Lcom/bench/dN/pP/CI;`, or 1 class in 20 under an ad/tracker SDK prefix):
a static secret-looking String field, an instance field, a constructor, `url()` returning a
per-class https URL, `name(I)` building a string with a StringBuilder, `next()` calling the next
class's `url()` and `Log.d`, and in 1 class in 50 one risky call (AES/ECB, MD5, Runtime.exec,
java.util.Random, a WebView with JavaScript on, world-readable prefs). About 1.3 KB of dex each.

The androguard side, default ("walk"): `APK(path)` (zip, binary manifest), package, version,
SDK levels, permissions, components, `get_app_name()` (resolved through resources.arsc),
`get_android_resources()`, `is_signed_v1/v2/v3()` and `get_certificates()`; then
`DEX(raw)` for every `get_all_dex()` (classes*.dex in load order): every class and method,
every instruction of every method decoded (`get_instructions()`: Vigil's code rules walk every
method's instructions too), `get_strings()`, `get_fields()`. "analyze": `androguard.misc.AnalyzeAPK`
(the same APK and DEX objects plus the whole cross-reference `Analysis`, what most users call).
"""
import json
import os
import re
import statistics
import sys
from collections import Counter

from timing import mib, report_runs, secs

# ---- generated sources -------------------------------------------------------------------------

SDK_PREFIXES = [  # (package path, what: in Vigil's built-in set and/or Exodus's database)
    "com/google/android/gms/ads/rewarded",
    "com/facebook/ads/internal",
    "com/umeng/analytics/pro",
    "com/bytedance/sdk/openadsdk/core",
    "com/qq/e/comm/plugin",
    "com/appsflyer/internal",
    "com/flurry/sdk",
    "io/branch/referral",
]

RISKY = [
    # AES in ECB mode
    """    const-string v0, "AES/ECB/PKCS5Padding"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    move-result-object v0
""",
    # MD5
    """    const-string v0, "MD5"
    invoke-static {v0}, Ljava/security/MessageDigest;->getInstance(Ljava/lang/String;)Ljava/security/MessageDigest;
    move-result-object v0
""",
    # Runtime.exec
    """    invoke-static {}, Ljava/lang/Runtime;->getRuntime()Ljava/lang/Runtime;
    move-result-object v0
    const-string v1, "sh -c id"
    invoke-virtual {v0, v1}, Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;
    move-result-object v0
""",
    # java.util.Random
    """    new-instance v0, Ljava/util/Random;
    invoke-direct {v0}, Ljava/util/Random;-><init>()V
    invoke-virtual {v0}, Ljava/util/Random;->nextInt()I
    move-result v1
""",
    # WebView with JavaScript
    """    new-instance v0, Landroid/webkit/WebView;
    const/4 v1, 0x0
    invoke-direct {v0, v1}, Landroid/webkit/WebView;-><init>(Landroid/content/Context;)V
    invoke-virtual {v0}, Landroid/webkit/WebView;->getSettings()Landroid/webkit/WebSettings;
    move-result-object v0
    const/4 v1, 0x1
    invoke-virtual {v0, v1}, Landroid/webkit/WebSettings;->setJavaScriptEnabled(Z)V
""",
    # world-readable shared preferences
    """    const/4 v0, 0x0
    const-string v1, "prefs"
    const/4 v2, 0x1
    invoke-virtual {v0, v1, v2}, Landroid/content/Context;->getSharedPreferences(Ljava/lang/String;I)Landroid/content/SharedPreferences;
    move-result-object v0
""",
]


def class_name(dex, i):
    """Descriptor body (no L...;) of class i of dex `dex`."""
    if i % 20 == 19:
        return f"{SDK_PREFIXES[(i // 20) % len(SDK_PREFIXES)]}/d{dex}/S{i}"
    return f"com/bench/d{dex}/p{i // 500}/C{i}"


def smali_class(dex, i, last):
    me = class_name(dex, i)
    nxt = class_name(dex, i + 1 if i + 1 < last else i)
    risky = RISKY[(i // 50) % len(RISKY)] if i % 50 == 7 else ""
    return f""".class public L{me};
.super Ljava/lang/Object;
.source "C{i}.java"

.field public static final API_KEY:Ljava/lang/String; = "AIzaSyBench{i:08d}xxxxxxxxxxxxxxxxxxxxxxx"
.field private count:I

.method public constructor <init>()V
    .registers 1
    invoke-direct {{p0}}, Ljava/lang/Object;-><init>()V
    return-void
.end method

.method public static url()Ljava/lang/String;
    .registers 1
    const-string v0, "https://api{i % 97}.bench.example.com/v1/items/{i}?lang=en"
    return-object v0
.end method

.method public name(I)Ljava/lang/String;
    .registers 5
    new-instance v0, Ljava/lang/StringBuilder;
    invoke-direct {{v0}}, Ljava/lang/StringBuilder;-><init>()V
    const-string v1, "item-{i}-"
    invoke-virtual {{v0, v1}}, Ljava/lang/StringBuilder;->append(Ljava/lang/String;)Ljava/lang/StringBuilder;
    invoke-virtual {{v0, p1}}, Ljava/lang/StringBuilder;->append(I)Ljava/lang/StringBuilder;
    iget v2, p0, L{me};->count:I
    add-int/lit8 v2, v2, 0x1
    iput v2, p0, L{me};->count:I
    invoke-virtual {{v0}}, Ljava/lang/StringBuilder;->toString()Ljava/lang/String;
    move-result-object v0
    return-object v0
.end method

.method public next()V
    .registers 4
    invoke-static {{}}, L{nxt};->url()Ljava/lang/String;
    move-result-object v0
    const-string v1, "Bench{i % 13}"
    invoke-static {{v1, v0}}, Landroid/util/Log;->d(Ljava/lang/String;Ljava/lang/String;)I
{risky}    return-void
.end method
"""


def write_smali(out, dex, count, first, total):
    for i in range(first, first + count):
        path = os.path.join(out, class_name(dex, i) + ".smali")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(smali_class(dex, i, first + count))
    print(f"{out}: {count} classes (dex {dex}, {first}..{first + count - 1} of {total})")


PERMISSIONS = [
    "INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION",
    "READ_PHONE_STATE", "CAMERA", "RECORD_AUDIO", "READ_CONTACTS", "SEND_SMS",
    "READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "WAKE_LOCK", "RECEIVE_BOOT_COMPLETED",
    "SYSTEM_ALERT_WINDOW",
]


def write_manifest(out, package, components):
    perms = "\n".join(f'  <uses-permission android:name="android.permission.{p}"/>' for p in PERMISSIONS)
    body = []
    for i in range(components):
        name = class_name(0, i).replace("/", ".")
        tag = ("activity", "service", "receiver", "provider")[i % 4]
        attrs = f'android:name="{name}"'
        if i % 7 == 0:
            attrs += ' android:exported="true"'
        if tag == "provider":
            attrs += f' android:authorities="{package}.p{i}"'
        inner = ""
        if i % 5 == 0 and tag != "provider":
            inner = (f'\n      <intent-filter><action android:name="{package}.ACTION_{i}"/>'
                     '<category android:name="android.intent.category.DEFAULT"/></intent-filter>\n    ')
        body.append(f"    <{tag} {attrs}>{inner}</{tag}>")
    text = f"""<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{package}"
    android:versionCode="42" android:versionName="4.2.0">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="29"/>
{perms}
  <application android:label="@string/app_name" android:allowBackup="true"
      android:usesCleartextTraffic="true" android:debuggable="true">
{chr(10).join(body)}
  </application>
</manifest>
"""
    with open(out, "w") as f:
        f.write(text)


# ---- the androguard side -----------------------------------------------------------------------

def run_androguard(path, out, mode):
    from loguru import logger
    logger.remove()
    import androguard
    r = {"androguard": getattr(androguard, "__version__", "?"), "mode": mode}
    if mode == "analyze":
        from androguard.misc import AnalyzeAPK
        a, dexes, dx = AnalyzeAPK(path)
        r["analysis_classes"] = sum(1 for _ in dx.get_classes())
        r["analysis_methods"] = sum(1 for _ in dx.get_methods())
        r["analysis_strings"] = len(dx.get_strings_analysis())
    else:
        from androguard.core.apk import APK
        from androguard.core.dex import DEX
        a = APK(path)
        dexes = None
    r["package"] = a.get_package()
    r["version_code"] = a.get_androidversion_code()
    r["min_sdk"] = a.get_min_sdk_version()
    r["target_sdk"] = a.get_target_sdk_version()
    r["app_name"] = a.get_app_name()
    r["permissions"] = sorted(a.get_permissions())
    r["components"] = sum(len(x) for x in (a.get_activities(), a.get_services(),
                                            a.get_receivers(), a.get_providers()))
    res = a.get_android_resources()
    r["resource_packages"] = len(res.get_packages_names()) if res else 0
    r["signed"] = {"v1": a.is_signed_v1(), "v2": a.is_signed_v2(), "v3": a.is_signed_v3()}
    r["certificates"] = len(a.get_certificates())
    r["files"] = len(a.get_files())
    if dexes is None:
        dexes = [DEX(raw, using_api=a.get_target_sdk_version()) for raw in a.get_all_dex()]
    r["dex"] = len(dexes)
    classes = methods = instructions = strings = fields = 0
    for d in dexes:
        strings += len(d.get_strings())
        fields += len(d.get_fields())
        for c in d.get_classes():
            classes += 1
            for m in c.get_methods():
                methods += 1
                if mode != "analyze" and m.get_code() is not None:
                    for _ in m.get_instructions():
                        instructions += 1
    r.update(classes=classes, methods=methods, strings=strings, fields=fields)
    if mode != "analyze":
        r["instructions"] = instructions
    with open(out, "w") as f:
        json.dump(r, f, indent=1)


# ---- the comparison ----------------------------------------------------------------------------





def size(n):
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"




def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return f"x{a / b:.2f}" if a and b else "-"


def vigil_facts(path):
    with open(path) as f:
        doc = json.load(f)
    findings = doc.get("findings") or []
    comps = doc.get("components") or []
    kinds = Counter(c.get("type") for c in comps)
    perms = sorted(c.get("name", "") for c in comps if c.get("type") == "android-permission")
    sdks = sorted(c.get("name", "") for c in comps if c.get("type") == "android-sdk")
    app = next((c for c in comps if c.get("type") == "android-app"), {})
    rules = Counter((f.get("evidence") or {}).get("rule") or f.get("kind") for f in findings)
    return {"findings": len(findings), "rules": rules, "perms": perms, "sdks": sdks,
            "kinds": kinds, "app": app}


def summary(results):
    runs = [json.loads(line) for line in open(os.path.join(results, "runs.jsonl")) if line.strip()]
    targets = list(dict.fromkeys(r["target"] for r in runs))
    rows = []
    for target in targets:
        mine = [r for r in runs if r["target"] == target]
        print()
        print("=" * 100)
        print(f"{target}: {mine[0]['apk']} ({size(os.path.getsize(mine[0]['apk']))})")
        print("=" * 100)
        stat, facts = {}, {}
        for tool in ("vigil", "androguard"):
            tr = sorted((r for r in mine if r["tool"] == tool), key=lambda r: r["run"])
            measured = report_runs(tool, tr, results, lambda r: r["err"], 10)
            stat[tool] = (median(m[0] for m in measured), median(m[2] for m in measured),
                          median(m[1] for m in measured), bool(tr) and all(r["status"] == 0 for r in tr))
            if not tr:
                print(f"  {tool}: skipped")
            ok = [r for r in tr if r["status"] == 0]
            if tr and not ok:
                try:
                    notes = [x.rstrip() for x in open(os.path.join(results, tr[0]["err"])) if x.strip()]
                except OSError:
                    notes = []
                for x in notes[-8:]:
                    print(f"  {tool} stderr: {x[:300]}")
            facts[tool] = os.path.join(results, ok[0]["output"]) if ok else None
        print()
        v = a = None
        if facts["vigil"]:
            try:
                v = vigil_facts(facts["vigil"])
            except (OSError, ValueError) as e:
                print(f"  vigil: unreadable output: {e}")
        if facts["androguard"]:
            try:
                a = json.load(open(facts["androguard"]))
            except (OSError, ValueError) as e:
                print(f"  androguard: unreadable output: {e}")
        if v:
            app = v["app"]
            print(f"  vigil:      app {app.get('name')} {app.get('version') or ''}; {v['findings']} findings"
                  f" ({len(v['rules'])} rules); components: "
                  + ", ".join(f"{k} {n}" for k, n in sorted(v["kinds"].items())))
            if v["rules"]:
                print("              findings by rule: " + ", ".join(f"{k} {n}" for k, n in v["rules"].most_common(12))
                      + (f", ... {len(v['rules']) - 12} more" if len(v["rules"]) > 12 else ""))
            if v["sdks"]:
                print(f"              SDKs: {', '.join(v['sdks'][:12])}" + (" ..." if len(v["sdks"]) > 12 else ""))
        if a:
            extra = (f", {a['instructions']} instructions decoded" if "instructions" in a
                     else f"; Analysis: {a.get('analysis_classes')} classes (with external), "
                          f"{a.get('analysis_methods')} methods, {a.get('analysis_strings')} strings")
            print(f"  androguard: app {a.get('package')} {a.get('version_code')} ({a.get('app_name')}); "
                  f"{len(a['permissions'])} permissions, {a['components']} components, {a['dex']} dex, "
                  f"{a['classes']} classes, {a['methods']} methods, {a['strings']} strings, {a['fields']} fields"
                  f"{extra}; signed {'+'.join(k for k, on in a['signed'].items() if on) or 'no'}, "
                  f"{a['certificates']} certificate(s); {a['files']} files")
        if v and a:
            vp, ap = set(v["perms"]), set(a["permissions"])
            print(f"  permissions: vigil {len(vp)}, androguard {len(ap)}, common {len(vp & ap)}"
                  + (f"; only vigil: {', '.join(sorted(vp - ap)[:10])}" if vp - ap else "")
                  + (f"; only androguard: {', '.join(sorted(ap - vp)[:10])}" if ap - vp else ""))
        rows.append((target, os.path.getsize(mine[0]["apk"]), stat,
                     v["findings"] if v else None, len(v["perms"]) if v else None,
                     len(v["sdks"]) if v else None,
                     len(a["permissions"]) if a else None, a["classes"] if a else None))

    print()
    print("medians over the runs; ratios are androguard / Vigil (the goal: >= x10, i.e. Vigil <= 0.1x)")
    head = ("target", "size", "vigil wall", "ag wall", "wall ag/v", "vigil cpu", "ag cpu", "cpu ag/v",
            "vigil RSS", "ag RSS", "RSS ag/v", "findings", "perms v/ag", "sdks", "ag classes")
    table = []
    for target, nbytes, stat, nf, vperm, nsdk, aperm, acls in rows:
        (vw, vc, vr, vok), (aw, ac, ar, aok) = stat["vigil"], stat["androguard"]
        mark = lambda ok, x: x if ok or x == "-" else x + "!"  # noqa: E731
        table.append((target, size(nbytes), mark(vok, secs(vw)), mark(aok, secs(aw)),
                      ratio(aw, vw) if vok and aok else "-",
                      secs(vc), secs(ac), ratio(ac, vc) if vok and aok else "-",
                      mib(vr), mib(ar), ratio(ar, vr) if vok and aok else "-",
                      "-" if nf is None else str(nf),
                      f"{'-' if vperm is None else vperm}/{'-' if aperm is None else aperm}",
                      "-" if nsdk is None else str(nsdk), "-" if acls is None else str(acls)))
    widths = [max(len(r[i]) for r in [head] + table) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print(line(r))
    print("(! = a run failed; ag = androguard; Vigil's peak RSS includes the APK's pages it maps and reads:")
    print(" clean, file-backed, as large as the file at most)")


def main():
    a = sys.argv
    if len(a) == 7 and a[1] == "smali":
        write_smali(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]))
    elif len(a) == 5 and a[1] == "manifest":
        write_manifest(a[2], a[3], int(a[4]))
    elif len(a) >= 4 and a[1] == "add-stored":
        import zipfile
        with zipfile.ZipFile(a[2], "a", zipfile.ZIP_STORED) as z:
            for f in a[3:]:
                z.write(f, os.path.basename(f))
    elif len(a) in (4, 5) and a[1] == "androguard":
        run_androguard(a[2], a[3], a[4] if len(a) == 5 else "walk")
    elif len(a) == 3 and a[1] == "summary":
        summary(a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
