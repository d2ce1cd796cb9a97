#!/usr/bin/env bash
# Android packages, Vigil's apk engine against androguard 4.1.4, on the same APKs in one run on one machine:
#   small          a small app built here: 8 smali classes (one with a risky call), 4 components,
#                  14 permissions, a string resource; signed v1+v2+v3
#   multidex       4 dex files of 12,000 generated classes each (48,000 classes: 5 methods, 2 fields and
#                  4-5 string constants per class, 1 class in 20 under an ad/tracker SDK prefix, 1 in 50
#                  with a risky call (AES/ECB, MD5, Runtime.exec, Random, WebView JavaScript, world-readable
#                  prefs); 200 manifest components, 14 permissions); the dex stored uncompressed (Android
#                  maps them in place; deflated, these repetitive classes would make a 4 MB APK), so the
#                  APK is 21 MB; signed v1+v2+v3. Its build time is measured and printed (smali's part too)
#   framework-res  /usr/share/android-framework-res/framework-res.apk (Debian's, API 29: 45 MB of
#                  resources, no dex, the manifest of every platform permission)
#   big            the multidex dex (deflated here) plus 300 MB of assets: 4 x 40 MiB of random bytes
#                  stored, 4 x 46 MiB of base64 text of random bytes deflated (random bytes alone do not
#                  deflate, so aapt would store them): a 308 MiB APK, for the issue's "a 300 MB APK under
#                  512 MiB RSS"
# Per target and run, `vigil scan apk APK --format json` and the androguard side (below), one after the
# other (which goes first alternates), each under `/usr/bin/time -v` and, as root, in a network namespace
# of its own (`unshare -n`: both read a local file only). Then per target: every run's wall time, CPU time
# (user+system) and peak RSS; what each found (Vigil: findings by rule, components of kind
# android-permission / android-sdk; androguard: permissions from APK.get_permissions(), components, dex,
# classes, methods, strings, instructions, signature schemes, certificates; the two permission sets
# compared); and a final table with medians and the androguard/Vigil ratios of wall time, CPU and RSS.
#
# The androguard side (bench/apk_bench.py androguard), by default "walk": androguard.core.apk.APK(path)
# (zip, binary manifest), package/version/SDK levels, get_permissions(), the four component lists,
# get_app_name() (resolved through resources.arsc), get_android_resources(), is_signed_v1/v2/v3() and
# get_certificates(); then androguard.core.dex.DEX(raw) for every get_all_dex() (classes*.dex), every class
# and method, every instruction of every method decoded (Vigil's code rules walk every method's
# instructions too), get_strings(), get_fields(). That is the work Vigil does (manifest, resources,
# signatures, all dex and their code) without androguard's cross-reference graph; `--androguard analyze`
# runs androguard.misc.AnalyzeAPK instead (what most users call: the same plus the whole xref Analysis,
# slower and larger). Vigil does more than either: it verifies the v1/v2/v3 digests over the whole file,
# runs its rules and matches the classes against its SDK signatures (the built-in set plus the Exodus
# database when ../shared/android/exodus-trackers.json is there, copied into its data directory).
# Raw outputs (JSON, stderr, time -v) stay in /tmp/vigil-bench-apk.XXXXXX (printed at the end).
#
# Set-up, cached under ~/.cache/vigil-bench/ and rebuilt only when missing: the androguard venv
# (androguard-venv: pip install androguard==4.1.4, the only network use), the signing key and the APKs
# (apk/: small.apk, multidex.apk with its dex files in apk/multidex/, big.apk); Debian's aapt, zipalign,
# apksigner, smali, android-framework-res and a JRE are apt-installed when missing. Delete an APK to
# rebuild it (multidex.apk: also apk/multidex/ for the dex; all of them when the generator's version, gen=,
# changes). Building multidex takes 70-90 s on 2 cores (smali 45-60 s, writing the 48,000 sources 25-30 s,
# packaging and signing 1 s), big 15 s more.
# Peak RSS is what `time -v` reports: for Vigil it includes the pages of the APK it maps and reads (clean,
# file-backed, at most the file's size; on big about 320 of its 413 MiB, anonymous memory about 95 MiB).
#
# Usage: bench/apk.sh [--runs N] [--only TARGET[,TARGET...]] [--androguard walk|analyze] [--skip-androguard-big]
#   --runs N               runs per tool and target (default 3; medians in the table)
#   --only ...             some of: small, multidex, framework-res, big (default: all four)
#   --androguard MODE      walk (default) or analyze (AnalyzeAPK), as above
#   --skip-androguard-big  Vigil only on big (androguard takes about as long there as on multidex, but
#                          holds the whole file: about 1.1 GiB peak)
# Env: VIGIL_BIN=path uses that binary; otherwise a release build (through flock /tmp/vigil-cargo.lock,
#      nice -n 15, CARGO_INCREMENTAL=0) in CARGO_TARGET_DIR (default ~/.cache/vigil-bench-target).
#      Run as root for the network namespaces (without root the tools run in this one).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 only=small,multidex,framework-res,big mode=walk skip_big=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    --androguard) mode=$2; shift ;;
    --skip-androguard-big) skip_big=1 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
case $runs in ''|*[!0-9]*|0) echo "bench/apk.sh: --runs wants a positive number" >&2; exit 2 ;; esac
case $mode in walk|analyze) ;; *) echo "bench/apk.sh: --androguard wants walk or analyze" >&2; exit 2 ;; esac
ns=()
if [ "$(id -u)" = 0 ]; then ns=(unshare -n); else echo "note: not root, no network namespaces" >&2; fi
cache=$HOME/.cache/vigil-bench
apks=$cache/apk
framework=/usr/share/android-framework-res/framework-res.apk
mkdir -p "$apks"
# The generator's version (bench/apk_bench.py smali and manifest): bump it when they change, and the
# cached APKs are built again.
gen=2
if [ "$(cat "$apks/generator" 2>/dev/null || true)" != "$gen" ]; then
  rm -rf "$apks/small.apk" "$apks/multidex" "$apks/multidex.apk" "$apks/big.apk" "$apks"/*.txt
  echo "$gen" >"$apks/generator"
fi
need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null || [ -e "$1" ] ||
    { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
need /usr/bin/time time
need aapt aapt
need zipalign zipalign
need apksigner apksigner
need smali libsmali-java
need keytool default-jre-headless
need "$framework" android-framework-res

# androguard 4.1.4 in its own venv.
venv=$cache/androguard-venv
ag_version() { "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("androguard"))' 2>/dev/null || true; }
if [ "$(ag_version)" != 4.1.4 ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q androguard==4.1.4
fi

# Vigil, a release build unless given.
if [ -n "${VIGIL_BIN:-}" ]; then
  vigil=$VIGIL_BIN
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-bench-target}
  CARGO_INCREMENTAL=0 flock /tmp/vigil-cargo.lock nice -n 15 cargo build --release -q -p vigil
  vigil=$CARGO_TARGET_DIR/release/vigil
fi

# Vigil's data directory: the Exodus tracker database when this checkout has one beside it.
datadir=$apks/vigil-data
mkdir -p "$datadir/android"
exodus=../shared/android/exodus-trackers.json
if [ -f "$exodus" ] && [ ! -e "$datadir/android/exodus-trackers.json" ]; then
  cp "$exodus" "$datadir/android/exodus-trackers.json"
fi

# The signing key.
ks=$apks/bench.jks
if [ ! -e "$ks" ]; then
  keytool -genkeypair -keystore "$ks.tmp" -storepass vigil-bench -keypass vigil-bench -alias bench \
    -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Vigil Bench, O=Vigil" >/dev/null 2>&1
  mv "$ks.tmp" "$ks"
fi

# package DIR OUT.apk stored|deflated [ASSETS]: DIR holds AndroidManifest.xml, res/ and classes*.dex;
# resources and manifest compiled by aapt (ASSETS as -A, *.bin stored), dex added (stored or deflated),
# aligned, signed v1+v2+v3.
package() {
  local dir=$1 out=$2 dex=$3 assets=${4:-} extra=()
  [ -n "$assets" ] && extra=(-A "$assets" -0 bin)
  rm -f "$dir/unsigned.apk" "$dir/aligned.apk"
  aapt package -f -M "$dir/AndroidManifest.xml" -S "$dir/res" -I "$framework" "${extra[@]}" -F "$dir/unsigned.apk" >/dev/null
  if [ "$dex" = stored ]; then
    python3 bench/apk_bench.py add-stored "$dir/unsigned.apk" "$dir"/classes*.dex
  else
    (cd "$dir" && aapt add unsigned.apk classes*.dex >/dev/null)
  fi
  zipalign -f 4 "$dir/unsigned.apk" "$dir/aligned.apk"
  apksigner sign --ks "$ks" --ks-pass pass:vigil-bench --min-sdk-version 21 --v1-signing-enabled true \
    --v2-signing-enabled true --v3-signing-enabled true --out "$out.tmp" "$dir/aligned.apk"
  rm -f "$dir/unsigned.apk" "$dir/aligned.apk" "$out.tmp.idsig"
  mv "$out.tmp" "$out"
}
since() { # since T0 [T1 [MINUS]]: seconds from T0 to T1 (default now), less MINUS
  awk -v a="$1" -v b="${2:-$(date +%s.%N)}" -v c="${3:-0}" 'BEGIN {print b - a - c}'
}
strings_xml() { # strings_xml DIR LABEL
  mkdir -p "$1/res/values"
  printf '<?xml version="1.0" encoding="utf-8"?>\n<resources>\n  <string name="app_name">%s</string>\n</resources>\n' "$2" \
    >"$1/res/values/strings.xml"
}

targets=()
for t in ${only//,/ }; do
  case $t in
    small|multidex|framework-res|big) targets+=("$t") ;;
    *) echo "bench/apk.sh: unknown target $t" >&2; exit 2 ;;
  esac
done
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }

if wants small && [ ! -e "$apks/small.apk" ]; then
  d=$apks/small.build
  rm -rf "$d"; mkdir -p "$d"
  python3 bench/apk_bench.py smali "$d/smali" 0 8 0 8 >/dev/null
  python3 bench/apk_bench.py manifest "$d/AndroidManifest.xml" com.bench.small 4
  strings_xml "$d" "Bench Small"
  smali assemble --api 21 -o "$d/classes.dex" "$d/smali"
  package "$d" "$apks/small.apk" deflated
  rm -rf "$d"
fi

# multidex: dex files kept in apk/multidex/ (big reuses them).
dexes=4 per_dex=12000
md=$apks/multidex
if { wants multidex || wants big; } && [ ! -e "$md/done" ]; then
  jobs=$(nproc)
  echo "building multidex: $dexes dex x $per_dex classes (smali -j $jobs) ..."
  rm -rf "$md"; mkdir -p "$md"
  t0=$(date +%s.%N) tsmali=0
  for i in $(seq 0 $((dexes - 1))); do
    python3 bench/apk_bench.py smali "$md/smali$i" "$i" "$per_dex" $((i * per_dex)) $((dexes * per_dex)) >/dev/null
    s0=$(date +%s.%N)
    name=classes.dex
    [ "$i" -gt 0 ] && name=classes$((i + 1)).dex
    smali assemble --api 21 -j "$jobs" -o "$md/$name" "$md/smali$i"
    tsmali=$(awk -v a="$tsmali" -v b="$s0" -v c="$(date +%s.%N)" 'BEGIN {print a + c - b}')
    rm -rf "$md/smali$i"
  done
  python3 bench/apk_bench.py manifest "$md/AndroidManifest.xml" com.bench.multidex 200
  strings_xml "$md" "Bench Multidex"
  t1=$(date +%s.%N)
  printf 'multidex dex build: %d dex x %d classes, %.0f s (smali %.0f s, generating sources %.0f s)\n' \
    "$dexes" "$per_dex" "$(since "$t0" "$t1")" "$tsmali" "$(since "$t0" "$t1" "$tsmali")" >"$md/build.txt"
  touch "$md/done"
  rm -f "$apks/multidex.apk" "$apks/big.apk"
fi
if wants multidex && [ ! -e "$apks/multidex.apk" ]; then
  t0=$(date +%s.%N)
  package "$md" "$apks/multidex.apk" stored
  printf 'multidex packaging and signing: %.0f s\n' "$(since "$t0")" >"$apks/multidex.package.txt"
fi
if wants big && [ ! -e "$apks/big.apk" ]; then
  echo "building big: multidex dex + 300 MB of assets ..."
  t0=$(date +%s.%N)
  b=$apks/big.build
  rm -rf "$b"; mkdir -p "$b/assets/stored" "$b/assets/deflated"
  cp "$md"/classes*.dex "$md/AndroidManifest.xml" "$b/"
  sed -i 's/com\.bench\.multidex/com.bench.big/' "$b/AndroidManifest.xml"
  strings_xml "$b" "Bench Big"
  for i in 1 2 3 4; do
    head -c 40M /dev/urandom >"$b/assets/stored/blob$i.bin"
    head -c 35M /dev/urandom | base64 -w 76 >"$b/assets/deflated/text$i.txt"
  done
  package "$b" "$apks/big.apk" deflated "$b/assets"
  rm -rf "$b"
  printf 'big build: %.0f s\n' "$(since "$t0")" >"$apks/big.build.txt"
fi

results=$(mktemp -d /tmp/vigil-bench-apk.XXXXXX)
chmod 755 "$results"
echo "results: $results   runs: $runs   cores: $(nproc)   androguard: $mode   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vigil: $vigil ($("$vigil" --version 2>/dev/null | head -n 1)), data dir $datadir" \
  "($(find "$datadir/android" -type f -printf '%f ' 2>/dev/null)+ built-in SDK signatures)"
echo "androguard: $(ag_version) in $venv ($("$venv/bin/python" --version))"
for f in "$md/build.txt" "$apks/multidex.package.txt" "$apks/big.build.txt"; do
  [ -e "$f" ] && cat "$f"
done

# measure TARGET APK TOOL RUN: one run under time -v, recorded in runs.jsonl.
measure() {
  local target=$1 apk=$2 tool=$3 run=$4 out=$1.$3.$4 status cmd
  case $tool in
    vigil) cmd=("$vigil" scan apk "$apk" --data-dir "$datadir" --format json) ;;
    androguard) cmd=("$venv/bin/python" bench/apk_bench.py androguard "$apk" "$results/$out.json" "$mode") ;;
  esac
  set +e
  if [ "$tool" = vigil ]; then
    "${ns[@]}" /usr/bin/time -v -o "$results/$out.time" "${cmd[@]}" >"$results/$out.json" 2>"$results/$out.err"
  else
    "${ns[@]}" /usr/bin/time -v -o "$results/$out.time" "${cmd[@]}" >/dev/null 2>"$results/$out.err"
  fi
  status=$?
  set -e
  printf '{"target": "%s", "apk": "%s", "tool": "%s", "run": %d, "output": "%s", "err": "%s", "timefile": "%s", "status": %d}\n' \
    "$target" "$apk" "$tool" "$run" "$out.json" "$out.err" "$out.time" "$status" >>"$results/runs.jsonl"
  printf '  %-14s %-10s run %d: exit %d, %s\n' "$target" "$tool" "$run" "$status" \
    "$(awk -F': ' '/Elapsed/ {w=$2} /Maximum resident/ {r=$2} END {printf "%s, %d MiB", w, r / 1024}' "$results/$out.time")"
}
for name in "${targets[@]}"; do
  case $name in
    framework-res) apk=$framework ;;
    *) apk=$apks/$name.apk ;;
  esac
  for run in $(seq "$runs"); do
    if [ "$name" = big ] && [ "$skip_big" = 1 ]; then
      measure "$name" "$apk" vigil "$run"
    elif [ $((run % 2)) = 1 ]; then
      measure "$name" "$apk" vigil "$run"; measure "$name" "$apk" androguard "$run"
    else
      measure "$name" "$apk" androguard "$run"; measure "$name" "$apk" vigil "$run"
    fi
  done
done

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates both tools' wall times)"
python3 bench/apk_bench.py summary "$results" | tee "$results/summary.txt"
echo "raw outputs (JSON, stderr, time -v) and the summary: $results"
