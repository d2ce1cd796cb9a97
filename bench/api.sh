#!/usr/bin/env bash
# API throughput and latency of `DescribeSites` (TC3-signed POST, 10 sites per page) with wrk on
# loopback, against a release build on SQLite. A TC3 signature stays valid for the 300 s skew
# window, so one pre-signed request is replayed; the rate limit is lifted for the run.
# Usage: bench/api.sh [duration-seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}
conns=${2:-32}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p vigil
bin=$CARGO_TARGET_DIR/release/vigil
work=$(mktemp -d /tmp/vigil-bench-api.XXXXXX)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
cat >"$work/vigil.toml" <<TOML
[api]
rate_per_second = 100000000
TOML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" keys create --data-dir "$work/data" >"$work/key.json"
VIGIL_LOG=warn "$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" --config "$work/vigil.toml" --workers 1 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$work" "$port" <<'PY'
import hashlib, hmac, json, sys, time, urllib.request
work, port = sys.argv[1], sys.argv[2]
key = json.load(open(f"{work}/key.json"))
host = f"127.0.0.1:{port}"
def signed(action, body):
    ts = int(time.time()); date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    canon = f"POST\n/\n\ncontent-type:application/json\nhost:{host}\n\ncontent-type;host\n" + hashlib.sha256(body.encode()).hexdigest()
    s2s = f"TC3-HMAC-SHA256\n{ts}\n{date}/cws/tc3_request\n" + hashlib.sha256(canon.encode()).hexdigest()
    k = hmac.new(("TC3" + key["SecretKey"]).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"cws", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, s2s.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Host": host, "X-TC-Action": action, "X-TC-Version": "2018-03-12",
            "X-TC-Timestamp": str(ts),
            "Authorization": f"TC3-HMAC-SHA256 Credential={key['SecretId']}/{date}/cws/tc3_request, SignedHeaders=content-type;host, Signature={sig}"}
body = json.dumps({"Urls": [f"http://127.0.0.1:{10000 + i}/" for i in range(50)]})
r = urllib.request.urlopen(urllib.request.Request(f"http://{host}/", body.encode(), signed("CreateSites", body)))
assert json.load(r)["Response"]["Number"] == 50
body = json.dumps({"Limit": 10, "Offset": 20})
h = signed("DescribeSites", body)
check = json.load(urllib.request.urlopen(urllib.request.Request(f"http://{host}/", body.encode(), h)))
assert check["Response"]["TotalCount"] == 50 and len(check["Response"]["Sites"]) == 10, check
with open(f"{work}/req.lua", "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write(f"wrk.body = {json.dumps(body)}\n")
    for k, v in h.items():
        if k != "Host":
            f.write(f'wrk.headers["{k}"] = {json.dumps(v)}\n')
    f.write('''
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  max %.2f ms\\n", latency:percentile(50)/1000, latency:percentile(99)/1000, latency.max/1000))
end
''')
PY
echo "DescribeSites, ${dur}s, $conns connections, 2 threads, $(nproc) cores:"
wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$work/req.lua" "http://127.0.0.1:$port/" >"$work/wrk.out"
grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|p50|Latency   ' "$work/wrk.out"
# Every request wrk sent must have been served as a success: compare with the server's own count.
sent=$(awk '/requests in/ {print $1}' "$work/wrk.out")
metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
ok=$(echo "$metrics" | awk -F' ' '/^vigil_api_requests_total\{action="DescribeSites",code="OK"\}/ {print $2}')
refused=$(echo "$metrics" | awk '/^vigil_api_requests_total\{action="DescribeSites",code="[^O]/ {n += $2} END {print n + 0}')
echo "server counted DescribeSites: $ok OK (wrk completed $sent + 1 check request), $refused refused"
