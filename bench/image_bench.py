#!/usr/bin/env python3
"""Helper of bench/image.sh: everything that is easier in Python than in bash.

  image_bench.py archive OUT.tar TAG DIR [DIR...]   write a `docker save` archive, one layer per DIR
  image_bench.py summary RESULTS_DIR                compare the runs recorded in RESULTS_DIR, print the table

The archive is what `docker save` writes (the legacy layout both Vigil and syft read as
`docker-archive:`): `<hex>/layer.tar` per layer, the image config `<hex>.json` whose
`rootfs.diff_ids` are the layers' SHA-256, and `manifest.json`. Layers are plain tars of the
directories with numeric owners, hard links, symlinks and device nodes as they are on disk.

Components are compared as sets of (purl type, namespace/name, version): qualifiers and
subpaths are dropped (except in Go purls, where syft puts the end of a module path in the
subpath) and every segment is percent-decoded, so `pkg:deb/debian/libc6@2.36?arch=amd64`
and `pkg:deb/debian/libc6@2.36?distro=debian-12` are the same. Several copies of one package
(at different paths) count once. Components without a purl are counted apart.
"""
import hashlib
import io
import json
import os
import re
import statistics
import sys
import tarfile
import tempfile
import urllib.parse
from collections import Counter, defaultdict

from timing import mib, report_runs, secs

CAP = 30  # lines of each difference list


# ---- the archive -----------------------------------------------------------------------------

def layer_tar(root, out):
    """Tar of everything under root (paths relative to it, no leading ./), sorted; returns sha256 hex."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(root)):
            t.add(os.path.join(root, name), arcname=name, recursive=True, filter=numeric)
    h = hashlib.sha256()
    with open(out, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def numeric(info):
    """Numeric owners only, as in image layers (the host's user names mean nothing there)."""
    info.uname = info.gname = ""
    return info


def archive(out, tag, dirs):
    created = "2025-05-20T00:00:00Z"
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as tmp:
        layers = []
        for i, d in enumerate(dirs):
            p = os.path.join(tmp, f"layer{i}.tar")
            layers.append((layer_tar(d, p), p, d))
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": created,
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["bash"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{h}" for h, _, _ in layers]},
            "history": [{"created": created, "created_by": f"bench/image.sh: {os.path.basename(d.rstrip('/'))}"}
                        for _, _, d in layers],
        }
        cfg = json.dumps(config, sort_keys=True).encode()
        cfg_hex = hashlib.sha256(cfg).hexdigest()
        manifest = [{"Config": f"{cfg_hex}.json", "RepoTags": [tag],
                     "Layers": [f"{h}/layer.tar" for h, _, _ in layers]}]
        part = out + ".part"
        with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as t:
            def add_bytes(name, data):
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
                t.addfile(ti, io.BytesIO(data))
            for h, p, _ in layers:
                ti = tarfile.TarInfo(f"{h}/")
                ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
                t.addfile(ti)
                ti = t.gettarinfo(p, arcname=f"{h}/layer.tar")
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mtime = 0
                with open(p, "rb") as f:
                    t.addfile(ti, f)
            add_bytes(f"{cfg_hex}.json", cfg)
            add_bytes("manifest.json", json.dumps(manifest).encode())
        os.replace(part, out)
    size = os.path.getsize(out)
    print(f"{out}: {len(layers)} layer(s), {size / 2**20:.0f} MiB, config sha256:{cfg_hex[:12]}")


# ---- the comparison --------------------------------------------------------------------------

def parse_purl(purl):
    """(type, namespace/name, version) of a purl, qualifiers and subpath dropped, or None."""
    if not purl or not purl.startswith("pkg:"):
        return None
    s, _, subpath = purl[4:].partition("#")
    s = s.split("?", 1)[0].lstrip("/")
    if "/" not in s:
        return None
    typ, rest = s.split("/", 1)
    typ = typ.lower()
    version = ""
    at = rest.rfind("@")
    if at > rest.rfind("/"):  # a literal '@' of an npm scope comes before the last '/'
        rest, version = rest[:at], rest[at + 1:]
    segs = rest.strip("/").split("/")
    if typ == "golang" and subpath.strip("/"):
        # syft splits a Go module path after three segments: pkg:golang/github.com/a/b@v1#c/d is
        # module github.com/a/b/c/d, which others write pkg:golang/github.com/a/b/c/d@v1.
        segs += subpath.strip("/").split("/")
    name = "/".join(urllib.parse.unquote(seg) for seg in segs)
    return typ, name, urllib.parse.unquote(version)


def walk(components):
    for c in components or []:
        yield c
        yield from walk(c.get("components"))


def location(tool, comp):
    for p in comp.get("properties") or []:
        n = p.get("name", "")
        if (tool == "vigil" and n == "vigil:path") or (tool == "syft" and n == "syft:location:0:path"):
            return p.get("value")
    return None


def load(tool, path):
    """Inventory of one CycloneDX file: {key: [paths]}, no-purl counts, entry count, error."""
    keys, nopurl, entries = defaultdict(list), Counter(), 0
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return keys, nopurl, 0, f"unreadable output: {e}"
    for c in walk(doc.get("components")):
        entries += 1
        k = parse_purl(c.get("purl"))
        if k is None:
            nopurl[c.get("type", "?")] += 1
            continue
        paths, loc = keys[k], location(tool, c)
        if loc and loc not in paths:
            paths.append(loc)
    return keys, nopurl, entries, None


def loose(name):
    """A name as loosely as ecosystems compare them (PEP 503, case, separators)."""
    return re.sub(r"[-_.]+", "-", name.lower())


def fmt(k, paths=None):
    typ, name, ver = k
    s = f"pkg:{typ}/{name}@{ver}" if ver else f"pkg:{typ}/{name}"
    if paths:
        more = f" (+{len(paths) - 1})" if len(paths) > 1 else ""
        s += f"   [{paths[0]}{more}]"
    return s








def errfile(run):
    return run["output"].rsplit(".json", 1)[0] + ".err"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pair_up(only_s, only_v, s, v):
    """Pairs (syft key, Vigil key, why) of unmatched items that are the same thing named
    differently: first by file (one unmatched item of a type at a path on each side), then,
    among items found in a common file, by the whole name up to case and separators, then by
    the last name segment."""
    pairs, used_s, used_v = [], set(), set()

    def take(a, b, why):
        pairs.append((a, b, why))
        used_s.add(a)
        used_v.add(b)

    at_s, at_v = defaultdict(set), defaultdict(set)
    for keys, src, at in ((only_s, s, at_s), (only_v, v, at_v)):
        for k in keys:
            for p in src[k]:
                at[(k[0], p)].add(k)
    for where in sorted(set(at_s) & set(at_v)):
        a, b = at_s[where] - used_s, at_v[where] - used_v
        if len(a) == 1 and len(b) == 1:
            take(a.pop(), b.pop(), "same file")
    for why, norm in (("same name", lambda k: loose(k[1])),
                      ("same last segment", lambda k: loose(k[1].rsplit("/", 1)[-1]))):
        cands = defaultdict(list)
        for k in sorted(only_v - used_v):
            cands[(k[0], norm(k))].append(k)
        for a in sorted(only_s - used_s):
            left = [b for b in cands.get((a[0], norm(a)), [])
                    if b not in used_v and (set(s[a]) & set(v[b]) or not s[a] or not v[b])]
            if left:
                take(a, min(left, key=lambda b: (b[2] != a[2], b)), why)
    return sorted(pairs)


def summary(results):
    runs = [json.loads(line) for line in open(os.path.join(results, "runs.jsonl")) if line.strip()]
    targets = list(dict.fromkeys(r["target"] for r in runs))
    rows = []
    for target in targets:
        mine = [r for r in runs if r["target"] == target]
        ref = mine[0]["ref"]
        print()
        print("=" * 100)
        print(f"{target}: {ref}")
        print("=" * 100)
        stat, inv = {}, {}
        for tool in ("vigil", "syft"):
            tr = sorted((r for r in mine if r["tool"] == tool), key=lambda r: r["run"])
            measured = report_runs(tool, tr, results, errfile, 5)
            stat[tool] = (median(m[0] for m in measured), median(m[1] for m in measured),
                          all(r["status"] == 0 for r in tr))
            if tr:
                try:
                    notes = [line.rstrip() for line in open(os.path.join(results, errfile(tr[0]))) if line.strip()]
                except OSError:
                    notes = []
                for line in notes[:10]:
                    print(f"  {tool} stderr: {line[:300]}")
                if len(notes) > 10:
                    print(f"  {tool} stderr: ... and {len(notes) - 10} more lines in {errfile(tr[0])}")
            # The inventory of the first successful run; later runs must find the same set.
            ok = [r for r in tr if r["status"] == 0]
            if not ok:
                inv[tool] = None
                continue
            keys, nopurl, entries, err = load(tool, os.path.join(results, ok[0]["output"]))
            if err:
                print(f"  {tool}: {err}")
                inv[tool] = None
                continue
            for r in ok[1:]:
                other, _, _, _ = load(tool, os.path.join(results, r["output"]))
                if set(other) != set(keys):
                    print(f"  {tool}: run {r['run']} found a different set ({len(other)} vs {len(keys)})")
            inv[tool] = (keys, nopurl, entries)

        if inv["vigil"] is None or inv["syft"] is None:
            rows.append((target, stat, None))
            continue
        v, s = inv["vigil"][0], inv["syft"][0]
        common, only_s, only_v = set(v) & set(s), set(s) - set(v), set(v) - set(s)
        print()
        print(f"  {'ecosystem (purl type)':<24}{'vigil':>8}{'syft':>8}{'common':>8}{'only syft':>11}{'only vigil':>12}")
        for typ in sorted({k[0] for k in v} | {k[0] for k in s}):
            n = lambda ks: sum(1 for k in ks if k[0] == typ)  # noqa: E731
            print(f"  {typ:<24}{n(v):>8}{n(s):>8}{n(common):>8}{n(only_s):>11}{n(only_v):>12}")
        print(f"  {'total (distinct)':<24}{len(v):>8}{len(s):>8}{len(common):>8}{len(only_s):>11}{len(only_v):>12}")
        print(f"  {'entries in the BOM':<24}{inv['vigil'][2]:>8}{inv['syft'][2]:>8}")
        for tool in ("vigil", "syft"):
            np = inv[tool][1]
            if np:
                print(f"  {tool} components without a purl: " + ", ".join(f"{t} {c}" for t, c in sorted(np.items())))

        pairs = pair_up(only_s, only_v, s, v)
        paired_s, paired_v = {a for a, _, _ in pairs}, {b for _, b, _ in pairs}
        if pairs:
            print(f"\n  near matches (the same thing named differently: {len(pairs)} pairs)")
            print("    why paired: same file (the only unmatched item of this type there on both sides), or in a")
            print("    common file, the same name up to case and separators, or the same last name segment")
            for a, b, why in pairs[:CAP]:
                what = [w for w, d in (("name", a[1] != b[1]), ("version", a[2] != b[2])) if d]
                print(f"    syft  {fmt(a)}\n    vigil {fmt(b, v[b])}   <- {' and '.join(what)} differ ({why})")
            if len(pairs) > CAP:
                print(f"    ... and {len(pairs) - CAP} more pairs")
        for title, ks, src in (("in syft, not in Vigil", only_s - paired_s, s),
                               ("in Vigil, not in syft", only_v - paired_v, v)):
            ks = sorted(ks)
            print(f"\n  {title} (not paired above): {len(ks)}"
                  + ("" if not ks else "   by type: " + ", ".join(f"{t} {c}" for t, c in Counter(k[0] for k in ks).most_common())))
            where = Counter(src[k][0] if src[k] else "(no path)" for k in ks)
            if len(where) > 1 or len(ks) > CAP:
                print("    where (first copy): " + ", ".join(f"{p} {c}" for p, c in where.most_common(8))
                      + (f", ... {len(where) - 8} more paths" if len(where) > 8 else ""))
            # Rare paths first: one odd file is a clearer lead than the 200th module of one binary.
            first = lambda k: src[k][0] if src[k] else "(no path)"  # noqa: E731
            for k in sorted(ks, key=lambda k: (where[first(k)], first(k), k))[:CAP]:
                print(f"    {fmt(k, src[k])}")
            if len(ks) > CAP:
                print(f"    ... and {len(ks) - CAP} more")
        rows.append((target, stat, (len(v), len(s), len(common), len(only_s), len(only_v))))

    print()
    head = ("target", "vigil time", "syft time", "syft/vigil", "vigil RSS", "syft RSS",
            "vigil", "syft", "common", "only syft", "only vigil")
    table = []
    for target, stat, counts in rows:
        (vw, vr, vok), (sw, sr, sok) = stat["vigil"], stat["syft"]
        ratio = f"x{sw / vw:.2f}" if vw and sw and vok and sok else "-"
        mark = lambda ok: "" if ok else " (failed)"  # noqa: E731
        table.append((target, secs(vw) + mark(vok), secs(sw) + mark(sok), ratio, mib(vr), mib(sr),
                      *(str(c) for c in counts or ("-",) * 5)))
    widths = [max(len(r[i]) for r in [head] + table) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    print("median wall time and peak RSS over the runs; components are distinct (type, name, version) purls")
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print(line(r))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "archive":
        archive(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
