#!/usr/bin/env python3
"""Self-check for vulnapp.py: proves every manifest case is what it claims.

Starts the app twice (default and --hardened) on random loopback ports plus a
tiny HTTP listener for the SSRF probes, then for every case in manifest.json
sends a known exploit and asserts that the vulnerable case IS exploitable and
its safe twin, given the very same input, is NOT.  Active cases are checked on
both instances; passive cases on the instance they name.  It also checks the
crawl list, the login flow, the request log format and the loopback-only bind.

    python3 selfcheck.py        # needs jinja2 and lxml; exits non-zero on failure
"""

import http.client
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlencode, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "vulnapp.py")
MANIFEST = json.load(open(os.path.join(HERE, "manifest.json"), encoding="utf-8"))
EVIL_ORIGIN = "https://evil.example"
PASSWD = "root:x:0:0"
DELAY = 3  # seconds asked of sleep payloads


class Fixture(Exception):
    """The fixture itself misbehaves (not a vulnerable/safe mismatch)."""


# --------------------------------------------------------------------------
# Processes and HTTP plumbing
# --------------------------------------------------------------------------

class App:
    """One vulnapp.py process on a random loopback port."""

    def __init__(self, name, hardened, workdir):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        args = [sys.executable, APP, "--port", "0", "--log", self.log_path]
        if hardened:
            args.append("--hardened")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=15)
        except queue.Empty:
            line = ""
        match = re.fullmatch(r"READY (\d+)\n", line)
        if not match:
            self.proc.kill()
            raise SystemExit(f"{name}: no READY line (got {line!r}): {self.proc.stderr.read()}")
        self.port = int(match.group(1))
        self.base = f"http://127.0.0.1:{self.port}"
        self.session = None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Resp:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def raw(self):
        """Header block and body as one string (for 'is this text anywhere' checks)."""
        return "".join(f"{k}: {v}\n" for k, v in self.headers) + self.text


def request(app, method, path, headers=None, body=None, timeout=20):
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=timeout)
    start = time.monotonic()
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.monotonic() - start
    conn.close()
    return Resp(resp.status, resp.getheaders(), data, elapsed)


def login(app):
    resp = request(app, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"},
                   urlencode({"username": "alice", "password": "wonderland"}))
    cookie = next((c for c in resp.all("Set-Cookie") if c.startswith("session=")), None)
    if resp.status != 302 or not cookie:
        raise Fixture(f"login failed on {app.name}: {resp.status}")
    return cookie.split(";")[0]


def send(app, case, value):
    """Send `value` through the case's injection point."""
    path, headers, body = case["path"], {}, None
    param, loc = case["param"], case["location"]
    cookies = [app.session] if case.get("auth") else []
    if loc == "query":
        path += "?" + urlencode({param: value})
    elif loc == "path":
        path = path.replace("{%s}" % param, quote(value, safe=""))
    elif loc == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode({param: value})
    elif loc == "json":
        headers["Content-Type"] = "application/json"
        body = json.dumps({param: value})
    elif loc == "cookie":
        cookies.append(f"{param}={quote(value, safe='')}")
    elif loc == "header":
        headers[param] = value
    elif loc == "body":
        headers["Content-Type"] = case["content_type"]
        body = value
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return request(app, case["method"], path, headers, body)


class Listener:
    """A tiny HTTP server the SSRF endpoint is pointed at; records what it was asked."""

    def __init__(self):
        seen = self.seen = set()

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.add(self.path)
                body = f"SSRF-LISTENER-REACHED {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# --------------------------------------------------------------------------
# Active checks: the same payload goes to the vulnerable case and its twin.
# Each returns (exploited, evidence).
# --------------------------------------------------------------------------

def check_xss(app, case, ctx):
    context = case["context"]
    if context == "html":
        payload = "<script>vgl(1337)</script>"
        resp = send(app, case, payload)
        if payload in resp.text:
            return True, "raw <script> marker reflected"
        if "&lt;script&gt;vgl(1337)" not in resp.text:
            raise Fixture("safe twin does not reflect the encoded payload")
        return False, "reflected HTML-encoded"
    if context == "attribute":
        resp = send(app, case, 'vgl"><script>vgl(1337)</script>')
        if 'value="vgl"><script>vgl(1337)</script>' in resp.text:
            return True, "quote broke out of value=\"...\""
        return False, "value attribute encoded: " + _snip(resp.text, 'value="vgl')
    if context == "script":
        quote_break = send(app, case, 'vgl";vgl(1337);//')
        tag_break = send(app, case, "</script><script>vgl(1337)</script>")
        if '"vgl";vgl(1337);//"' in quote_break.text:
            return True, "quote closed the JS string literal"
        if "</script><script>vgl(1337)</script>" in tag_break.text:
            return True, "</script> closed the script block"
        return False, "JS-encoded: " + _snip(quote_break.text, "var term")
    if context == "url":
        resp = send(app, case, "javascript:vgl(1337)")
        if 'href="javascript:vgl(1337)"' in resp.text:
            return True, "javascript: URL placed in href"
        link = re.search(r'<a href="([^"]*)">your website', resp.text)
        return False, f"href=\"{link.group(1) if link else '?'}\""
    raise Fixture(f"unknown xss context {context}")


# UNION payloads that read alice's password through each error-based case
# (column counts differ per query).
SQLI_UNION = {
    "sqli-error": "zz' UNION SELECT username, password FROM users--",
    "sqli-path": "0 UNION SELECT username, password FROM users",
    "sqli-json": "zz' UNION SELECT 0, username, password FROM users--",
    "sqli-cookie": "zz' UNION SELECT username, password FROM users--",
}


def check_sqli(app, case, ctx):
    technique, sample = case["technique"], case["sample"]
    if technique == "error":
        error = "sqlite3.OperationalError" in send(app, case, sample + "'").text
        leaked = "wonderland" in send(app, case, SQLI_UNION[case["id"].removesuffix("-safe")]).text
        if error != leaked:
            raise Fixture(f"error={error} but UNION leak={leaked}")
        return error, "SQLite error shown; UNION read users.password" if error else "no error, no leak"
    if technique == "boolean":
        base = send(app, case, sample).text
        true, false = send(app, case, sample + " AND 1=1").text, send(app, case, sample + " AND 1=2").text
        if true == base and true != false:
            return True, "AND 1=1 equals baseline, AND 1=2 differs"
        return False, "true/false responses identical"
    if technique == "time":
        return check_delay(app, case, sample, f"{sample} AND sleep({DELAY})")
    raise Fixture(f"unknown sqli technique {technique}")


def check_delay(app, case, benign, payload, attempts=3):
    """Whether `payload` delays the answer by about DELAY over the faster of two benign
    requests. A reading between the two (a load spike on a busy machine) is measured again,
    at most `attempts` times."""
    for _ in range(attempts):
        base = min(send(app, case, benign).elapsed for _ in range(2))
        delta = send(app, case, payload).elapsed - base
        if delta >= DELAY - 0.5:
            return True, f"delayed {delta:.1f}s"
        if delta <= 1.5:
            return False, f"no delay ({delta:+.2f}s)"
    raise Fixture(f"ambiguous delay {delta:.1f}s in {attempts} attempts")


def check_traversal(app, case, ctx):
    resp = send(app, case, "../" * 8 + "etc/passwd")
    if PASSWD in resp.text:
        return True, "read /etc/passwd"
    return False, f"HTTP {resp.status}"


def check_cmd(app, case, ctx):
    if case.get("technique") == "time":
        return check_delay(app, case, "vigil", f"vigil;sleep {DELAY}")
    resp = send(app, case, "vigil;echo MARK$((6*7))")
    if "MARK42" in resp.text:
        return True, "MARK42 in output"
    if "MARK$((6*7))" not in resp.text:
        raise Fixture("safe twin does not echo the input")
    return False, "input echoed literally"


def check_redirect(app, case, ctx):
    for target in ("http://evil.example/landing", "//evil.example/landing"):
        location = send(app, case, target).header("Location") or ""
        if urlsplit(urljoin(app.base + "/", location)).hostname == "evil.example":
            return True, f"Location: {location}"
    return False, f"Location: {location}"


def check_crlf(app, case, ctx):
    resp = send(app, case, "en\r\nX-Vigil-Injected: crlf")
    if resp.header("X-Vigil-Injected") == "crlf":
        return True, "X-Vigil-Injected header injected"
    return False, "Content-Language: " + repr(resp.header("Content-Language"))


def check_ssti(app, case, ctx):
    resp = send(app, case, "{{7*191}}")
    if "1337" in resp.text and "{{7*191}}" not in resp.text:
        return True, "{{7*191}} rendered as 1337"
    if "{{7*191}}" not in resp.text:
        raise Fixture("safe twin does not echo the input")
    return False, "rendered literally"


def check_xxe(app, case, ctx):
    doc = ('<?xml version="1.0"?><!DOCTYPE order [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           "<order><name>&xxe;</name></order>")
    resp = send(app, case, doc)
    if PASSWD in resp.text:
        return True, "external entity read /etc/passwd"
    return False, _snip(resp.text, "Order received", 40) or f"HTTP {resp.status}"


def check_ssrf(app, case, ctx):
    probe = f"/ssrf-probe-{app.name}-{case['id']}"
    resp = send(app, case, f"http://127.0.0.1:{ctx['listener'].port}{probe}")
    hit = probe in ctx["listener"].seen
    if hit and "SSRF-LISTENER-REACHED" in resp.text:
        return True, "listener fetched, body echoed"
    if hit:
        raise Fixture("listener reached but body not echoed")
    return False, f"HTTP {resp.status}, listener not contacted"


# --------------------------------------------------------------------------
# Passive checks (site level)
# --------------------------------------------------------------------------

SIGNATURES = {  # path -> bytes that prove the real file was served
    "/.git/HEAD": b"ref: refs/heads/", "/.git/config": b"[core]", "/.env": b"DB_PASSWORD=",
    "/index.php.bak": b"<?php", "/phpinfo.php": b"PHP Version 7.4.3",
    "/.DS_Store": b"\x00\x00\x00\x01Bud1", "/web.config": b"<configuration>",
    "/.svn/entries": b"\ndir\n", "/backup.zip": b"PK\x03\x04",
}
PRIVATE_IP = re.compile(r"\b(10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}"
                        r"|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3})\b")
SECRET = re.compile(r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----")


def check_security_headers(app, case, ctx):
    resp = request(app, "GET", case["path"])
    csp = resp.header("Content-Security-Policy") or ""
    missing = [name for name, ok in (
        ("CSP", bool(csp)), ("X-Content-Type-Options", resp.header("X-Content-Type-Options") == "nosniff"),
        ("X-Frame-Options/frame-ancestors", bool(resp.header("X-Frame-Options")) or "frame-ancestors" in csp))
        if not ok]
    return bool(missing), "missing " + ", ".join(missing) if missing else "all present"


def check_cookie_flags(app, case, ctx):
    if case["path"] == "/login":
        resp = request(app, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"},
                       urlencode({"username": "alice", "password": "wonderland"}))
    else:
        resp = request(app, "GET", case["path"])
    cookies = resp.all("Set-Cookie")
    if not cookies:
        raise Fixture("no Set-Cookie")
    weak = [c.split("=")[0] for c in cookies
            if not all(flag in c.lower() for flag in ("secure", "httponly", "samesite"))]
    return bool(weak), f"without flags: {weak}" if weak else "Secure; HttpOnly; SameSite"


def check_version(app, case, ctx):
    resp = request(app, "GET", case["path"])
    server, powered = resp.header("Server") or "", resp.header("X-Powered-By")
    leaky = bool(re.search(r"\d+\.\d+", server)) or powered is not None
    return leaky, f"Server: {server}" + (f", X-Powered-By: {powered}" if powered else "")


def check_stack_trace(app, case, ctx):
    resp = request(app, "GET", case["path"])
    if resp.status != 500:
        raise Fixture(f"expected a 500, got {resp.status}")
    found = "Traceback (most recent call last)" in resp.text
    return found, "Python traceback shown" if found else "generic 500 page"


def check_listing(app, case, ctx):
    resp = request(app, "GET", case["path"])
    found = resp.status == 200 and "Index of /files/" in resp.text
    return found, f"HTTP {resp.status}" + (", Index of /files/" if found else "")


def check_sensitive(app, case, ctx):
    path = case["path"]
    resp = request(app, "GET", path)
    trap = path.startswith("/app/")
    if trap and resp.status != 200:
        raise Fixture(f"soft-404 trap answered {resp.status}, not 200")
    found = resp.status == 200 and SIGNATURES[path.removeprefix("/app")] in resp.body
    note = "soft-404 trap (200, SPA page)" if trap else ""
    return found, f"HTTP {resp.status} " + ("content signature found" if found else note)


def check_mixed(app, case, ctx):
    resp = request(app, "GET", case["path"])
    match = re.search(r'<(script|img|link|iframe)[^>]+(src|href)="http://[^"]+"', resp.text)
    return bool(match), match.group(0) if match else "no http:// subresources"


def check_cors(app, case, ctx):
    resp = request(app, "GET", case["path"], {"Origin": EVIL_ORIGIN})
    acao, acac = resp.header("Access-Control-Allow-Origin"), resp.header("Access-Control-Allow-Credentials")
    if acao in (EVIL_ORIGIN, "*"):
        return True, f"ACAO {acao}, ACAC {acac}"
    trusted = request(app, "GET", case["path"], {"Origin": "https://trusted.example"})
    if trusted.header("Access-Control-Allow-Origin") != "https://trusted.example":
        raise Fixture("trusted origin not allowed")
    return False, "foreign origin refused, trusted origin allowed"


def check_private_ip(app, case, ctx):
    found = PRIVATE_IP.findall(request(app, "GET", case["path"]).text)
    return bool(found), ", ".join(m[0] for m in found) or "none"


def check_secret(app, case, ctx):
    found = SECRET.findall(request(app, "GET", case["path"]).text)
    return bool(found), f"{len(found)} secret pattern(s)" if found else "none"


def check_form_over_http(app, case, ctx):
    resp = request(app, "GET", case["path"])
    page_url = app.base + case["path"]
    for form in re.findall(r"<form\b[^>]*>.*?</form>", resp.text, re.S | re.I):
        if 'type="password"' in form:
            action = re.search(r'action="([^"]*)"', form)
            target = urljoin(page_url, action.group(1) if action else "")
            return target.startswith("http://"), f"password form posts to {target}"
    raise Fixture("no password form")


CHECKS = {
    "xss": check_xss, "sqli": check_sqli, "path-traversal": check_traversal,
    "cmd-injection": check_cmd, "open-redirect": check_redirect, "crlf": check_crlf,
    "ssti": check_ssti, "xxe": check_xxe, "ssrf": check_ssrf,
    "security-headers": check_security_headers, "cookie-flags": check_cookie_flags,
    "version-disclosure": check_version, "stack-trace": check_stack_trace,
    "directory-listing": check_listing, "sensitive-file": check_sensitive,
    "mixed-content": check_mixed, "cors": check_cors, "private-ip": check_private_ip,
    "secret-leak": check_secret, "form-over-http": check_form_over_http,
}


def run_case(app, case, ctx):
    """Returns a result row: (id, instance, class, expected, observed, ok, evidence)."""
    try:
        if "instance" not in case:  # active: the benign sample must work on both twins
            sample = send(app, case, case["sample"])
            if sample.status >= 400:
                raise Fixture(f"benign sample answered HTTP {sample.status}")
        exploited, evidence = CHECKS[case["class"]](app, case, ctx)
        ok = exploited == case["vulnerable"]
    except Exception as exc:  # Fixture, or a broken connection
        exploited, evidence, ok = None, f"ERROR {type(exc).__name__}: {exc}", False
    return (case["id"], app.name, case["class"], case["vulnerable"], exploited, ok, evidence)


def _snip(text, needle, width=30):
    at = text.find(needle)
    return "" if at < 0 else text[at:at + len(needle) + width].replace("\n", " ")


# --------------------------------------------------------------------------
# Other properties: crawl list, discovery, login, log file, bind
# --------------------------------------------------------------------------

def check_crawl(app):
    failures = []
    for entry in MANIFEST["crawl"]:
        label = f"crawl {entry['url']} via {entry['via']}"
        if entry["from"]:
            auth = {"Cookie": app.session} if entry["from"] == "/account" else {}
            src = request(app, "GET", entry["from"], auth)
            if entry["ref"].replace("{base}", app.base) not in src.raw():
                failures.append(f"{label}: {entry['ref']!r} not in {entry['from']}")
        if entry["expect"] == "skip":
            continue
        status = request(app, "GET", entry["url"]).status
        if status != entry["status"]:
            failures.append(f"{label}: HTTP {status}, expected {entry['status']}")
        if entry["expect"] == "auth":
            authed = request(app, "GET", entry["url"], {"Cookie": app.session})
            if authed.status != 200:
                failures.append(f"{label}: HTTP {authed.status} with a session")
    return failures


def check_found_from(app):
    """Each active case's path is referenced on the page(s) it claims to be found from."""
    failures = []
    for case in MANIFEST["cases"]:
        for page in case.get("found_from", []):
            headers = {"Cookie": app.session} if case.get("auth") else {}
            if case["path"].split("{")[0] not in request(app, "GET", page, headers).text:
                failures.append(f"{case['id']}: {case['path']} not referenced on {page}")
    return failures


def check_login_flow(app):
    failures = []
    bad = request(app, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"},
                  urlencode({"username": "alice", "password": "wrong"}))
    if bad.all("Set-Cookie") or "Invalid username or password" not in bad.text:
        failures.append("login: wrong password accepted")
    if request(app, "GET", "/account").status != 302:
        failures.append("login: /account reachable without a session")
    cookie = login(app)
    if "Welcome, alice" not in request(app, "GET", "/account", {"Cookie": cookie}).text:
        failures.append("login: no 'Welcome, alice' with a session")
    request(app, "GET", "/logout", {"Cookie": cookie})
    if request(app, "GET", "/account", {"Cookie": cookie}).status != 302:
        failures.append("login: session still valid after /logout")
    return failures


def check_log(app):
    """Log lines are JSON with t/wall/method/path/ua, written on arrival."""
    failures = []
    slow_path = "/tools/notify?" + urlencode({"email": f"log;sleep {DELAY}"})
    done = threading.Event()
    threading.Thread(target=lambda: (request(app, "GET", slow_path, {"User-Agent": "vigil-logprobe/1"}),
                                     done.set()), daemon=True).start()
    deadline, seen_early = time.monotonic() + DELAY - 1, False
    while time.monotonic() < deadline and not seen_early:
        time.sleep(0.1)
        with open(app.log_path, encoding="utf-8") as fh:
            seen_early = any(slow_path in line and "vigil-logprobe/1" in line for line in fh)
    if not seen_early or done.is_set():
        failures.append("log: slow request not logged on arrival")
    done.wait(DELAY + 10)
    last_t = 0.0
    with open(app.log_path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            failures.append(f"log line {n}: not JSON")
            continue
        if set(entry) != {"t", "wall", "method", "path", "ua"} or not all(
                isinstance(entry[k], float) for k in ("t", "wall")) or entry["t"] < last_t:
            failures.append(f"log line {n}: bad entry {line[:100]}")
        last_t = entry.get("t", last_t)
    if len(lines) < 50:
        failures.append(f"log: only {len(lines)} lines")
    return failures


def check_hardened_errors(app):
    """Any unhandled exception (here: {{1/0}} in the SSTI case) hides its traceback."""
    resp = request(app, "GET", "/greet?" + urlencode({"name": "{{1/0}}"}))
    leaked = "Traceback" in resp.text or "ZeroDivisionError" in resp.text
    return ["hardened: traceback shown"] if resp.status != 500 or leaked else []


def check_bind_refused():
    proc = subprocess.run([sys.executable, APP, "--port", "0", "--bind", "0.0.0.0"],
                          capture_output=True, text=True, timeout=15)
    return [] if proc.returncode != 0 and "READY" not in proc.stdout else ["--bind 0.0.0.0 accepted"]


# --------------------------------------------------------------------------

def main():
    started = time.monotonic()
    listener = Listener()
    ctx = {"listener": listener}
    with tempfile.TemporaryDirectory(prefix="vigil-selfcheck-") as workdir:
        apps = {"default": App("default", False, workdir), "hardened": App("hardened", True, workdir)}
        try:
            for app in apps.values():
                app.session = login(app)
            jobs = []
            for case in MANIFEST["cases"]:
                for name in ([case["instance"]] if "instance" in case else ["default", "hardened"]):
                    jobs.append((apps[name], case))
            with ThreadPoolExecutor(max_workers=16) as pool:
                rows = list(pool.map(lambda job: run_case(job[0], job[1], ctx), jobs))
                extra = list(pool.map(lambda f: f(), [
                    lambda: check_crawl(apps["default"]), lambda: check_found_from(apps["default"]),
                    lambda: check_login_flow(apps["default"]), lambda: check_login_flow(apps["hardened"]),
                    lambda: check_hardened_errors(apps["hardened"]), check_bind_refused]))
            extra.append(check_log(apps["default"]))  # after the rest: the log is complete
        finally:
            for app in apps.values():
                app.stop()
        listener.server.shutdown()

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'instance':<8}  {'class':<18} {'expect':<6} {'got':<6} result  evidence")
    for cid, inst, cls, expected, got, ok, evidence in rows:
        show = lambda v: "vuln" if v else ("safe" if v is False else "?")
        print(f"{cid:<{width}}  {inst:<8}  {cls:<18} {show(expected):<6} {show(got):<6} "
              f"{'PASS' if ok else 'FAIL':<6}  {evidence[:90]}")
    other = [f for group in extra for f in group]
    for failure in other:
        print("FAIL", failure)
    checks_other = len(extra)  # crawl, found_from, 2x login flow, hardened errors, bind, log
    failed_groups = sum(1 for group in extra if group)
    passed = sum(r[5] for r in rows) + checks_other - failed_groups
    failed = sum(not r[5] for r in rows) + failed_groups
    print(f"\n{len(rows)} case checks ({len(MANIFEST['cases'])} manifest cases), "
          f"{len(MANIFEST['crawl'])} crawl entries, {time.monotonic() - started:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
