#!/usr/bin/env bash
# Service and version labels, Vigil against `nmap -sV`, on real servers started on loopback
# (openssh-server, redis-server, nginx, memcached, vsftpd, rsync, PostgreSQL): both tools'
# labels side by side, and each tool's time.
# Usage (root): bench/services.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
for p in nmap openssh-server redis-server nginx-light memcached vsftpd rsync postgresql; do
  dpkg -s "$p" >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
cargo build --release -q -p vigil
vigil=$CARGO_TARGET_DIR/release/vigil
work=$(mktemp -d /tmp/vigil-bench-svc.XXXXXX)
chmod 755 "$work"
source scripts/lib/postgres.sh
trap 'kill $(jobs -p) 2>/dev/null; pg_stop "$work/pg"; rm -rf "$work"' EXIT
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ports=()
p=$(free); redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & ports+=("$p")
p=$(free); memcached -l 127.0.0.1 -p "$p" -U 0 -u root >/dev/null 2>&1 & ports+=("$p")
p=$(free); mkdir -p "$work/ng"; cat >"$work/ng/nginx.conf" <<NG
daemon off; worker_processes 1; pid $work/ng/pid; error_log $work/ng/err; events {}
http { access_log off; client_body_temp_path $work/ng; proxy_temp_path $work/ng; fastcgi_temp_path $work/ng; uwsgi_temp_path $work/ng; scgi_temp_path $work/ng;
server { listen 127.0.0.1:$p; location / { return 200 'hi'; } } }
NG
nginx -c "$work/ng/nginx.conf" -e "$work/ng/e" & ports+=("$p")
p=$(free); ssh-keygen -q -t ed25519 -N "" -f "$work/hk"; mkdir -p /run/sshd
/usr/sbin/sshd -D -f /dev/null -h "$work/hk" -p "$p" -o ListenAddress=127.0.0.1 -o PidFile=none & ports+=("$p")
p=$(free); mkdir -p "$work/anon" "$work/empty"; printf 'listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=%s\nbackground=NO\nanonymous_enable=YES\nlocal_enable=NO\nanon_root=%s/anon\nsecure_chroot_dir=%s/empty\nseccomp_sandbox=NO\n' "$p" "$work" "$work" >"$work/v.conf"
vsftpd "$work/v.conf" & ports+=("$p")
p=$(free); printf 'use chroot = no\n[pub]\npath = %s/anon\n' "$work" >"$work/r.conf"
rsync --daemon --no-detach --port="$p" --address=127.0.0.1 --config="$work/r.conf" & ports+=("$p")
pg_start "$work/pg" >/dev/null; ports+=("${VIGIL_TEST_POSTGRES_URL##*:}"); ports[-1]=${ports[-1]%%/*}
sleep 2
list=$(IFS=,; echo "${ports[*]}")

s=$(date +%s.%N); "$vigil" scan host 127.0.0.1 --ports "$list" --skip-discovery --format json >"$work/v.json"; vt=$(echo "$(date +%s.%N) - $s" | bc)
s=$(date +%s.%N); nmap -sV -n -Pn -p "$list" -oX "$work/n.xml" 127.0.0.1 >/dev/null; nt=$(echo "$(date +%s.%N) - $s" | bc)
python3 - "$work" "$vt" "$nt" <<'PY'
import json, sys, xml.etree.ElementTree as ET
work, vt, nt = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
v = {}
for f in json.load(open(f"{work}/v.json"))["findings"]:
    s = f["evidence"].get("service") or {}
    v[f["port"]] = " ".join(x for x in [s.get("name"), s.get("product"), s.get("version")] if x)
n = {}
for port in ET.parse(f"{work}/n.xml").getroot().iter("port"):
    s = port.find("service")
    if s is not None:
        n[int(port.get("portid"))] = " ".join(x for x in [s.get("name"), s.get("product"), s.get("version")] if x)
print(f"{'port':>6}  {'vigil':<34} nmap -sV")
for p in sorted(set(v) | set(n)):
    print(f"{p:>6}  {v.get(p, '-'):<34} {n.get(p, '-')}")
print(f"time: vigil {vt:.2f}s, nmap -sV {nt:.2f}s (x{nt/vt:.1f})")
PY
