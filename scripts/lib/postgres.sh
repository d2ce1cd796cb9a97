# Start and stop a throw-away PostgreSQL server on loopback with a random port.
# Usage (sourced): pg_start DIR  -> exports VIGIL_TEST_POSTGRES_URL; pg_stop DIR
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && echo "$d" && return; done
  return 1
}

pg_start() {
  local dir=$1 bin port
  bin=$(pg_bin) || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  mkdir -p "$dir"
  chown postgres:postgres "$dir" 2>/dev/null || true
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U vigil --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  export VIGIL_TEST_POSTGRES_URL="postgres://vigil@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bin) || return 0
  [ -d "$dir/data" ] || return 0
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
}
