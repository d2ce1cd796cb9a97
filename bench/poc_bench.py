"""Driver of bench/poc.sh (nuclei templates: Vigil's poc engine against pocsuite3 2.1.0).

  poc_bench.py select TEMPLATES OUT [--per-dir N] [--vulnerable-per-dir M]
      choose the benchmark templates (see `select`), copy them to OUT/templates/ (same relative
      paths), write OUT/selection.json and OUT/selection.txt, and OUT/table.json: the responses
      of bench/poc_target.py that make the vulnerable subset match. Needs PyYAML and pocsuite3
      (run with the pocsuite3 venv's python).
  poc_bench.py corpus BIN TEMPLATES RESULTS RUNS [SELECTION]
      part 1: the `corpus` example on the whole snapshot RUNS times (and once on the selection)
  poc_bench.py run SELECTION RESULTS RUNS THREADS POCSUITE VIGIL [VIGIL_ARGS...]
      part 2: per run a fresh target, then each tool (order alternates); VIGIL "" skips Vigil
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import mib, report_runs, secs, time_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIRS = ["http/exposures", "http/exposed-panels", "http/technologies", "http/misconfiguration", "http/cves"]
# What pocsuite3's nuclei runner resolves in a request ({{...}}); anything else is left unresolved
# and the request dropped.
KNOWN_VARS = {"BaseURL", "RootURL", "Hostname", "Host", "Port", "Scheme", "Path", "File", "IP"}
KNOWN_VARS |= {v.lower() for v in KNOWN_VARS}
# The DSL functions pocsuite3 2.1.0 implements (pocsuite3/lib/yaml/nuclei/protocols/common/
# expressions); nuclei's `tolower`, `startswith`, ... raise "Invalid expression" there.
POCSUITE_FUNCS = {
    "aes_gcm", "base64", "base64_decode", "base64_py", "bin_to_dec", "compare_versions", "concat",
    "contains", "contains_all", "contains_any", "date_time", "dec_to_hex", "ends_with", "gzip",
    "gzip_decode", "hex_decode", "hex_encode", "hex_to_dec", "hmac", "html_escape", "html_unescape",
    "join", "line_ends_with", "line_starts_with", "md5", "mmh3", "oct_to_dec", "rand_base", "rand_char",
    "rand_int", "rand_text_alpha", "rand_text_alphanumeric", "rand_text_numeric", "regex",
    "remove_bad_chars", "repeat", "replace", "replace_regex", "reverse", "sha1", "sha256", "starts_with",
    "to_lower", "to_unix_time", "to_upper", "trim", "trim_left", "trim_prefix", "trim_right", "trim_space",
    "trim_suffix", "unix_time", "url_decode", "url_encode", "wait_for", "len",
}
# Request features left out of the selection: pocsuite3 lacks them or runs them differently.
UNSUPPORTED_KEYS = ("payloads", "fuzzing", "race", "race_count", "pipeline", "unsafe", "digest-username",
                    "digest-password", "cookie-reuse", "req-condition", "iterate-all")
SIMPLE_PATH = re.compile(r"^/[A-Za-z0-9/._~-]+(\?[A-Za-z0-9=&._~/-]*)?$")
SERVER_HEADERS = {"Server": "httpd", "Date": "Tue, 08 Dec 2026 00:00:00 GMT"}


# ---- selection ---------------------------------------------------------------------------------

def requests_of(doc):
    return doc.get("http") or doc.get("requests") or []


def request_texts(req):
    """The parts of a request that are sent (paths, raw requests, headers, body)."""
    out = list(req.get("path") or []) + list(req.get("raw") or [])
    out += [str(v) for v in (req.get("headers") or {}).values()]
    if req.get("body"):
        out.append(str(req["body"]))
    return out


def why_not_pocsuite(text, doc):
    """Why pocsuite3 cannot run this template as nuclei does (None: it can)."""
    if "interactsh" in text:
        return "interactsh"
    if not isinstance(doc, dict) or not requests_of(doc):
        return "not http"
    for key in ("tcp", "network", "dns", "ssl", "headless", "code", "javascript", "flow", "workflows",
                "variables", "self-contained"):
        if key in doc:
            return f"uses {key}"
    if not re.search(r"matchers:\s+-", text):
        return "no matchers (extractors only)"
    for req in requests_of(doc):
        if not isinstance(req, dict) or not req.get("matchers"):
            return "a request without matchers"
        for key in UNSUPPORTED_KEYS:
            if req.get(key):
                return f"uses {key}"
        for raw in req.get("raw") or []:
            lines = [line.strip() for line in str(raw).strip().splitlines()]
            if any(line.startswith("@") for line in lines):
                return "raw request annotations (@Host, @timeout)"
            if len(lines[0].split(" ")) != 3:
                return "raw request line not METHOD TARGET VERSION"  # pocsuite3 splits it on spaces
            if "" in lines and not lines[0].startswith("POST "):
                return "raw request with a body, not POST"  # pocsuite3 reads the body as headers
            if "" not in lines and lines[0].startswith("POST "):
                return "raw POST without a body"  # pocsuite3 raises on it
        if any(not str(p).startswith("{{") for p in req.get("path") or []):
            return "path not starting with {{...}}"  # pocsuite3 takes it for a raw request
        for part in request_texts(req):
            if re.search(r"\{\{(BaseURL|RootURL|Hostname|Host)\}\}:\d", part):
                return "{{BaseURL}}:PORT"
            for var in re.findall(r"\{\{(.*?)\}\}", part):
                if var not in KNOWN_VARS and not re.fullmatch(r"randstr(_\w+)?", var):
                    return "variables or expressions in the request"
        for m in req["matchers"]:
            if m.get("type") == "dsl":
                for expr in m.get("dsl") or []:
                    code = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', str(expr))
                    for fn in re.findall(r"([A-Za-z_]\w*)\s*\(", code):
                        if fn not in POCSUITE_FUNCS:
                            return f"dsl function {fn}"
            if m.get("encoding"):
                return "encoded matcher"
    try:
        from pocsuite3.lib.yaml.nuclei import Nuclei
        Nuclei(text)
    except Exception as e:  # the model pocsuite3 builds (dacite) refuses it
        return f"pocsuite3 model: {type(e).__name__}"
    return None


def route_of(target):
    """The target's table key for a template path or raw request target (None: not a local path)."""
    m = re.match(r"^\{\{(?:BaseURL|RootURL)\}\}(.*)$", target.strip())
    if m:
        return urllib.parse.unquote(m.group(1) or "/")
    return None


def routes_requested(doc):
    out = set()
    for req in requests_of(doc):
        for p in req.get("path") or []:
            r = route_of(str(p))
            if r:
                out.add(r)
        for raw in req.get("raw") or []:
            first = str(raw).strip().splitlines()[0].split(" ")
            if len(first) >= 2:
                out.add(urllib.parse.unquote(first[1]))
    return out


def regex_example(pattern):
    """A short string that `pattern` matches, or None when this small generator cannot say."""
    import re._constants as c
    import re._parser as p

    def pick_in(items):
        negate = items and items[0][0] is c.NEGATE
        if not negate:
            op, av = items[0]
            if op is c.LITERAL:
                return chr(av)
            if op is c.RANGE:
                return chr(av[0])
            if op is c.CATEGORY:
                return {c.CATEGORY_DIGIT: "0", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " ",
                        c.CATEGORY_NOT_DIGIT: "a", c.CATEGORY_NOT_SPACE: "a", c.CATEGORY_NOT_WORD: " "}.get(av)
            return None
        return "§"  # a negated class: rarely in it; checked by the caller

    def gen(parsed):
        out = []
        for op, av in parsed:
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is c.NOT_LITERAL:
                out.append("a" if av != ord("a") else "b")
            elif op is c.ANY:
                out.append("a")
            elif op is c.IN:
                ch = pick_in(av)
                if ch is None:
                    raise ValueError
                out.append(ch)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                lo, _, sub = av
                out.append(gen(sub) * lo)
            elif op is c.SUBPATTERN:
                out.append(gen(av[-1]))
            elif op is c.BRANCH:
                out.append(gen(av[1][0]))
            elif op in (c.AT, c.ASSERT_NOT):
                pass
            else:
                raise ValueError
        return "".join(out)

    try:
        s = gen(p.parse(pattern))
        return s if re.search(pattern, s) and "\n" not in s and s.isprintable() else None
    except (ValueError, re.error, RecursionError, TypeError):
        return None


def header_block(headers):
    return "\n".join(f"{k}: {v}" for k, v in headers.items())


def matcher_hits(m, status, headers, body):
    """Whether one word/regex/status matcher matches (None: a kind this check does not model)."""
    kind, part = m.get("type"), m.get("part") or "body"
    if kind == "status":
        return status in (m.get("status") or [])
    if part not in ("body", "header"):
        return None
    corpus = body if part == "body" else header_block(headers)
    cond = m.get("condition", "or")
    if kind == "word":
        ci = m.get("case-insensitive")
        words = [str(w) for w in m.get("words") or []]
        hits = [(w.lower() in corpus.lower()) if ci else (w in corpus) for w in words]
    elif kind == "regex":
        try:
            hits = [bool(re.search(str(r), corpus)) for r in m.get("regex") or []]
        except re.error:
            return None
    else:
        return None
    return all(hits) if cond == "and" else any(hits)


def template_matches(req, status, headers, body):
    """nuclei's verdict for one request's matchers on this response (None: not modelled)."""
    cond = req.get("matchers-condition", "or")
    results = []
    for m in req["matchers"]:
        hit = matcher_hits(m, status, headers, body)
        if hit is None:
            if cond == "and" or m.get("negative"):
                return None
            continue
        results.append(hit != bool(m.get("negative")))
    if not results:
        return None
    return all(results) if cond == "and" else any(results)


def synthesize(doc):
    """The response (route, status, headers, body) that makes a one-request GET template match,
    derived from its word/regex/status matchers; or None."""
    reqs = requests_of(doc)
    if len(reqs) != 1:
        return None
    req = reqs[0]
    paths = req.get("path") or []
    if len(paths) != 1 or req.get("raw") or str(req.get("method", "GET")).upper() != "GET":
        return None
    route = route_of(str(paths[0]))
    if not route or not SIMPLE_PATH.match(route):
        return None
    matchers = req["matchers"]
    positive = [m for m in matchers if not m.get("negative")]
    if req.get("matchers-condition", "or") == "or":
        positive = [m for m in positive if m.get("type") in ("word", "regex")][:1]
    if not positive:
        return None
    status, header_words, body_parts = 200, [], []
    for m in positive:
        kind, part = m.get("type"), m.get("part") or "body"
        if kind == "status":
            status = (m.get("status") or [200])[0]
            continue
        if kind not in ("word", "regex") or part not in ("body", "header") or "{{" in str(m):
            return None
        items = [str(x) for x in (m.get("words") if kind == "word" else m.get("regex")) or []]
        if m.get("condition", "or") == "or":
            items = items[:1]
        if kind == "regex":
            items = [regex_example(r) for r in items]
            if None in items:
                return None
        (body_parts if part == "body" else header_words).extend(items)
    for content_type in ("text/plain; charset=utf-8", "text/html; charset=utf-8", "application/json"):
        headers = dict(SERVER_HEADERS, **{"Content-Type": content_type})
        for i, w in enumerate(header_words):
            m = re.match(r"^([A-Za-z0-9-]+):\s*(.+)$", w)
            if m:
                headers[m.group(1)] = m.group(2)
            elif re.match(r"^[a-z]+/[\w.+-]+$", w, re.I):
                headers["Content-Type"] = w
            else:
                headers[f"X-Bench-{i}"] = w
        if any("\n" in v or "\r" in v or not v.isascii() for v in headers.values()):
            return None
        body = "\n".join(body_parts) + "\n"
        if template_matches(req, status, headers, body):
            served = {k: v for k, v in headers.items() if k not in SERVER_HEADERS}
            return route, status, served, body
    return None


def select(templates, out, per_dir=60, vulnerable_per_dir=12):
    """Every k-th (sorted paths) template pocsuite3 can run from each of DIRS, names unique; the
    vulnerable subset: those whose single GET path no other selected template requests and
    whose matchers a synthesized response satisfies, evenly spread, up to M per folder."""
    import yaml
    chosen, names, skipped = [], set(), {}
    for d in DIRS:
        eligible = []
        for root, _, files in os.walk(os.path.join(templates, d)):
            for f in files:
                if f.endswith(".yaml"):
                    eligible.append(os.path.relpath(os.path.join(root, f), templates))
        eligible.sort()
        usable = []
        for rel in eligible:
            text = open(os.path.join(templates, rel), encoding="utf-8", errors="replace").read()
            try:
                doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError:
                skipped["yaml error"] = skipped.get("yaml error", 0) + 1
                continue
            why = why_not_pocsuite(text, doc)
            name = str(((doc or {}).get("info") or {}).get("name", "")).strip() if isinstance(doc, dict) else ""
            if why is None and name in names:
                why = "duplicate info.name (pocsuite3 reports by name)"
            if why:
                skipped[why] = skipped.get(why, 0) + 1
                continue
            usable.append((rel, doc, name))
        step = max(1, len(usable) // per_dir)
        picked = usable[::step][:per_dir]
        for rel, doc, name in picked:
            names.add(name)
            chosen.append({"path": rel, "id": doc.get("id"), "name": name, "dir": d, "doc": doc})
        print(f"  {d}: {len(eligible)} templates, {len(usable)} runnable by pocsuite3, {len(picked)} selected")
    requested = {}
    for t in chosen:
        for r in routes_requested(t["doc"]):
            requested[r] = requested.get(r, 0) + 1
    table = {}
    for d in DIRS:
        cands = []
        for t in (t for t in chosen if t["dir"] == d):
            s = synthesize(t["doc"])
            if s and requested.get(s[0]) == 1 and s[0] not in table:
                cands.append((t, s))
        step = max(1, len(cands) // vulnerable_per_dir)
        for t, (route, status, headers, body) in cands[::step][:vulnerable_per_dir]:
            t["vulnerable"] = True
            table[route] = {"status": status, "headers": headers, "body": body, "template": t["id"]}
    shutil.rmtree(os.path.join(out, "templates"), ignore_errors=True)
    for t in chosen:
        dst = os.path.join(out, "templates", t["path"])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(templates, t["path"]), dst)
        del t["doc"]
        t.setdefault("vulnerable", False)
    with open(os.path.join(out, "selection.json"), "w") as f:
        json.dump(chosen, f, indent=1)
    with open(os.path.join(out, "selection.txt"), "w") as f:
        f.writelines(f"{t['path']}\t{t['id']}\t{'vulnerable' if t['vulnerable'] else '-'}\n" for t in chosen)
    with open(os.path.join(out, "table.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
    print("  made vulnerable, by folder: " + ", ".join(
        f"{d} {sum(1 for t in chosen if t['dir'] == d and t['vulnerable'])}" for d in DIRS))
    print(f"  selected {len(chosen)} templates, {len(table)} made vulnerable; left out: "
          + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])))


# ---- part 1: the corpus ------------------------------------------------------------------------

def parse_corpus(text):
    """The `corpus` example's summary (adjust here when its output changes)."""
    r = {"skipped": {}, "rejected": {}, "parsed_by": {}, "runnable_by": {}}
    m = re.search(r"files (\d+) parsed (\d+) runnable (\d+) in ([\d.]+)s", text)
    if m:
        r.update(files=int(m.group(1)), parsed=int(m.group(2)), runnable=int(m.group(3)), load=float(m.group(4)))
    for key, label in (("parsed_by", "parsed by protocol"), ("runnable_by", "runnable by protocol")):
        m = re.search(rf"^{label} (\{{.*\}})$", text, re.M)
        if m:
            r[key] = json.loads(m.group(1))
    for kind in ("skipped", "rejected"):
        for n, why in re.findall(rf"^{kind}\s+(\d+) (.*)$", text, re.M):
            r[kind][why] = r[kind].get(why, 0) + int(n)
    return r


def pct(a, b):
    return f"{100 * a / b:.1f} %" if b else "-"


def goal(ok):
    return "ok" if ok else "MISSED"


def corpus(binary, templates, results, runs, selection=None):
    rows = []
    for i in range(1, runs + 1):
        out, tf = os.path.join(results, f"corpus.{i}.out"), f"corpus.{i}.time"
        with open(out, "w") as f:
            st = subprocess.call(["/usr/bin/time", "-v", "-o", os.path.join(results, tf), binary, templates],
                                 stdout=f, stderr=subprocess.STDOUT)
        rows.append({"run": i, "timefile": tf, "status": st, "out": out})
    print(f"part 1: the corpus example on {templates}, {runs} run(s)")
    measured = report_runs("corpus", rows, results, lambda r: r["out"], 6)
    ok = [r for r in rows if r["status"] == 0]
    if not ok:
        print("  corpus example failed: " + open(rows[0]["out"]).read()[-2000:])
        return
    c = parse_corpus(open(ok[0]["out"]).read())
    loads = [parse_corpus(open(r["out"]).read()).get("load") for r in ok]
    wall = statistics.median(m[0] for m in measured if m[0] is not None)
    rss = statistics.median(m[1] for m in measured if m[1] is not None)
    print(f"  files {c['files']}, parsed {c['parsed']} ({pct(c['parsed'], c['files'])}; goal >= 99 %: "
          f"{goal(c['parsed'] >= 0.99 * c['files'])}), runnable {c['runnable']} "
          f"({pct(c['runnable'], c['files'])} of files)")
    for proto in ("http", "tcp"):
        p, r = c["parsed_by"].get(proto, 0), c["runnable_by"].get(proto, 0)
        print(f"  {proto:<5} parsed {p:5}, runnable {r:5} ({pct(r, p)}; goal >= 95 %: {goal(r >= 0.95 * p)})")
    p = sum(c["parsed_by"].get(x, 0) for x in ("http", "tcp"))
    r = sum(c["runnable_by"].get(x, 0) for x in ("http", "tcp"))
    print(f"  http+tcp parsed {p:5}, runnable {r:5} ({pct(r, p)}; goal >= 95 %: {goal(r >= 0.95 * p)})")
    others = {k: v for k, v in c["parsed_by"].items() if k not in ("http", "tcp")}
    print("  other protocols, runnable/parsed: " + ", ".join(
        f"{k} {c['runnable_by'].get(k, 0)}/{v}" for k, v in sorted(others.items())))
    print("  not runnable (skipped), by reason:")
    for why, n in sorted(c["skipped"].items(), key=lambda kv: -kv[1]):
        print(f"    {n:5}  {why}")
    print(f"  not parsed (rejected): {c['files'] - c['parsed']}" + ("" if not c["rejected"] else ", by reason:"))
    for why, n in sorted(c["rejected"].items(), key=lambda kv: -kv[1]):
        print(f"    {n:5}  {why}")
    print(f"  median wall {secs(wall)} (load alone, as the example times it: "
          f"{secs(statistics.median(x for x in loads if x is not None))}; goal < 2 s: {goal(wall < 2)}), "
          f"peak RSS {mib(rss)} (goal < 200 MiB: {goal(rss < 200 * 1024)})")
    if selection:
        out = subprocess.run([binary, selection], capture_output=True, text=True).stdout
        s = parse_corpus(out)
        print(f"  the benchmark selection as Vigil's catalogue sees it: files {s.get('files')}, parsed "
              f"{s.get('parsed')}, runnable {s.get('runnable')}"
              + "".join(f"; skipped {n} {w}" for w, n in s["skipped"].items())
              + "".join(f"; rejected {n} {w}" for w, n in s["rejected"].items()))


# ---- part 2: the run ---------------------------------------------------------------------------

def vigil_report(path):
    """(template ids matched, requests Vigil says it sent or None) from `vigil scan poc --format
    json`: findings[].evidence.template_id, stats.requests. The one place to adjust when the
    engine's report lands."""
    with open(path) as f:
        doc = json.load(f)
    ids = set()
    for finding in doc.get("findings") or []:
        ev = finding.get("evidence") or {}
        tid = ev.get("template_id") or ev.get("template-id") or finding.get("template_id")
        if tid:
            ids.add(tid)
    stats = doc.get("stats") or (doc.get("engine") or {}).get("stats") or {}
    sent = (stats.get("requests") or stats.get("requests_sent")) if isinstance(stats, dict) else None
    return ids, sent


def pocsuite_report(stdout, jsonl, name_to_id):
    """(template ids pocsuite3 matched, names not in the selection, records in its `-o` file).
    The authority is the results table it prints at the end (target | poc-name | poc-id |
    component | version | status, status "success" or "failed"; poc-name is the template's
    info.name): its `-o` JSON lines (target, poc_name, result, created_time; successes only)
    lose records when threads finish together (a line of NUL bytes instead), so they are only
    counted here as a cross-check."""
    ids, unknown = set(), set()
    for line in open(stdout, errors="replace"):
        f = line.rstrip("\n").split("|")
        if len(f) >= 8 and f[-2].strip() == "success":
            name = "|".join(f[2:-5]).strip()
            (ids.add(name_to_id[name]) if name in name_to_id else unknown.add(name))
    records = 0
    if os.path.exists(jsonl):
        for line in open(jsonl, errors="replace"):
            try:
                records += bool(json.loads(line.strip("\x00\n")).get("poc_name"))
            except ValueError:
                pass
    return ids, unknown, records


def start_target(table, count_file, log):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "poc_target.py"), "--table", table,
                          "--count-file", count_file], stdout=subprocess.PIPE, stderr=log, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY "):
        p.kill()
        raise SystemExit(f"poc_target.py did not start: {line!r}")
    return p, int(line.split()[1])


def stop_target(p, count_file):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    try:
        return int(open(count_file).read())
    except (OSError, ValueError):
        return None


def run_tool(tool, i, url, sel, results, threads, pocsuite, vigil, vigil_args):
    base = os.path.join(results, f"{tool}.{i}")
    if tool == "vigil":
        cmd = [vigil, "scan", "poc", url, "--templates", os.path.join(sel, "templates"), "--format", "json"]
        cmd += vigil_args
        output = base + ".json"
    else:
        output = base + ".jsonl"
        cmd = [pocsuite, "-r", os.path.join(sel, "templates"), "-u", url, "--no-check",
               "--threads", str(threads), "-o", output]
    with open(base + ".out" if tool != "vigil" else output, "w") as out, open(base + ".err", "w") as err:
        t0 = time.monotonic()
        try:
            st = subprocess.call(["/usr/bin/time", "-v", "-o", base + ".time"] + cmd, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, timeout=1800)
        except subprocess.TimeoutExpired:
            st = -1
    return {"tool": tool, "run": i, "status": st, "timefile": os.path.basename(base + ".time"),
            "output": output, "err": base + ".err", "stdout": base + ".out", "elapsed": time.monotonic() - t0}


def run(sel, results, runs, threads, pocsuite, vigil, vigil_args):
    chosen = json.load(open(os.path.join(sel, "selection.json")))
    name_to_id = {t["name"]: t["id"] for t in chosen}
    expected = {t["id"] for t in chosen if t["vulnerable"]}
    tools = (["vigil"] if vigil else []) + ["pocsuite3"]
    rows = []
    for i in range(1, runs + 1):
        for tool in (tools if i % 2 else tools[::-1]):
            count_file = os.path.join(results, f"{tool}.{i}.count")
            with open(os.path.join(results, f"{tool}.{i}.target.log"), "w") as log:
                target, port = start_target(os.path.join(sel, "table.json"), count_file, log)
                try:
                    r = run_tool(tool, i, f"http://127.0.0.1:{port}", sel, results, threads, pocsuite, vigil,
                                 vigil_args)
                finally:
                    r["requests"] = stop_target(target, count_file)
            if tool == "vigil":
                try:
                    r["matches"], r["reported_requests"] = vigil_report(r["output"])
                except (OSError, ValueError) as e:
                    r["matches"], r["unreadable"] = None, str(e)
            else:
                r["matches"], r["unknown"], r["records"] = pocsuite_report(r["stdout"], r["output"], name_to_id)
            rows.append(r)
    summary(rows, results, chosen, expected, vigil_args)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return f"x{a / b:.1f}" if a and b else "-"


def ids_line(ids, limit=40):
    ids = sorted(ids)
    return ", ".join(ids[:limit]) + (f", ... {len(ids) - limit} more" if len(ids) > limit else "") if ids else "-"


def summary(rows, results, chosen, expected, vigil_args):
    print(f"part 2: {len(chosen)} templates ({len(expected)} made vulnerable on the target), "
          f"{max(r['run'] for r in rows)} run(s) per tool, fresh target per run")
    stat, found = {}, {}
    for tool in ("vigil", "pocsuite3"):
        tr = sorted((r for r in rows if r["tool"] == tool), key=lambda r: r["run"])
        if not tr:
            print(f"  {tool}: not run (--pocsuite-only, or `vigil scan poc` not available yet)")
            continue
        measured = report_runs(tool, tr, results, lambda r: r["err"], 9)
        for r in tr:
            extra = f"  reported {r['reported_requests']}" if r.get("reported_requests") is not None else ""
            n = "-" if r["matches"] is None else len(r["matches"])
            print(f"  {tool:<9} run {r['run']}: requests served {r['requests']}{extra}, matched {n}"
                  + (f" (unreadable output: {r['unreadable']})" if r.get("unreadable") else ""))
        ok = [r for r in tr if r["status"] == 0 and r["matches"] is not None]
        sets = {frozenset(r["matches"]) for r in ok}
        if len(sets) > 1:
            print(f"  {tool}: matches differ between runs: "
                  + "; ".join(f"run {r['run']} {len(r['matches'])}" for r in ok))
        if tool == "pocsuite3":
            unknown = set().union(*(r.get("unknown") or set() for r in ok)) if ok else set()
            if unknown:
                print(f"  pocsuite3: successes under names not in the selection: {ids_line(unknown)}")
            out = open(tr[0]["stdout"], errors="replace").read() + open(tr[0]["err"], errors="replace").read()
            print(f"  pocsuite3 run 1: {out.count('[ERROR]')} [ERROR] lines, {out.count('Traceback')} tracebacks"
                  f" (templates failing at run time); its -o file holds {tr[0].get('records')} of the"
                  f" {len(tr[0]['matches'] or ())} successes it lists")
        stat[tool] = (median(m[0] for m in measured), median(m[2] for m in measured),
                      median(m[1] for m in measured), median(r["requests"] for r in tr),
                      bool(ok) and len(ok) == len(tr))
        found[tool] = set(ok[0]["matches"]) if ok else None
        if found[tool] is not None:
            f = found[tool]
            print(f"  {tool}: matched {len(f)}; of the {len(expected)} vulnerable: {len(f & expected)} found, "
                  f"missed: {ids_line(expected - f)}; matched on templates not made vulnerable: "
                  f"{ids_line(f - expected)}")
        elif tool == "vigil":
            err = open(tr[0]["err"], errors="replace").read().strip().splitlines()
            print("  vigil stderr: " + (" | ".join(err[-5:])[:600] if err else "-"))
    v, p = found.get("vigil"), found.get("pocsuite3")
    if v is not None and p is not None:
        print(f"  agreement: both {len(v & p)}, only Vigil {len(v - p)}, only pocsuite3 {len(p - v)}")
        print(f"    only Vigil:     {ids_line(v - p, 200)}")
        print(f"    only pocsuite3: {ids_line(p - v, 200)}")
    print()
    print("medians; ratios pocsuite3 / Vigil (the goal: Vigil >= x10 faster, the same matches)")
    head = ("tool", "wall", "cpu", "peak RSS", "requests", "matched")
    table = [head]
    for tool in ("vigil", "pocsuite3"):
        if tool in stat:
            w, c, k, n, ok = stat[tool]
            m = found.get(tool)
            table.append((tool, secs(w) + ("" if ok else "!"), secs(c), mib(k), "-" if n is None else f"{n:.0f}",
                          "-" if m is None else str(len(m))))
    if "vigil" in stat and "pocsuite3" in stat and stat["vigil"][4] and stat["pocsuite3"][4]:
        (vw, vc, vk, vn, _), (pw, pc, pk, pn, _) = stat["vigil"], stat["pocsuite3"]
        table.append(("pocsuite3/Vigil", ratio(pw, vw), ratio(pc, vc), ratio(pk, vk), ratio(pn, vn),
                      "same" if v == p else f"{len(v ^ p)} differ"))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for j, r in enumerate(table):
        print("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))
    print("(! = a run failed; requests = requests the target served, per run)")


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "select":
        opts = dict(zip(a[3::2], a[4::2]))
        select(a[1], a[2], int(opts.get("--per-dir", 60)), int(opts.get("--vulnerable-per-dir", 12)))
    elif len(a) in (5, 6) and a[0] == "corpus":
        corpus(a[1], a[2], a[3], int(a[4]), a[5] if len(a) == 6 else None)
    elif len(a) >= 7 and a[0] == "run":
        run(a[1], a[2], int(a[3]), int(a[4]), a[5], a[6], a[7:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
