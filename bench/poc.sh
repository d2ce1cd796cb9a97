#!/usr/bin/env bash
# Nuclei templates: Vigil's poc engine against pocsuite3 2.1.0 (which runs nuclei YAML), in one run on
# one machine. Two parts:
#   1. corpus  the `corpus` example of vigil-engine-poc loads the whole snapshot as the engine does
#              (parsed, then compiled for running; "runnable" is what compiled)
#              (../shared/nuclei-templates, 9,126 templates) --runs times under `/usr/bin/time -v`:
#              files, parsed, runnable by protocol, why the rest is skipped or rejected, against the
#              goals (>= 99 % parsed; >= 95 % of http and of tcp runnable; < 2 s; < 200 MiB peak RSS).
#              Then once on the benchmark selection (how Vigil's catalogue sees the part 2 templates).
#   2. run     the benchmark selection against bench/poc_target.py, a local ThreadingHTTPServer that
#              answers the synthesized responses of a table (path -> status, headers, body) for the
#              vulnerable subset and a plain 404 page to everything else, counting requests:
#                vigil scan poc http://127.0.0.1:PORT --templates SEL --format json [VIGIL_ARGS]
#                pocsuite -r SEL -u http://127.0.0.1:PORT --no-check --threads N -o out.jsonl
#              each --runs times (which goes first alternates), a fresh target per run so that the
#              requests it served are one tool's. Per run: wall, CPU, peak RSS, requests served,
#              templates matched; then which of the vulnerable subset each found, matches on others,
#              the agreement (both / only Vigil / only pocsuite3, with ids) and medians with ratios.
# The selection (bench/poc_bench.py select, cached in ~/.cache/vigil-bench/poc-selection/): from each of
# http/exposures, exposed-panels, technologies, misconfiguration and cves, the templates pocsuite3 can run
# as nuclei does (no interactsh, payloads, flow, variables, fuzzing, unsafe/raw annotations, expressions
# in requests, DSL functions it lacks such as tolower, ...; unique info.name, since pocsuite3 reports by
# name), sorted by path, every k-th: 60 per folder, 300 in all. The vulnerable subset: templates with
# one GET path no other selected template requests whose word/regex/status matchers a synthesized
# response satisfies (checked against the matchers), evenly spread, up to 12 per folder.
# selection.txt there lists path, id and whether it is vulnerable; table.json is the target's table.
# Raw outputs stay in /tmp/vigil-bench-poc.XXXXXX (printed at the start).
# What is read from each tool (bench/poc_bench.py, one small function each, to adjust there):
#   vigil      vigil_report(): the JSON report on stdout, findings[].evidence.template_id (matched
#              templates), and stats.requests when present (what Vigil says it sent; the target's
#              count is the one compared)
#   pocsuite3  pocsuite_report(): the results table it prints last (target | poc-name | poc-id |
#              component | version | status; poc-name is the template's info.name, status
#              success/failed). Its `-o` file (JSON lines of successes only) is just cross-checked:
#              it has lost a record to a line of NUL bytes when threads finished together.
# pocsuite3's nuclei runner differs from nuclei where this selection cannot show it: with several
# `path`s it matches once, after the last request, on the last response (nuclei matches each); part
# `all` reads as empty. The vulnerable subset has one path each, on routes no other template requests.
# Network: as root, part 2 runs in a namespace of its own with loopback only (`unshare -n`): nothing
# can leave. pocsuite3 is never given options that go online (--update, ssvid-, --dork*, --oob-*).
#
# Usage: bench/poc.sh [--runs N] [--threads N] [--only corpus|run] [--pocsuite-only] [-- VIGIL_ARGS...]
#   --runs N         runs per tool and part (default 3; medians in the tables)
#   --threads N      pocsuite3 --threads (default 150, its own default)
#   --only PART      corpus or run (default: both)
#   --pocsuite-only  part 2 without Vigil (and without building it)
#   -- VIGIL_ARGS    more arguments for `vigil scan poc` (e.g. --rate 500)
# Env: VIGIL_BIN=path uses that binary; otherwise a release build of -p vigil (and always of the corpus
#      example) through flock /tmp/vigil-cargo.lock, nice -n 15, CARGO_INCREMENTAL=0, in CARGO_TARGET_DIR
#      (default ~/.cache/vigil-target). TEMPLATES=dir overrides ../shared/nuclei-templates.
#      When `vigil scan poc` is not in the binary, part 2 says so and runs pocsuite3 alone.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 threads=150 only= vigil_on=1 vigil_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --only) only=$2; shift ;;
    --pocsuite-only) vigil_on=0 ;;
    --) shift; vigil_args=("$@"); break ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
case $runs in ''|*[!0-9]*|0) echo "bench/poc.sh: --runs wants a positive number" >&2; exit 2 ;; esac
case $threads in ''|*[!0-9]*|0) echo "bench/poc.sh: --threads wants a positive number" >&2; exit 2 ;; esac
case $only in ''|corpus|run) ;; *) echo "bench/poc.sh: --only wants corpus or run" >&2; exit 2 ;; esac
templates=${TEMPLATES:-$(cd .. && pwd)/shared/nuclei-templates}
[ -d "$templates/http" ] || { echo "bench/poc.sh: no templates at $templates" >&2; exit 1; }
command -v /usr/bin/time >/dev/null ||
  { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null; }
ns=()
if [ "$(id -u)" = 0 ]; then
  ns=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
else
  echo "note: not root, no network namespace (the tools run in this one)" >&2
fi
cache=$HOME/.cache/vigil-bench
mkdir -p "$cache"

# pocsuite3 2.1.0 in its own venv, with mmh3 (without it pocsuite3 fails the favicon-hash templates:
# "Python extension for MurmurHash (MurmurHash3) is not installed"). PyYAML comes with pocsuite3; the
# selection uses both.
venv=$cache/pocsuite3-venv
ps_version() { "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pocsuite3"))' 2>/dev/null || true; }
if [ "$(ps_version)" != 2.1.0 ] || ! "$venv/bin/python" -c 'import mmh3' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pocsuite3==2.1.0 mmh3==5.3.1
fi
py=$venv/bin/python

# Release builds: the corpus example, and Vigil unless given or not wanted.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
build() { # build CARGO_ARGS...: quiet unless it fails (its output kept in $cache/poc-build.log)
  CARGO_INCREMENTAL=0 flock /tmp/vigil-cargo.lock nice -n 15 cargo build --release -q "$@" >"$cache/poc-build.log" 2>&1 ||
    { cat "$cache/poc-build.log" >&2; exit 1; }
}
corpus_bin=$CARGO_TARGET_DIR/release/examples/corpus
[ "$only" = run ] || build -p vigil-engine-poc --example corpus
vigil=
if [ "$only" != corpus ] && [ "$vigil_on" = 1 ]; then
  if [ -n "${VIGIL_BIN:-}" ]; then
    vigil=$VIGIL_BIN
  else
    build -p vigil
    vigil=$CARGO_TARGET_DIR/release/vigil
  fi
  if ! "$vigil" scan poc --help >/dev/null 2>&1; then
    echo "vigil: scan poc not available yet in $vigil; part 2 runs pocsuite3 alone"
    vigil=
  fi
fi

# The selection, rebuilt when missing or when its generator's version (sel=) changes.
sel=$cache/poc-selection
gen=3
if [ "$(cat "$sel/generator" 2>/dev/null || true)" != "$gen:$templates" ] || [ ! -e "$sel/table.json" ]; then
  rm -rf "$sel"; mkdir -p "$sel"
  echo "selecting benchmark templates from $templates ..."
  "$py" bench/poc_bench.py select "$templates" "$sel"
  echo "$gen:$templates" >"$sel/generator"
fi

results=$(mktemp -d /tmp/vigil-bench-poc.XXXXXX)
chmod 755 "$results"
cp "$sel/selection.txt" "$sel/table.json" "$results/"
echo "results: $results   runs: $runs   cores: $(nproc)   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "templates: $templates ($(find "$templates" -name '*.yaml' | wc -l) .yaml files)"
echo "selection: $sel ($(wc -l <"$sel/selection.txt") templates, $(grep -c 'vulnerable$' "$sel/selection.txt") vulnerable)"
echo "pocsuite3: $(ps_version) in $venv ($("$py" --version)), --threads $threads --no-check"
[ -n "$vigil" ] && echo "vigil: $vigil ($("$vigil" --version 2>/dev/null | head -n 1)) ${vigil_args[*]}"

if [ "$only" != run ]; then
  echo
  "$py" bench/poc_bench.py corpus "$corpus_bin" "$templates" "$results" "$runs" "$sel/templates"
fi
if [ "$only" != corpus ]; then
  echo
  "${ns[@]}" "$py" bench/poc_bench.py run "$sel" "$results" "$runs" "$threads" "$venv/bin/pocsuite" "$vigil" \
    "${vigil_args[@]}"
fi
echo
echo "raw outputs: $results"
