#!/usr/bin/env python3
"""Helper of bench/web.sh: everything that is easier in Python than in bash.

  web_bench.py endpoint                 stand-in for wapiti's out-of-band endpoint (SSRF), prints READY <port>
  web_bench.py login BASE               log in as alice on the test app, print the session cookie (name=value)
  web_bench.py count LOG WALL           requests in an app log (self-requests excluded), as JSON
  web_bench.py score RESULTS_DIR        score every run in RESULTS_DIR against the manifest, print the table

Requests made here use urllib, whose User-Agent (`Python-urllib/...`) the benchmark excludes
from the counts, like the app's own /fetch self-requests.
"""
import http.server
import json
import math
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "..", "tests", "webapp", "manifest.json")

# wapiti's finding categories (wapitiCore/definitions/*.py, 3.2.3) -> our classes. Categories
# not listed here are shown as "other" with their wapiti name.
WAPITI_CLASSES = {
    "Reflected Cross Site Scripting": "xss",
    "Cross Site Scripting": "xss",  # older wapiti name
    "Stored Cross Site Scripting": "xss",
    "HTML Injection": "xss",
    "Stored HTML Injection": "xss",
    "SQL Injection": "sqli",
    "Blind SQL Injection": "sqli",
    "Path Traversal": "path-traversal",
    "Command execution": "cmd-injection",
    "Open Redirect": "open-redirect",
    "CRLF Injection": "crlf",
    "Server Side Request Forgery": "ssrf",
    "XML External Entity": "xxe",
    "Content Security Policy Configuration": "security-headers",
    "Clickjacking Protection": "security-headers",
    "MIME Type Confusion": "security-headers",
    "HTTP Strict Transport Security (HSTS)": "security-headers",
    "HttpOnly Flag cookie": "cookie-flags",
    "Secure Flag cookie": "cookie-flags",
    "Backup file": "sensitive-file",
    "Fingerprint web server": "version-disclosure",
    "Fingerprint web application framework": "version-disclosure",
    "Vulnerable software": "version-disclosure",
}

ACTIVE = ["xss", "sqli", "path-traversal", "cmd-injection", "open-redirect", "crlf", "ssti", "xxe", "ssrf"]
PASSIVE = ["security-headers", "cookie-flags", "version-disclosure", "stack-trace", "directory-listing",
           "sensitive-file", "mixed-content", "cors", "private-ip", "secret-leak", "form-over-http"]
# Passive classes about the whole site: a finding on any path (or any /api/ path) is the case.
SITE_WIDE = {"security-headers": "", "version-disclosure": "", "cors": "/api/"}
# cookie-flags cases are told apart by the cookie's name.
COOKIE_CASE = {"session": "cookie-flags-session-default", "tracking_id": "cookie-flags-tracking-default"}
SHORT = {"xss": "xss", "sqli": "sqli", "path-traversal": "trav", "cmd-injection": "cmd", "open-redirect": "redir",
         "crlf": "crlf", "ssti": "ssti", "xxe": "xxe", "ssrf": "ssrf"}


# ---- wapiti's endpoint ---------------------------------------------------------------------

def endpoint():
    """Loopback stand-in for wapiti's endpoint (the PHP app wapiti runs on wapiti3.ovh): records
    hits on /ssrf/<session>/<path_id>/<hex_param>/ and answers /get_ssrf.php?session_id=S with
    {path_id: {hex_param: [{url, date, ip, method, size}]}}, which is what mod_ssrf reads.
    /get_xxe.php answers {} (the app's lxml does not fetch network DTDs anyway)."""
    hits = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def reply(self, obj):
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            u = urllib.parse.urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            if size:
                self.rfile.read(size)
            parts = [p for p in u.path.split("/") if p]
            if len(parts) >= 4 and parts[0] == "ssrf":
                with lock:
                    hits[parts[1]][parts[2]][parts[3]].append({
                        "url": f"http://{self.headers.get('Host', '')}{self.path}",
                        "date": datetime.now(timezone.utc).isoformat(),
                        "ip": self.client_address[0], "method": self.command, "size": size})
                return self.reply({})
            if u.path.endswith("/get_ssrf.php"):
                sid = urllib.parse.parse_qs(u.query).get("session_id", [""])[0]
                with lock:
                    return self.reply(json.loads(json.dumps(hits.get(sid, {}))))
            if u.path.endswith("/get_xxe.php"):
                return self.reply({})
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_HEAD = handle_any

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(f"READY {srv.server_address[1]}", flush=True)
    srv.serve_forever()


# ---- login ---------------------------------------------------------------------------------

def login(base):
    m = json.load(open(MANIFEST))["auth"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    data = urllib.parse.urlencode(m["login"]["form"]).encode()
    try:
        resp = opener.open(base.rstrip("/") + m["login"]["path"], data=data, timeout=10)
        headers = resp.headers
    except urllib.error.HTTPError as e:  # the 302 lands here
        headers = e.headers
    name = m["session_cookie"]
    for h in headers.get_all("Set-Cookie") or []:
        k, _, rest = h.partition("=")
        if k.strip() == name:
            print(f"{name}={rest.split(';')[0]}")
            return
    sys.exit("login failed: no session cookie")


# ---- request counts ------------------------------------------------------------------------

def read_log(path):
    out = []
    for line in open(path, encoding="utf-8"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not str(e.get("ua", "")).startswith("Python-urllib"):
            out.append(e)
    return out


def count(path, wall):
    wall = float(wall)
    es = read_log(path)
    ts = [e["t"] for e in es]
    span = (max(ts) - min(ts)) if len(ts) > 1 else 0.0
    per_sec = Counter(int(t) for t in ts)
    print(json.dumps({
        "requests": len(es), "wall": wall, "log_span": round(span, 3),
        "rate": round(len(es) / wall, 2) if wall > 0 else 0.0,
        "peak_1s": max(per_sec.values()) if per_sec else 0,
        "uas": Counter(e.get("ua", "") for e in es).most_common(3),
    }))


# ---- scoring -------------------------------------------------------------------------------

def norm_param(p):
    if p is None:
        return None
    m = re.search(r"[A-Za-z0-9_-]+$", str(p).strip())
    return m.group(0).lower() if m else str(p).strip().lower()


def path_of(url):
    if not url:
        return ""
    u = urllib.parse.urlsplit(url)
    return urllib.parse.unquote(u.path) if (u.scheme or url.startswith("/")) else urllib.parse.unquote(url)


def case_regex(path):
    return re.compile("^" + re.escape(path).replace(re.escape("{id}"), "[^/]+") + "$")


def load_vigil(path):
    data = json.load(open(path))
    out = []
    for f in data.get("findings", []):
        out.append({"class": f.get("kind", "?"), "kind": f.get("kind", "?"), "path": path_of(f.get("url")),
                    "param": f.get("parameter"), "title": f.get("title", ""),
                    "text": " ".join([str(f.get(k) or "") for k in ("title", "description")] + [
                        str(v) for k, v in (f.get("evidence") or {}).items()
                        if isinstance(f.get("evidence"), dict) and k in ("cookie", "name", "cookie_name")])})
    return out


def load_wapiti(path):
    data = json.load(open(path))
    out = []
    for cat, items in (data.get("vulnerabilities") or {}).items():
        for v in items:
            out.append({"class": WAPITI_CLASSES.get(cat, "other:" + cat), "kind": cat,
                        "path": path_of(v.get("path")), "param": v.get("parameter") or None,
                        "title": (v.get("info") or "").splitlines()[0][:100] if v.get("info") else cat,
                        "text": v.get("info") or ""})
    return out


def match(f, cases):
    """The manifest case a finding is about (vulnerable case or safe twin), or None."""
    cls = f["class"]
    if cls == "cookie-flags":  # by the cookie's name, in the parameter or the title / info text
        for cookie, cid in COOKIE_CASE.items():
            if norm_param(f["param"]) == cookie.lower():
                return cases.get(cid)
        for cookie, cid in COOKIE_CASE.items():
            if re.search(rf"\b{cookie}\b", f["text"]):
                return cases.get(cid)
    cands = [c for c in cases.values() if c["class"] == cls and c.get("instance", "default") == "default"]
    if cls in SITE_WIDE:
        if f["path"].startswith(SITE_WIDE[cls] or "/"):
            return next((c for c in cands if c["vulnerable"]), None)
        return None
    for c in cands:
        if not case_regex(c["path"]).match(f["path"]):
            continue
        if c["param"] is None or c.get("location") == "path" or f["param"] is None:
            return c
        if norm_param(f["param"]) == norm_param(c["param"]):
            return c
    return None


def where_is(path, param, cases):
    """A hint for judging an "other" finding by hand: the case of another class at that place."""
    for c in cases.values():
        if c.get("instance", "default") != "default" or not case_regex(c["path"]).match(path or ""):
            continue
        if c["param"] is None or param is None or norm_param(param) == norm_param(c["param"]):
            kind = "vulnerable case" if c["vulnerable"] else "SAFE TWIN (likely false positive)"
            return f"   <- at {kind} {c['id']} ({c['class']})"
    return ""


def score(results):
    manifest = json.load(open(MANIFEST))
    cases = {c["id"]: c for c in manifest["cases"]}
    runs = [json.loads(line) for line in open(os.path.join(results, "runs.jsonl")) if line.strip()]
    rows = []
    report = []
    for run in runs:
        loader = load_wapiti if run["tool"] == "wapiti" else load_vigil
        out_file = os.path.join(results, run["output"])
        try:
            findings = loader(out_file)
        except (OSError, ValueError) as e:
            report.append(f"\n== {run['label']}: no usable output ({e})")
            findings = None
        modes = {"normal"} if run["mode"] == "normal" else {"normal", "deep"}
        classes = ACTIVE + (PASSIVE if run.get("passive", True) else [])
        expected = [c for c in cases.values() if c["vulnerable"] and c["mode"] in modes
                    and c.get("instance", "default") == "default" and c["class"] in classes]
        tp, fp, other = {}, {}, []
        for f in findings or []:
            c = match(f, cases)
            if c is None:
                other.append(f)
            elif c["vulnerable"]:
                tp.setdefault(c["id"], []).append(f)
            else:
                fp.setdefault(c["id"], []).append(f)
        missed = [c for c in expected if c["id"] not in tp]
        cnt = read_log(os.path.join(results, run["log"])) if os.path.exists(os.path.join(results, run["log"])) else []
        wall = run["wall"]
        per_class = Counter(cases[i]["class"] for i in tp)
        rows.append({"label": run["label"], "tool": run["tool"], "wall": wall, "requests": len(cnt),
                     "rate": len(cnt) / wall if wall else 0.0, "tp": len(tp),
                     "tp_active": sum(1 for i in tp if cases[i]["class"] in ACTIVE),
                     "tp_passive": sum(1 for i in tp if cases[i]["class"] in PASSIVE),
                     "per_class": per_class, "fp": len(fp),
                     "exp_class": Counter(c["class"] for c in expected),
                     "fp_class": Counter(cases[i]["class"] for i in fp), "missed": len(missed), "expected": len(expected),
                     "other": len(other), "ok": findings is not None, "status": run.get("status", 0)})
        report.append(f"\n== {run['label']}  (exit {run.get('status', 0)}; {len(findings or [])} findings)")
        if run["tool"] == "wapiti" and findings is not None:
            anomalies = json.load(open(out_file)).get("anomalies") or {}
            for cat, items in anomalies.items():
                if items:
                    where = Counter(f"{a.get('path')} {a.get('parameter') or ''}".strip() for a in items)
                    report.append(f"  wapiti anomalies (not scored), {cat}: " + ", ".join(
                        f"{w}{f' x{n}' if n > 1 else ''}" for w, n in sorted(where.items())))
        report.append("  true positives: " + (", ".join(sorted(tp)) or "-"))
        report.append("  false positives (safe twins): " + (", ".join(
            f"{i} [{', '.join(sorted({x['kind'] for x in fp[i]}))}]" for i in sorted(fp)) or "-"))
        report.append("  missed: " + (", ".join(c["id"] for c in missed) or "-"))
        if other:
            report.append(f"  other findings ({len(other)}), on no case of the manifest:")
            seen = Counter((f["kind"], f["path"], f["param"]) for f in other)
            for (kind, p, prm), n in sorted(seen.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
                report.append(f"    {kind:<34} {p or '-'} {('param=' + str(prm)) if prm else ''}"
                              f"{f'  x{n}' if n > 1 else ''}{where_is(p, prm, cases)}")

    print("\n".join(report))
    print()
    act = [SHORT[c] for c in ACTIVE]
    hdr = (f"{'tool':<26} {'wall s':>8} {'requests':>9} {'req/s':>7} {'TP':>3} {'act':>3} {'pas':>3} "
           + " ".join(f"{a:>5}" for a in act) + f" {'FP':>3} {'missed':>6} {'other':>5}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        pc = " ".join(f"{r['per_class'].get(c, 0):>5}" for c in ACTIVE)
        print(f"{r['label']:<26} {r['wall']:>8.1f} {r['requests']:>9} {r['rate']:>7.1f} {r['tp']:>3} "
              f"{r['tp_active']:>3} {r['tp_passive']:>3} {pc} {r['fp']:>3} "
              f"{str(r['missed']) + '/' + str(r['expected']):>6} {r['other']:>5}")
    print("(TP = cases found, act/pas = active/passive cases; per-class columns are active cases;"
          " FP = findings on safe twins or soft-404 traps; missed = expected cases not found;"
          " requests exclude Python-urllib self-requests)")
    print()
    print("per class: cases found / expected (+N = findings on N safe twins or traps)")
    print(f"{'class':<20} " + " ".join(f"{r['label'][:26]:>26}" for r in rows))
    for cls in ACTIVE + PASSIVE:
        if not any(r["exp_class"][cls] or r["per_class"][cls] or r["fp_class"][cls] for r in rows):
            continue
        cells = []
        for r in rows:
            cell = f"{r['per_class'][cls]}/{r['exp_class'][cls]}"
            if r["fp_class"][cls]:
                cell += f" +{r['fp_class'][cls]}"
            cells.append(f"{cell:>26}")
        print(f"{cls:<20} " + " ".join(cells))
    base = next((r for r in rows if r["tool"] == "wapiti" and r["ok"]), None)
    if base:
        for r in rows:
            if r["tool"] == "wapiti" or not r["ok"]:
                continue

            def ratio(a, b):
                return f"{a / b:.2f}" if b else ("inf" if a else "-")

            print(f"ratio {r['label']} / {base['label']}: time {ratio(r['wall'], base['wall'])}, "
                  f"requests {ratio(r['requests'], base['requests'])}, "
                  f"true positives {ratio(r['tp'], base['tp'])} "
                  f"(active {ratio(r['tp_active'], base['tp_active'])}, "
                  f"passive {ratio(r['tp_passive'], base['tp_passive'])})")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"endpoint": endpoint, "login": login, "count": count, "score": score}[cmd](*args)
