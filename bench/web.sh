#!/usr/bin/env bash
# Web scanning, Vigil against wapiti 3.2.3, on the deliberately vulnerable test app
# (tests/webapp: vulnerable cases with safe twins, manifest.json), in one run on one machine.
# Everything runs inside a fresh network namespace that has only loopback (wapiti phones home):
# the app, a loopback stand-in for wapiti's out-of-band endpoint, and the scanners. Both scanners
# get the login cookie and exclude /logout. The app is restarted with a fresh request log before
# each scan; requests are counted in that log, less the app's own `Python-urllib` requests.
#   1. wapiti  -m $WAPITI_MODULES (its modules for our classes, see below)
#   2. vigil   --mode normal, no rate limit (wapiti has no rate option either): wall time against wall time
#   3. vigil   --rate = wapiti's measured average rate (its requests / its wall time), rounded
# Then every run is scored against manifest.json: true positives per class, findings on safe
# twins (false positives), missed cases, and findings on no case; then the Vigil/wapiti ratios.
# Raw outputs and logs stay in /tmp/vigil-bench-web.XXXXXX (printed at the end).
#
# wapiti modules (3.2.3 has no SSTI module; CORS, private IPs, secrets, directory listing, mixed
# content and password-form checks have no wapiti module either):
#   xss sql exec file redirect crlf ssrf xxe   the active classes; ssrf reports only through the
#                                              endpoint, here the stand-in (--dead-endpoint: none)
#   http_headers csp cookieflags backup        passive: security-headers, cookie-flags, sensitive-file
#   timesql                                    added with --deep (time-based SQLi is a deep case)
# Left out: permanentxss, upload, ssl, csrf, methods, htaccess (classes we do not score), buster
# (a 31,000-word brute force), nikto and wapp (they download their databases from the internet).
#
# Usage (root): bench/web.sh [--deep] [--no-auth] [--max-time SECONDS] [--dead-endpoint] [--wapiti-only]
#   --deep           Vigil --mode deep, wapiti + timesql; deep cases (header/cookie points, timing) expected
#   --no-auth        no login cookie for either tool
#   --max-time N     wapiti --max-scan-time N --max-attack-time N (default 600; in 3.2.3 the first bounds only
#                    the crawl, the second each module); each tool also runs under `timeout` derived from N
#   --dead-endpoint  wapiti --endpoint http://127.0.0.1:9/ (nothing listens: no SSRF findings possible)
#   --wapiti-only    skip Vigil (and its build)
# Env: WAPITI_MODULES overrides the module list; VIGIL=path uses that binary instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=normal auth=1 maxtime=600 dead=0 vigil_on=1
while [ $# -gt 0 ]; do
  case $1 in
    --deep) mode=deep ;;
    --no-auth) auth=0 ;;
    --max-time) maxtime=$2; shift ;;
    --dead-endpoint) dead=1 ;;
    --wapiti-only) vigil_on=0 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "bench/web.sh: needs root (network namespace)" >&2; exit 1; }
modules=${WAPITI_MODULES:-xss,sql,exec,file,redirect,crlf,ssrf,xxe,http_headers,csp,cookieflags,backup}
[ "$mode" = deep ] && [ -z "${WAPITI_MODULES:-}" ] && modules=$modules,timesql

# Tools: wapiti and the app's Python packages in one venv; Vigil's release build.
venv=$HOME/.cache/vigil-bench-venv
if ! "$venv/bin/wapiti" --version 2>/dev/null | grep -qx 3.2.3 || ! "$venv/bin/python" -c 'import jinja2, lxml' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q wapiti3==3.2.3 jinja2 lxml
fi
py=$venv/bin/python
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
vigil=${VIGIL:-}
if [ "$vigil_on" = 1 ] && [ -z "$vigil" ]; then
  cargo build --release -q -p vigil
  vigil=$CARGO_TARGET_DIR/release/vigil
fi
if [ "$vigil_on" = 1 ] && ! "$vigil" scan web --help >/dev/null 2>&1; then
  echo "bench/web.sh: '$vigil scan web' is not available in this build; running wapiti only" >&2
  vigil_on=0
fi

results=$(mktemp -d /tmp/vigil-bench-web.XXXXXX)
chmod 755 "$results"
ns=vigilwb$$
app_pid= ep_pid= tool_pid=
cleanup() {
  set +e
  for p in $tool_pid $app_pid $ep_pid; do kill "$p" 2>/dev/null; done
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
inns() { ip netns exec "$ns" "$@"; }

# wait_ready FILE: the port from the "READY <port>" line a server prints.
wait_ready() {
  for _ in $(seq 200); do
    if grep -q '^READY ' "$1" 2>/dev/null; then awk '/^READY /{print $2; exit}' "$1"; return; fi
    sleep 0.05
  done
  echo "bench/web.sh: no READY line in $1" >&2; cat "$1" >&2; exit 1
}
# start_app NAME: a fresh default instance logging to $results/NAME.log; sets $port and $cookie.
start_app() {
  [ -n "$app_pid" ] && { kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; }
  inns "$py" tests/webapp/vulnapp.py --port 0 --log "$results/$1.log" >"$results/$1.app.out" 2>&1 &
  app_pid=$!
  port=$(wait_ready "$results/$1.app.out")
  cookie=
  [ "$auth" = 1 ] && cookie=$(inns "$py" bench/web_bench.py login "http://127.0.0.1:$port/")
  true
}
# timed OUTVAR CMD...: run CMD, put its wall time in OUTVAR and its exit status in $status.
# In the background, so that a signal to this script is handled at once (and cleans up).
timed() {
  local var=$1 s; shift
  s=$(date +%s.%N)
  "$@" &
  tool_pid=$!
  set +e; wait "$tool_pid"; status=$?; set -e
  tool_pid=
  printf -v "$var" '%.3f' "$(echo "$(date +%s.%N) - $s" | bc)"
}
# record LABEL TOOL OUTPUT LOG WALL: one line of runs.jsonl for the scorer.
record() {
  printf '{"label": "%s", "tool": "%s", "mode": "%s", "output": "%s", "log": "%s", "wall": %s, "status": %s}\n' \
    "$1" "$2" "$mode" "$3" "$4" "$5" "$status" >>"$results/runs.jsonl"
}
command -v bc >/dev/null || { apt-get update -qq && apt-get install -y -qq bc >/dev/null; }

if [ "$dead" = 1 ]; then
  endpoint=http://127.0.0.1:9/
else
  inns "$py" bench/web_bench.py endpoint >"$results/endpoint.out" 2>&1 &
  ep_pid=$!
  endpoint=http://127.0.0.1:$(wait_ready "$results/endpoint.out")/
fi
echo "results: $results   namespace: $ns   mode: $mode   auth: $([ $auth = 1 ] && echo cookie || echo none)"
echo "wapiti modules: $modules   endpoint: $endpoint"

# 1. wapiti
start_app wapiti
wargs=(-u "http://127.0.0.1:$port/" -m "$modules" --max-scan-time "$maxtime" --max-attack-time "$maxtime"
       --flush-session --no-bugreport
       --endpoint "$endpoint" -x "http://127.0.0.1:$port/logout*" --store-session "$results/wapiti-session"
       -f json -o "$results/wapiti.json" -v 1)
[ -n "$cookie" ] && wargs+=(-C "$cookie")
nmods=$(echo "$modules" | tr , '\n' | grep -c .)
echo "running wapiti (crawl at most ${maxtime}s, then each of $nmods modules at most ${maxtime}s)..."
timed wt inns timeout -k 10 $((maxtime * (nmods + 1) + 300)) "$venv/bin/wapiti" "${wargs[@]}" >"$results/wapiti.out" 2>&1
record "wapiti 3.2.3" wapiti wapiti.json wapiti.log "$wt"
wcount=$("$py" bench/web_bench.py count "$results/wapiti.log" "$wt")
echo "wapiti: exit $status, $wt s, $wcount"
wrate=$(echo "$wcount" | "$py" -c 'import json,sys; print(max(1, round(json.load(sys.stdin)["rate"])))')

# 2 and 3. Vigil, unlimited and at wapiti's average rate.
if [ "$vigil_on" = 1 ]; then
  for run in unlimited rate; do
    start_app "vigil-$run"
    vargs=(scan web "http://127.0.0.1:$port/" --mode "$mode" --exclude '/logout' --format json)
    [ -n "$cookie" ] && vargs+=(--cookie "$cookie")
    label="vigil $mode" limit=$((maxtime * 3 / 2 + 180))
    if [ "$run" = rate ]; then
      vargs+=(--rate "$wrate"); label="vigil $mode --rate $wrate"
      # as many requests as unlimited, at wapiti's rate: twice that long at most
      limit=$(( limit > 2 * vreq / wrate + 300 ? limit : 2 * vreq / wrate + 300 ))
    fi
    echo "running $label (at most ${limit}s)..."
    # SIGINT on timeout: Vigil then stops and still prints what it found so far.
    timed vt inns timeout -s INT -k 30 "$limit" "$vigil" "${vargs[@]}" \
      >"$results/vigil-$run.json" 2>"$results/vigil-$run.err"
    record "$label" vigil "vigil-$run.json" "vigil-$run.log" "$vt"
    vcount=$("$py" bench/web_bench.py count "$results/vigil-$run.log" "$vt")
    vreq=$(echo "$vcount" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
    echo "$label: exit $status, $vt s, $vcount"
  done
fi
kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null || true; app_pid=

"$py" bench/web_bench.py score "$results" | tee "$results/score.txt"
echo "raw outputs, app logs and the score: $results"
