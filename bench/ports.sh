#!/usr/bin/env bash
# Full TCP port scan, Vigil against `nmap -sT -p- -T4` (and the tuned `--min-rate 20000`), on
# the same targets in one run: 20 planted listeners on loopback, and a netlab peer behind a
# 25 ms, 1 % loss link with 20 random open ports and ports 1000-1999 silently filtered.
# Prints each tool's time, the ratio, and whether the open-port sets are identical.
# Usage (root): bench/ports.sh [--loopback-only]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
command -v nmap >/dev/null || { apt-get update -qq && apt-get install -y -qq nmap >/dev/null; }
cargo build --release -q -p vigil
export VIGIL=$CARGO_TARGET_DIR/release/vigil
work=$(mktemp -d /tmp/vigil-bench-ports.XXXXXX)
export WORK=$work
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

cat >"$work/compare.sh" <<'SH'
#!/usr/bin/env bash
# compare.sh LABEL HOST: run both scanners on HOST, print times and agreement.
set -euo pipefail
label=$1 host=$2
t() { local s=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $s" | bc; }
vt=$(t sh -c "$VIGIL scan host $host --ports all --skip-discovery --no-service-detection --format json > $WORK/v.json")
nt=$(t sh -c "nmap -sT -p- -T4 -n -Pn -oG $WORK/n.gnmap $host > /dev/null")
ft=$(t sh -c "nmap -sT -p- -T5 --min-rate 20000 -n -Pn -oG $WORK/f.gnmap $host > /dev/null")
python3 - "$label" "$vt" "$nt" "$ft" <<'PY'
import json, re, sys, os
label, vt, nt, ft = sys.argv[1], *map(float, sys.argv[2:])
w = os.environ["WORK"]
v = sorted(f["port"] for f in json.load(open(f"{w}/v.json"))["findings"] if f["kind"] == "open_port")
def gn(p):
    txt = open(p).read()
    return sorted(int(m) for m in re.findall(r"(\d+)/open/tcp", txt))
n, f = gn(f"{w}/n.gnmap"), gn(f"{w}/f.gnmap")
print(f"{label}: vigil {vt:.2f}s, nmap -T4 {nt:.2f}s (x{nt/vt:.1f}), nmap --min-rate 20000 {ft:.2f}s (x{ft/vt:.1f})")
print(f"{label}: open ports vigil={len(v)} nmap-T4={len(n)} nmap-fast={len(f)}; identical to -T4: {v == n}; to fast: {v == f}")
if v != n:
    print(f"  only vigil: {sorted(set(v)-set(n))}  only nmap: {sorted(set(n)-set(v))}")
PY
SH
chmod +x "$work/compare.sh"
command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }

# Loopback: 20 planted listeners on random high ports.
python3 - "$work/ports.txt" <<'PY' &
import socket, sys, time, random
socks = []
random.seed(7)
while len(socks) < 20:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", random.randint(20000, 60000))); s.listen(64); socks.append(s)
    except OSError:
        s.close()
open(sys.argv[1], "w").write(" ".join(str(s.getsockname()[1]) for s in socks))
time.sleep(3600)
PY
sleep 1
echo "planted on loopback: $(cat "$work/ports.txt")"
"$work/compare.sh" loopback 127.0.0.1

if [ "${1:-}" != "--loopback-only" ]; then
  ../shared/tools/netlab --rtt-ms 25 --loss 1 --open-random 20 --filtered 1000-1999 --seed 1 -- \
    sh -c "echo \"netlab peer \$NETLAB_PEER open: \$NETLAB_OPEN\"; '$work/compare.sh' 'netlab 25ms 1%' \$NETLAB_PEER"
fi
