#!/usr/bin/env python3
"""Vigil's deliberately vulnerable web application (test fixture).

Every vulnerable endpoint is really exploitable and sits beside a "safe twin"
that takes the same parameter and handles it correctly.  The default instance
also shows every passive weakness (headers, cookies, leaks, ...); the
``--hardened`` instance shows none of them.  The active cases behave the same
in both instances.  See README.md and manifest.json next to this file.

    python vulnapp.py --port PORT [--bind 127.0.0.1] [--hardened] [--log FILE]

Prints ``READY <port>`` once listening.  Binds loopback only.  It never opens
a network connection except the one the SSRF endpoint (/fetch) is told to make.
"""

import argparse
import contextlib
import html
import io
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2
from lxml import etree

# The only global mutable state: the session store and the database path.
SESSIONS = {}  # session token -> user name
SESSIONS_LOCK = threading.Lock()
DB_PATH = None

SESSION_COOKIE = "session"
TRACKING_COOKIE = "tracking_id"
TRUSTED_ORIGIN = "https://trusted.example"
MAX_BODY = 1 << 20
MAX_SLEEP_PER_REQUEST = 10.0  # cap for the sqlite sleep() function

LEAKY_SERVER = "Apache/2.4.49 (Unix) PHP/7.4.3"
LEAKY_HEADERS = [("X-Powered-By", "PHP/7.4.3")]
HARDENED_SERVER = "webserver"
HARDENED_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Referrer-Policy", "no-referrer"),
]

# Fake credentials, assembled at run time so that the source file itself does
# not trip secret scanners.
FAKE_AWS_KEY_ID = "AKIA" + "Y3VIGILFIXTURE7Q"
FAKE_AWS_SECRET = "q9Xw" + "Lr2VigilFixtureNotARealSecret0kT4mPz8"
FAKE_PRIVATE_KEY = ("-----BEGIN " + "RSA PRIVATE KEY-----\n"
                    "MIIEowIBAAKCAQEAvigilfixturevigilfixturevigilfixturevigilfixture\n"
                    "ZmFrZSBrZXkgZm9yIHRoZSBWaWdpbCB0ZXN0IGZpeHR1cmUsIG5vdCByZWFs\n"
                    "-----END " + "RSA PRIVATE KEY-----")

# --------------------------------------------------------------------------
# Static content
# --------------------------------------------------------------------------

APP_JS = """// Shop front-end helpers (linked from the index page).
function loadProducts(page) {
  return fetch('/api/products?page=' + (page || 1)).then(function (r) { return r.json(); });
}
function loadProfile() {
  return fetch('/api/profile', {credentials: 'include'}).then(function (r) { return r.json(); });
}
function searchProducts(name, safe) {
  var url = safe ? '/api/products/search-safe' : '/api/products/search';
  return fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                     body: JSON.stringify({name: name})}).then(function (r) { return r.json(); });
}
function previewMessage(message, safe) {
  var url = safe ? '/api/preview-safe' : '/api/preview';
  return fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                     body: JSON.stringify({message: message})}).then(function (r) { return r.text(); });
}
// Only referenced here, never linked from HTML.
var reportUrl = '/js-only/report';
"""

SPA_JS = """// Single-page app shell: every /app/... path returns the same page.
document.getElementById('root').textContent = 'Route: ' + location.pathname;
"""

XML_PAGE_JS = """
function sendOrder(safe) {
  var name = document.getElementById('item').value;
  var body = '<?xml version="1.0"?><order><name>' + name + '</name></order>';
  fetch(safe ? '/xml/parse-safe' : '/xml/parse',
        {method: 'POST', headers: {'Content-Type': 'application/xml'}, body: body})
    .then(function (r) { return r.text(); })
    .then(function (t) { document.getElementById('out').innerHTML = t; });
}
"""

STATIC_FILES = {
    "app.js": ("application/javascript", APP_JS),
    "spa.js": ("application/javascript", SPA_JS),
    "partner-widget.js": ("application/javascript", "// Partner widget (local copy).\n"),
    "style.css": ("text/css", "body { font-family: sans-serif; margin: 2em; }\n"),
    "motd.txt": ("text/plain", "Message of the day: all systems nominal.\n"),
    "banner.txt": ("text/plain", "Vigil test shop banner.\n"),
}

DOCS = {
    "intro.txt": "Welcome to the shop documentation.\n",
    "faq.txt": "Q: How do I order?\nA: Add items to the basket.\n",
}

FILES = {
    "report-2023.csv": "month,orders\n2023-01,120\n2023-02,98\n",
    "readme.txt": "Public downloads.\n",
}


def _ds_store():
    """A small but structurally plausible .DS_Store (buddy allocator header)."""
    names = b"".join(struct.pack(">I", len(n)) + n.encode("utf-16-be") + b"Iloc"
                     for n in ("index.php.bak", "backup.zip", "admin"))
    return b"\x00\x00\x00\x01Bud1" + struct.pack(">III", 0x1000, 0x800, 0x1000) + \
        b"\x00" * 16 + names + b"\x00" * 32


def _backup_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("shop/index.php", "<?php require 'config.php'; ?>\n")
        zf.writestr("shop/config.php", "<?php $db_pass = 'hunter2'; ?>\n")
    return buf.getvalue()


PHPINFO = """<!DOCTYPE html><html><head><title>PHP 7.4.3 - phpinfo()</title></head><body>
<div class="center"><table><tr class="h"><td><h1 class="p">PHP Version 7.4.3</h1></td></tr></table>
<table>
<tr><td class="e">System </td><td class="v">Linux shop 5.4.0-42-generic #46-Ubuntu SMP x86_64 </td></tr>
<tr><td class="e">Build Date </td><td class="v">Mar 20 2020 13:47:54 </td></tr>
<tr><td class="e">Server API </td><td class="v">Apache 2.0 Handler </td></tr>
<tr><td class="e">Loaded Configuration File </td><td class="v">/etc/php/7.4/apache2/php.ini </td></tr>
<tr><td class="e">PHP API </td><td class="v">20190902 </td></tr>
<tr><td class="e">display_errors</td><td class="v">On</td><td class="v">On</td></tr>
<tr><td class="e">allow_url_include</td><td class="v">Off</td><td class="v">Off</td></tr>
</table></div></body></html>
"""

# path -> (content type, body); served by the default instance only.
SENSITIVE_FILES = {
    "/.git/HEAD": ("text/plain", "ref: refs/heads/main\n"),
    "/.git/config": ("text/plain", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"
                     "\tbare = false\n[remote \"origin\"]\n\turl = https://git.example.invalid/shop/shop.git\n"
                     "\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n"),
    "/.env": ("text/plain", "APP_ENV=production\nAPP_KEY=base64:dmlnaWwtZml4dHVyZS1hcHAta2V5LTAwMDE=\n"
              "DB_HOST=db\nDB_USERNAME=shop\nDB_PASSWORD=Sup3rS3cretDbPass!\n"),
    "/index.php.bak": ("application/octet-stream",
                       "<?php\n// Shop front controller\n"
                       "$db = new mysqli('db', 'shop', 'Sup3rS3cretDbPass!', 'shop');\n$id = $_GET['id'];\n"
                       "$res = $db->query(\"SELECT * FROM products WHERE id = $id\");\n?>\n"),
    "/phpinfo.php": ("text/html; charset=utf-8", PHPINFO),
    "/.DS_Store": ("application/octet-stream", _ds_store()),
    "/web.config": ("application/xml", "<?xml version=\"1.0\"?>\n<configuration>\n  <connectionStrings>\n"
                    "    <add name=\"Shop\" connectionString=\"Server=db;Database=shop;User Id=shop;"
                    "Password=Sup3rS3cretDbPass!\" />\n  </connectionStrings>\n</configuration>\n"),
    "/.svn/entries": ("text/plain", "10\n\ndir\n1842\nhttps://svn.example.invalid/repos/shop/trunk\n"
                      "https://svn.example.invalid/repos/shop\n\n\n\n2019-05-02T10:11:12.000000Z\n1842\nbob\n"),
    "/backup.zip": ("application/zip", _backup_zip()),
}


def esc(value):
    """HTML-escape text, quotes included (safe for text and quoted attributes)."""
    return html.escape(str(value), quote=True)


def sql_error_text(exc):
    """The error text an unguarded app shows, e.g. 'sqlite3.OperationalError: ...'."""
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


# --------------------------------------------------------------------------
# Set-up: database and on-disk directories
# --------------------------------------------------------------------------

def create_database(path):
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, stock INTEGER);
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, password TEXT, email TEXT);
        CREATE TABLE visits (tracking_id TEXT, page TEXT, ts TEXT);
    """)
    kinds = ["Widget", "Gadget", "Gizmo", "Sprocket"]
    conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?)",
                     [(i, f"{kinds[i % 4]} {i}", round(2.5 + i * 0.75, 2), (i * 7) % 50)
                      for i in range(1, 201)])
    conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", [
        (1, "alice", "wonderland", "alice@example.invalid"),
        (2, "bob", "builder", "bob@example.invalid"),
    ])
    conn.executemany("INSERT INTO visits VALUES (?, ?, ?)", [
        ("t-1000", "/", "2024-01-01T10:00:00"), ("t-1000", "/catalog", "2024-01-01T10:01:00"),
    ])
    conn.commit()
    conn.close()


@contextlib.contextmanager
def db_connect():
    """Read-only connection with a sleep(seconds) SQL function (capped per request)."""
    conn = sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True, timeout=5)
    budget = [MAX_SLEEP_PER_REQUEST]

    def sql_sleep(seconds):
        try:
            wanted = float(seconds)
        except (TypeError, ValueError):
            return 0
        wanted = max(0.0, min(wanted, budget[0]))
        budget[0] -= wanted
        time.sleep(wanted)
        return 0

    conn.create_function("sleep", 1, sql_sleep)
    try:
        yield conn
    finally:
        conn.close()


def run_shell(command, timeout=10):
    """Run a shell command line; on timeout kill the whole process group.

    subprocess.run(..., shell=True, timeout=...) only kills the shell, and then
    waits for the pipes that an orphaned `sleep` still holds open.
    """
    proc = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += "\n[timed out]"
    return out


# --------------------------------------------------------------------------
# HTTP handler
# --------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response sets Content-Length
    timeout = 30  # idle keep-alive connections are closed after this

    # (methods, path regex, handler method).  Groups are URL-decoded and passed on.
    ROUTES = [
        ("GET", r"/", "index"),
        ("GET", r"/about", "about"),
        ("GET", r"/products", "products"),
        ("GET", r"/robots\.txt", "robots"),
        ("GET", r"/sitemap\.xml", "sitemap"),
        ("GET", r"/static/(?P<name>[^/]+)", "static"),
        ("GET", r"/(?P<page>sitemap-only|js-only/report|inline-only/stats|api-only/changelog"
                r"|deals-via-redirect)", "discovered"),
        ("GET", r"/go/deals", "go_deals"),
        ("GET", r"/catalog", "catalog"),
        ("GET", r"/product", "product"),
        ("GET", r"/deep/(?P<level>[0-9]+)", "deep"),
        ("GET", r"/app(?P<rest>/.*)?", "spa"),
        # Authentication
        ("GET POST", r"/login", "login"),
        ("GET", r"/logout", "logout"),
        ("GET", r"/account/?", "account"),
        ("GET", r"/account/(?P<variant>profile|profile-safe)", "account_profile"),
        # XSS
        ("GET", r"/xss/", "xss_hub"),
        ("GET", r"/xss/(?P<variant>html|html-safe)", "xss_html"),
        ("GET", r"/xss/(?P<variant>attr|attr-safe)", "xss_attr"),
        ("GET", r"/xss/(?P<variant>script|script-safe)", "xss_script"),
        ("GET", r"/xss/(?P<variant>link|link-safe)", "xss_link"),
        ("GET POST", r"/xss/(?P<variant>form|form-safe)", "xss_form"),
        ("GET", r"/xss/(?P<variant>ua|ua-safe)", "xss_ua"),
        ("POST", r"/api/(?P<variant>preview|preview-safe)", "xss_json"),
        ("GET", r"/hidden-from-robots/", "hidden_hub"),
        ("GET", r"/hidden-from-robots/(?P<variant>search|search-safe)", "xss_hidden"),
        # SQL injection
        ("GET", r"/sql/", "sql_hub"),
        ("GET", r"/sql/(?P<variant>search|search-safe)", "sqli_error"),
        ("GET", r"/sql/(?P<variant>item|item-safe)", "sqli_boolean"),
        ("GET", r"/sql/(?P<variant>stock|stock-safe)", "sqli_time"),
        ("GET", r"/(?P<variant>items|items-safe)/(?P<item_id>[^/]+)", "sqli_path"),
        ("POST", r"/api/products/(?P<variant>search|search-safe)", "sqli_json"),
        ("GET", r"/(?P<variant>track|track-safe)", "sqli_cookie"),
        ("GET", r"/api/products", "api_products"),
        ("GET", r"/api/profile", "api_profile"),
        # Other injection classes
        ("GET", r"/tools/", "tools_hub"),
        ("GET", r"/docs", "docs_hub"),
        ("GET", r"/docs/(?P<variant>view|view-safe)", "traversal"),
        ("GET", r"/tools/(?P<variant>lookup|lookup-safe)", "cmd"),
        ("GET", r"/tools/(?P<variant>notify|notify-safe)", "cmd_blind"),
        ("GET", r"/(?P<variant>redirect|redirect-safe)", "redirect"),
        ("GET", r"/tools/(?P<variant>lang|lang-safe)", "crlf"),
        ("GET", r"/(?P<variant>greet|greet-safe)", "ssti"),
        ("GET", r"/xml/", "xml_hub"),
        ("POST", r"/xml/(?P<variant>parse|parse-safe)", "xxe"),
        ("GET", r"/(?P<variant>fetch|fetch-safe)", "ssrf"),
        # Passive findings (default instance only)
        ("GET", r"/debug/crash", "crash"),
        ("GET", r"/files/", "files_index"),
        ("GET", r"/files/(?P<name>[^/]+)", "files_get"),
        ("GET", r"/partners", "partners"),
        ("GET", r"/status", "status"),
        ("GET", r"/support/notes", "notes"),
        ("GET", "(?:%s)" % "|".join(re.escape(p) for p in SENSITIVE_FILES), "sensitive"),
    ]
    COMPILED = [(m.split(), re.compile(p + r"\Z"), n) for m, p, n in ROUTES]

    # ---- http.server hooks -------------------------------------------------

    @property
    def hardened(self):
        return self.server.hardened

    def version_string(self):
        # http.server would send "BaseHTTP/0.6 Python/3.11.x".
        return HARDENED_SERVER if self.hardened else LEAKY_SERVER

    def log_message(self, fmt, *args):
        pass  # the JSON request log (--log) replaces the stderr access log

    def parse_request(self):
        ok = super().parse_request()
        if ok:
            self.server.log_arrival(self)  # before handling: slow endpoints log arrival time
        return ok

    def end_headers(self):
        for name, value in (HARDENED_HEADERS if self.hardened else LEAKY_HEADERS):
            self.send_header(name, value)
        super().end_headers()

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")  # CORS preflight; same answer for every path

    # ---- request parsing and dispatch ------------------------------------

    def dispatch(self, method):
        self.responded = False
        self.url = urlsplit(self.path)
        self.query = {k: v[0] for k, v in parse_qs(self.url.query, keep_blank_values=True).items()}
        self.cookies = {}
        for part in "; ".join(self.headers.get_all("Cookie") or []).split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                self.cookies.setdefault(name, unquote(value))
        try:
            self.body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.respond(413, "Request body too large or malformed", "text/plain")
        if method == "OPTIONS":
            return self.respond(204, "", headers=[("Allow", "GET, HEAD, POST, OPTIONS"),
                                                  ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                                                  ("Access-Control-Allow-Headers", "Content-Type")])
        allowed = []
        for methods, regex, name in self.COMPILED:
            match = regex.match(self.url.path)
            if not match:
                continue
            if method not in methods:
                allowed += methods
                continue
            args = {k: unquote(v or "") for k, v in match.groupdict().items()}
            try:
                return getattr(self, "h_" + name)(**args)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return None
            except Exception:
                return self.server_error()
        if allowed:
            return self.respond(405, f"Method not allowed; use {', '.join(allowed)}.\n",
                                "text/plain", headers=[("Allow", ", ".join(allowed))])
        return self.not_found()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > MAX_BODY:
                    raise ValueError("too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad length")
        return self.rfile.read(length) if length else b""

    def form(self):
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}

    def json_body(self):
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def base_url(self):
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return "http://" + host

    def current_user(self):
        with SESSIONS_LOCK:
            return SESSIONS.get(self.cookies.get(SESSION_COOKIE, ""))

    def cookie_attrs(self):
        return "Path=/; Secure; HttpOnly; SameSite=Lax" if self.hardened else "Path=/"

    # ---- responses ---------------------------------------------------------

    def put_header(self, name, value, raw=False):
        """Send a header.  Values are stripped of CR/LF unless raw=True, because
        http.server's send_header writes the value bytes verbatim."""
        value = str(value)
        if not raw:
            value = value.replace("\r", "").replace("\n", "")
        self.send_header(name, value.encode("latin-1", "replace").decode("latin-1"))

    def respond(self, status, body, ctype="text/html; charset=utf-8", headers=(), raw_headers=()):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.responded = True
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.put_header(name, value)
        for name, value in raw_headers:
            self.put_header(name, value, raw=True)
        if self.url.path.startswith("/api/"):
            self.cors_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def cors_headers(self):
        origin = self.headers.get("Origin")
        # Default: reflects any Origin and allows credentials (the CORS weakness).
        if origin and (not self.hardened or origin == TRUSTED_ORIGIN):
            self.put_header("Access-Control-Allow-Origin", origin)
            self.put_header("Access-Control-Allow-Credentials", "true")
        self.put_header("Vary", "Origin")

    def page(self, title, body, status=200, headers=(), raw_headers=(), head=""):
        user = self.current_user()
        nav = '<a href="/">Home</a> | ' + ('<a href="/account">Account</a>' if user
                                             else '<a href="/login">Log in</a>')
        doc = (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{esc(title)}</title>'
               f'<link rel="stylesheet" href="/static/style.css">{head}</head>\n'
               f'<body><nav>{nav}</nav>\n<h1>{esc(title)}</h1>\n{body}\n</body></html>\n')
        self.respond(status, doc, headers=headers, raw_headers=raw_headers)

    def json(self, data, status=200, headers=()):
        self.respond(status, json.dumps(data, indent=1), "application/json", headers=headers)

    def redirect(self, location, headers=()):
        self.respond(302, f'<a href="{esc(location)}">Moved</a>\n',
                     headers=[("Location", location), *headers])

    def not_found(self):
        if self.hardened:
            return self.respond(404, "<!DOCTYPE html><title>Not found</title><h1>Not found</h1>\n")
        port = self.server.server_address[1]
        return self.respond(404, f"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>"
                                 f"<title>404 Not Found</title></head><body><h1>Not Found</h1>\n<p>The "
                                 f"requested URL was not found on this server.</p>\n<hr><address>"
                                 f"{LEAKY_SERVER} Server at 127.0.0.1 Port {port}</address></body></html>\n")

    def server_error(self):
        if self.responded:  # headers already out: nothing sensible left to send
            self.close_connection = True
            return
        if self.hardened:
            return self.respond(500, "<!DOCTYPE html><title>Error</title><h1>Something went wrong</h1>"
                                     f"<p>Incident {secrets.token_hex(4)}.</p>\n")
        self.page("Internal Server Error", "<p>An unhandled exception occurred:</p>\n"
                  f"<pre>{esc(traceback.format_exc())}</pre>", status=500)

    # ---- site pages and crawler features ---------------------------------

    def h_index(self):
        base = esc(self.base_url())
        self.page("Vigil test shop", f"""
<p id="main">A deliberately vulnerable shop used by Vigil's tests.</p>
<ul>
 <li><a href="about">About us</a> (relative link)</li>
 <li><a href="{base}/products">Products</a> (absolute link)</li>
 <li><a href="/docs#top">Documentation</a> (link with fragment)</li>
 <li><a href="#main">Skip to content</a></li>
 <li><a href="http://example.invalid/">Partner site</a> (external: do not follow)</li>
 <li><a href="/catalog?page=1">Catalogue</a> | <a href="/go/deals">Today's deals</a> |
     <a href="/deep/1">Archive</a> | <a href="/app/">Web app</a></li>
 <li><a href="/xss/">XSS lab</a> | <a href="/sql/">SQL lab</a> | <a href="/tools/">Tools</a> |
     <a href="/xml/">XML orders</a></li>
 <li><a href="/files/">Downloads</a> | <a href="/partners">Partners</a> | <a href="/status">Status</a> |
     <a href="/support/notes">Support notes</a> | <a href="/debug/crash">Crash report</a></li>
 <li><a href="/login">Log in</a> | <a href="/account">Account</a> | <a href="/logout">Log out</a></li>
</ul>
<form action="/xss/html" method="get"><input name="q" value=""><button>Search</button></form>
<form action="/xss/form" method="post"><textarea name="comment"></textarea><button>Comment</button></form>
<script src="/static/app.js"></script>
<script>var statsEndpoint = "/inline-only/stats";</script>""")

    def h_about(self):
        self.page("About", "<p>We sell widgets since 2001.</p>")

    def h_products(self):
        self.page("Products", '<p>Browse the <a href="/catalog?page=1">catalogue</a>.</p>')

    def h_robots(self):
        self.respond(200, "User-agent: *\nDisallow: /hidden-from-robots/\n"
                          f"Sitemap: {self.base_url()}/sitemap.xml\n", "text/plain")

    def h_sitemap(self):
        base = esc(self.base_url())
        urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in ("/", "/about", "/sitemap-only"))
        self.respond(200, '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                          f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n',
                     "application/xml")

    def h_static(self, name):
        if name not in STATIC_FILES:
            return self.not_found()
        ctype, body = STATIC_FILES[name]
        self.respond(200, body, ctype)

    def h_discovered(self, page):
        extra = ""
        if page == "sitemap-only":  # the SSTI cases are only linked from here
            extra = ('<p><a href="/greet?name=World">Greeting</a> | '
                     '<a href="/greet-safe?name=World">Greeting (safe)</a></p>')
        self.page("Hidden page", f"<p>You found <code>/{esc(page)}</code>.</p>{extra}")

    def h_go_deals(self):
        self.redirect("/deals-via-redirect")

    def h_catalog(self):
        page = int(self.query["page"]) if self.query.get("page", "").isdigit() else 1
        page = max(1, min(page, 10))
        links = "".join(f'<li><a href="/product?id={i}">Product {i}</a></li>'
                        for i in range((page - 1) * 20 + 1, page * 20 + 1))
        nav = "".join(f' <a href="/catalog?page={p}">{p}</a>' for p in range(1, 11))
        self.page(f"Catalogue page {page}", f"<ul>{links}</ul><p>Pages:{nav}</p>")

    def h_product(self):
        product_id = self.query.get("id", "")
        with db_connect() as conn:  # bound parameter: not injectable
            row = conn.execute("SELECT name, price FROM products WHERE id = ?", (product_id,)).fetchone()
        if not row:
            return self.not_found()
        self.page(row[0], f"<p>Price: {row[1]:.2f}</p>")

    def h_deep(self, level):
        level = int(level)
        if not 1 <= level <= 6:
            return self.not_found()
        nxt = f'<a href="/deep/{level + 1}">Go deeper</a>' if level < 6 else "<p>Bottom of the archive.</p>"
        self.page(f"Archive level {level}", nxt)

    def h_spa(self, rest):
        # Soft-404 trap: any /app/... path answers 200 with the same shell page.
        self.page("Web app", '<div id="root">Loading...</div><script src="/static/spa.js"></script>')

    # ---- authentication --------------------------------------------------

    def login_form(self, message=""):
        # Default: explicit http:// action (form-over-http).  Hardened: the form
        # posts to https:// (the hardened site is meant to be served over TLS).
        scheme_base = self.base_url()
        if self.hardened:
            scheme_base = "https://" + scheme_base[len("http://"):]
        self.page("Log in", f"""<p class="msg">{esc(message)}</p>
<form method="post" action="{esc(scheme_base)}/login">
 <label>User <input name="username"></label>
 <label>Password <input type="password" name="password"></label>
 <button>Log in</button></form>""")

    def h_login(self):
        if self.command != "POST":
            return self.login_form()
        form = self.form()
        with db_connect() as conn:
            row = conn.execute("SELECT username FROM users WHERE username = ? AND password = ?",
                               (form.get("username", ""), form.get("password", ""))).fetchone()
        if not row:
            return self.login_form("Invalid username or password.")
        token = secrets.token_hex(16)
        with SESSIONS_LOCK:
            SESSIONS[token] = row[0]
        self.redirect("/account", headers=[("Set-Cookie", f"{SESSION_COOKIE}={token}; {self.cookie_attrs()}")])

    def h_logout(self):
        with SESSIONS_LOCK:
            SESSIONS.pop(self.cookies.get(SESSION_COOKIE, ""), None)
        self.redirect("/", headers=[("Set-Cookie", f"{SESSION_COOKIE}=; Max-Age=0; {self.cookie_attrs()}")])

    def h_account(self):
        user = self.current_user()
        if not user:
            return self.redirect("/login")
        self.page("Your account", f"""<p>Welcome, {esc(user)}</p>
<p><a href="/account/profile?display=Alice">Profile preview</a> |
<a href="/account/profile-safe?display=Alice">Profile preview (safe)</a> | <a href="/logout">Log out</a></p>""")

    def h_account_profile(self, variant):
        if not self.current_user():
            return self.redirect("/login")
        display = self.query.get("display", "")
        shown = display if variant == "profile" else esc(display)  # VULN: unescaped
        self.page("Profile preview", f"<h2>{shown}</h2>")

    # ---- XSS -------------------------------------------------------------

    def h_xss_hub(self):
        links = [("html", "q=hello"), ("attr", "name=hello"), ("script", "term=hello"),
                 ("link", "url=https://example.invalid/"), ("form", ""), ("ua", "")]
        items = "".join(f'<li><a href="/xss/{p}{q and "?" + q}">{p}</a> | '
                        f'<a href="/xss/{p}-safe{q and "?" + q}">{p} (safe)</a></li>' for p, q in links)
        self.page("XSS lab", f'<ul>{items}</ul><p>JSON: see <a href="/static/app.js">app.js</a>.</p>')

    def h_xss_html(self, variant):
        q = self.query.get("q", "")
        shown = q if variant == "html" else esc(q)  # VULN: HTML text context
        self.page("Search", f"<p>You searched for: {shown}</p>")

    def h_xss_attr(self, variant):
        name = self.query.get("name", "")
        shown = name if variant == "attr" else esc(name)  # VULN: breaks out of value="..."
        self.page("Name", f'<form><input type="text" name="name" value="{shown}"><button>Go</button></form>')

    def h_xss_script(self, variant):
        term = self.query.get("term", "")
        if variant == "script":
            literal = f'"{term}"'  # VULN: raw inside a JS string literal
        else:  # JSON-encode, and keep the HTML parser from seeing </script> or <!--
            literal = json.dumps(term).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        self.page("Script", f"<script>var term = {literal};\nconsole.log(term);</script><p>Term logged.</p>")

    def h_xss_link(self, variant):
        url = self.query.get("url", "")
        if variant == "link-safe" and not (url.lower().startswith(("http://", "https://"))
                                           and all(ord(c) > 0x20 for c in url)):
            url = "#"  # safe: only http(s) URLs may become links
        # Both escape HTML; only the vulnerable one lets javascript: through.
        self.page("Your website", f'<p><a href="{esc(url)}">your website</a></p>')

    def h_xss_form(self, variant):
        if self.command != "POST":
            return self.page("Comment", """
<form method="post" action="/xss/form"><textarea name="comment"></textarea><button>Preview</button></form>
<form method="post" action="/xss/form-safe"><textarea name="comment"></textarea>
<button>Preview (safe)</button></form>""")
        comment = self.form().get("comment", "")
        shown = comment if variant == "form" else esc(comment)  # VULN: POST form reflected
        self.page("Comment preview", f"<div class=\"comment\">{shown}</div>")

    def h_xss_ua(self, variant):
        ua = self.headers.get("User-Agent", "")
        shown = ua if variant == "ua" else esc(ua)  # VULN: User-Agent header reflected
        self.page("Browser check", f"<p>Your browser: {shown}</p>")

    def h_xss_json(self, variant):
        data = self.json_body()
        if data is None:
            return self.json({"error": "expected a JSON object"}, 400)
        message = str(data.get("message", ""))
        shown = message if variant == "preview" else esc(message)  # VULN: JSON body into HTML
        self.respond(200, f'<div class="preview">{shown}</div>\n')

    def h_hidden_hub(self):
        self.page("Hidden", '<p><a href="/hidden-from-robots/search?q=x">Search</a> | '
                            '<a href="/hidden-from-robots/search-safe?q=x">Search (safe)</a></p>')

    def h_xss_hidden(self, variant):
        q = self.query.get("q", "")
        shown = q if variant == "search" else esc(q)  # VULN: HTML text context
        self.page("Hidden search", f"<p>Results for {shown}</p>")

    # ---- SQL injection ---------------------------------------------------

    def h_sql_hub(self):
        self.page("SQL lab", """<ul>
<li><a href="/sql/search?q=Widget">Search</a> | <a href="/sql/search-safe?q=Widget">Search (safe)</a></li>
<li><a href="/sql/item?id=1">Item</a> | <a href="/sql/item-safe?id=1">Item (safe)</a></li>
<li><a href="/sql/stock?id=1">Stock check</a> | <a href="/sql/stock-safe?id=1">Stock check (safe)</a></li>
<li><a href="/track">Visit history</a> | <a href="/track-safe">Visit history (safe)</a></li></ul>""")

    def product_rows(self, rows):
        return "<ul>" + "".join(f"<li>{esc(r[0])}: {esc(r[1])}</li>" for r in rows) + "</ul>"

    @staticmethod
    def run_query(vulnerable, concatenated, bound, params):
        """The vulnerable variant runs SQL built by concatenation, the safe twin
        the same query with bound parameters."""
        with db_connect() as conn:
            if vulnerable:
                return conn.execute(concatenated).fetchall()
            return conn.execute(bound, params).fetchall()

    def sql_error_page(self, title, exc, headers=()):
        self.page(title, f'<p class="error">{esc(sql_error_text(exc))}</p>', status=500, headers=headers)

    def h_sqli_error(self, variant):
        q = self.query.get("q", "")
        try:  # VULN (search): string concatenation, SQLite error text shown
            rows = self.run_query(variant == "search",
                                  f"SELECT name, price FROM products WHERE name LIKE '%{q}%' LIMIT 20",
                                  "SELECT name, price FROM products WHERE name LIKE ? LIMIT 20", (f"%{q}%",))
        except sqlite3.Error as exc:
            return self.sql_error_page("Search", exc)
        self.page("Search", f"<p>{len(rows)} result(s)</p>{self.product_rows(rows)}")

    def h_sqli_boolean(self, variant):
        item_id = self.query.get("id", "")
        try:  # VULN (item): numeric concatenation; errors swallowed, only the rows differ
            rows = self.run_query(variant == "item",
                                  f"SELECT name, price FROM products WHERE id = {item_id}",
                                  "SELECT name, price FROM products WHERE id = ?", (item_id,))
        except sqlite3.Error:
            rows = []
        self.page("Item", self.product_rows(rows) if rows else "<p>No such item.</p>")

    def h_sqli_time(self, variant):
        item_id = self.query.get("id", "")
        try:  # VULN (stock): time-based blind; the page never changes
            self.run_query(variant == "stock", f"SELECT stock FROM products WHERE id = {item_id}",
                           "SELECT stock FROM products WHERE id = ?", (item_id,))
        except sqlite3.Error:
            pass
        self.page("Stock check", "<p>Your stock check request was received.</p>")

    def h_sqli_path(self, variant, item_id):
        try:  # VULN (items): URL-decoded path segment concatenated
            rows = self.run_query(variant == "items",
                                  f"SELECT name, price FROM products WHERE id = {item_id}",
                                  "SELECT name, price FROM products WHERE id = ?", (item_id,))
        except sqlite3.Error as exc:
            return self.sql_error_page("Item", exc)
        if not rows:
            return self.page("Item", "<p>No such item.</p>", status=404)
        self.page("Item", self.product_rows(rows))

    def h_sqli_json(self, variant):
        data = self.json_body()
        if data is None:
            return self.json({"error": "expected a JSON object"}, 400)
        name = str(data.get("name", ""))
        try:  # VULN (search): JSON field concatenated
            rows = self.run_query(variant == "search",
                                  f"SELECT id, name, price FROM products WHERE name LIKE '%{name}%' LIMIT 20",
                                  "SELECT id, name, price FROM products WHERE name LIKE ? LIMIT 20",
                                  (f"%{name}%",))
        except sqlite3.Error as exc:
            return self.json({"error": sql_error_text(exc)}, 500)
        self.json({"results": [{"id": r[0], "name": r[1], "price": r[2]} for r in rows]})

    def h_sqli_cookie(self, variant):
        tracking_id = self.cookies.get(TRACKING_COOKIE)
        headers = []
        if tracking_id is None:
            tracking_id = "t-" + secrets.token_hex(4)
            headers.append(("Set-Cookie", f"{TRACKING_COOKIE}={tracking_id}; {self.cookie_attrs()}"))
        try:  # VULN (track): cookie value concatenated
            rows = self.run_query(variant == "track",
                                  f"SELECT page, ts FROM visits WHERE tracking_id = '{tracking_id}'",
                                  "SELECT page, ts FROM visits WHERE tracking_id = ?", (tracking_id,))
        except sqlite3.Error as exc:
            return self.sql_error_page("Visits", exc, headers)
        self.page("Visits", f"<p>{len(rows)} earlier visit(s)</p>{self.product_rows(rows)}", headers=headers)

    def h_api_products(self):
        page = int(self.query["page"]) if self.query.get("page", "").isdigit() else 1
        page = max(1, min(page, 4))
        items = [{"id": i, "name": f"Product {i}", "url": f"/items/{i}", "safe_url": f"/items-safe/{i}"}
                 for i in range((page - 1) * 5 + 1, page * 5 + 1)]
        self.json({"page": page, "items": items, "changelog": "/api-only/changelog",
                   "next": f"/api/products?page={page + 1}" if page < 4 else None})

    def h_api_profile(self):
        user = self.current_user()
        self.json({"user": user, "email": f"{user}@example.invalid" if user else None})

    # ---- traversal, command injection, redirect, CRLF, SSTI, XXE, SSRF ------

    def h_tools_hub(self):
        self.page("Tools", """<ul>
<li><a href="/tools/lookup?host=example.com">Lookup</a> |
    <a href="/tools/lookup-safe?host=example.com">Lookup (safe)</a></li>
<li><form action="/tools/notify"><input name="email" value="me@example.invalid"><button>Notify</button></form>
    <form action="/tools/notify-safe"><input name="email" value="me@example.invalid">
    <button>Notify (safe)</button></form></li>
<li><a href="/redirect?next=/account">Continue</a> |
    <a href="/redirect-safe?next=/account">Continue (safe)</a></li>
<li><a href="/tools/lang?lang=en">English</a> | <a href="/tools/lang-safe?lang=en">English (safe)</a></li>
<li><a href="/fetch?url=/static/motd.txt">Message of the day</a> |
    <a href="/fetch-safe?url=/static/motd.txt">Message of the day (safe)</a></li>
<li><a href="/docs">Documentation</a></li></ul>""")

    def h_docs_hub(self):
        items = "".join(f'<li><a href="/docs/view?file={n}">{n}</a> | '
                        f'<a href="/docs/view-safe?file={n}">{n} (safe)</a></li>' for n in DOCS)
        self.page("Documentation", f'<a id="top"></a><ul>{items}</ul>')

    def h_traversal(self, variant):
        docs_dir = self.server.docs_dir
        name = self.query.get("file", "")
        path = os.path.join(docs_dir, name)  # VULN (view): ../ and absolute paths escape
        if variant == "view-safe":
            path = os.path.realpath(path)
            if os.path.commonpath([path, docs_dir]) != docs_dir:
                return self.page("Document", "<p>Refused: outside the documentation folder.</p>", status=403)
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(65536)
        except OSError as exc:
            return self.page("Document", f"<p>Cannot open document: {esc(exc.strerror)}</p>", status=404)
        self.page("Document", f"<pre>{esc(text)}</pre>")

    def h_cmd(self, variant):
        host = self.query.get("host", "")
        if variant == "lookup":  # VULN: shell command line built from input
            out = run_shell("printf 'Looking up %s\\n' " + host)
        else:
            out = subprocess.run(["printf", "Looking up %s\\n", host], capture_output=True,
                                 text=True, timeout=10).stdout
        self.page("Lookup", f"<pre>{esc(out)}</pre>")

    def h_cmd_blind(self, variant):
        email = self.query.get("email", "")
        if variant == "notify":  # VULN: blind; output discarded, only timing shows
            run_shell("printf 'Notify %s\\n' " + email + " >/dev/null 2>&1")
        else:
            subprocess.run(["printf", "Notify %s\\n", email], capture_output=True, timeout=10)
        self.page("Notification", "<p>Notification queued.</p>")

    def h_redirect(self, variant):
        target = self.query.get("next", "/")
        if variant == "redirect-safe":  # only same-site relative paths
            if (not target.startswith("/") or target.startswith("//") or "\\" in target
                    or any(ord(c) < 0x21 for c in target)):
                target = "/"
        self.redirect(target)  # VULN (redirect): any absolute URL

    def h_crlf(self, variant):
        lang = self.query.get("lang", "en")
        if variant == "lang":  # VULN: raw header value, %0d%0a starts a new header
            return self.page("Language", f"<p>Language set to {esc(lang)}.</p>",
                             raw_headers=[("Content-Language", lang)])
        self.page("Language", f"<p>Language set to {esc(lang)}.</p>", headers=[("Content-Language", lang)])

    def h_ssti(self, variant):
        name = self.query.get("name", "")
        try:
            if variant == "greet":  # VULN: user input is the template source
                text = jinja2.Template("Hello " + name + "!").render()
            else:
                text = jinja2.Template("Hello {{ name }}!").render(name=name)
        except jinja2.TemplateError as exc:
            return self.page("Greeting", f"<p>Template error: {esc(exc)}</p>", status=500)
        # Escaped on output, so the SSTI case is not also an XSS case.
        self.page("Greeting", f"<p>{esc(text)}</p>")

    def h_xml_hub(self):
        self.page("XML orders", """<p>Orders are posted as <code>application/xml</code> to
<code>/xml/parse</code> (or <code>/xml/parse-safe</code>), e.g.
<code>&lt;order&gt;&lt;name&gt;Widget&lt;/name&gt;&lt;/order&gt;</code>.</p>
<input id="item" value="Widget"><button onclick="sendOrder(false)">Order</button>
<button onclick="sendOrder(true)">Order (safe)</button><div id="out"></div>""",
                  head=f"<script>{XML_PAGE_JS}</script>")

    def h_xxe(self, variant):
        if variant == "parse":  # VULN: DTDs loaded, external entities resolved (file://)
            parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
        else:
            parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
        try:
            root = etree.fromstring(self.body, parser)
        except etree.XMLSyntaxError as exc:
            return self.respond(400, f"<p>XML error: {esc(exc)}</p>\n")
        node = root.find(".//name")
        name = "".join((node if node is not None else root).itertext())
        self.respond(200, f"<p>Order received for: {esc(name)}</p>\n")

    def h_ssrf(self, variant):
        url = self.query.get("url", "")
        if variant == "fetch-safe":  # allowlist: only our own /static/ files, read locally
            parts = urlsplit(url)
            own = not parts.scheme or (parts.scheme in ("http", "https")
                                       and parts.netloc == self.headers.get("Host"))
            name = parts.path[len("/static/"):] if parts.path.startswith("/static/") else None
            if not own or name not in STATIC_FILES:
                return self.page("Fetch", "<p>Refused: URL not on the allowlist.</p>", status=400)
            return self.page("Fetch", f"<pre>{esc(STATIC_FILES[name][1])}</pre>")
        if url.startswith("/"):
            url = self.base_url() + url
        # VULN: any URL.  No proxies from the environment: only the URL we were told.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=5) as resp:
                text = resp.read(65536).decode("utf-8", "replace")
        except Exception as exc:  # urllib raises many kinds
            return self.page("Fetch", f"<p>Fetch failed: {esc(exc)}</p>", status=502)
        self.page("Fetch", f"<pre>{esc(text)}</pre>")

    # ---- passive findings ------------------------------------------------

    def h_crash(self):
        stats = {"orders": 12, "days_open": 0}
        self.page("Crash report", f"<p>Orders per day: {stats['orders'] / stats['days_open']}</p>")

    def h_files_index(self):
        if self.hardened:
            return self.page("Forbidden", "<p>Directory listing is disabled.</p>", status=403)
        names = sorted(os.listdir(self.server.files_dir))
        rows = "".join(f'<li><a href="{esc(n)}">{esc(n)}</a></li>' for n in names)
        self.respond(200, '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head><title>'
                          'Index of /files/</title></head><body><h1>Index of /files/</h1>\n<ul><li>'
                          f'<a href="/">Parent Directory</a></li>{rows}</ul></body></html>\n')

    def h_files_get(self, name):
        if name not in os.listdir(self.server.files_dir):
            return self.not_found()
        with open(os.path.join(self.server.files_dir, name), "rb") as fh:
            self.respond(200, fh.read(), "text/plain; charset=utf-8")

    def h_partners(self):
        if self.hardened:
            widget = '<script src="/static/partner-widget.js"></script>'
        else:  # mixed content (only matters when the page is served over https)
            widget = ('<script src="http://cdn.example.invalid/partner-widget.js"></script>'
                      '<img src="http://cdn.example.invalid/logo.png" alt="logo">')
        self.page("Partners", f"<p>Our partners.</p>{widget}")

    def h_status(self):
        if self.hardened:
            return self.page("Status", "<p>Database: ok. Cache: ok.</p>")
        self.page("Status", "<p>Database: ok (primary 10.0.3.17:5432).</p>"
                            "<p>Cache: ok (192.168.1.20:6379).</p>")

    def h_notes(self):
        if self.hardened:
            return self.page("Support notes", "<p>Credentials live in the vault; ask ops.</p>")
        self.page("Support notes", f"""<p>Deploy notes (do not publish!):</p>
<pre>aws_access_key_id = {FAKE_AWS_KEY_ID}
aws_secret_access_key = {FAKE_AWS_SECRET}

{FAKE_PRIVATE_KEY}</pre>""")

    def h_sensitive(self):
        if self.hardened:
            return self.not_found()
        ctype, body = SENSITIVE_FILES[self.url.path]
        self.respond(200, body, ctype)


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, hardened, root, log_path):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.hardened = hardened
        self.docs_dir = os.path.realpath(os.path.join(root, "webroot", "docs"))
        self.files_dir = os.path.join(root, "webroot", "files")
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.log_lock = threading.Lock()

    def log_arrival(self, handler):
        if not self.log_file:
            return
        with self.log_lock:  # time taken under the lock, so lines are in time order
            entry = {"t": time.monotonic(), "wall": time.time(), "method": handler.command,
                     "path": handler.path, "ua": handler.headers.get("User-Agent", "")}
            self.log_file.write(json.dumps(entry) + "\n")
            self.log_file.flush()


def prepare_root(root):
    """Create the database and the on-disk directories inside the temp dir."""
    global DB_PATH
    DB_PATH = os.path.join(root, "shop.db")
    create_database(DB_PATH)
    for sub, files in (("docs", DOCS), ("files", FILES)):
        os.makedirs(os.path.join(root, "webroot", sub))
        for name, text in files.items():
            with open(os.path.join(root, "webroot", sub, name), "w", encoding="utf-8") as fh:
                fh.write(text)


def main():
    ap = argparse.ArgumentParser(description="Vigil's deliberately vulnerable test web app")
    ap.add_argument("--port", type=int, required=True, help="0 picks a free port")
    ap.add_argument("--bind", default="127.0.0.1", help="loopback address only")
    ap.add_argument("--hardened", action="store_true", help="no passive weaknesses")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    args = ap.parse_args()
    bind = "127.0.0.1" if args.bind == "localhost" else args.bind
    try:
        if not ipaddress.ip_address(bind).is_loopback:
            raise ValueError
    except ValueError:
        ap.error(f"--bind must be a loopback address, not {args.bind!r}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # clean up the temp dir
    with tempfile.TemporaryDirectory(prefix="vigil-webapp-") as root:
        prepare_root(root)
        server = Server((bind, args.port), args.hardened, root, args.log)
        print(f"READY {server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
