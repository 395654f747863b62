#!/usr/bin/env bash
# Build (once, cached) and run a FerretDB v1.24.2 server (MongoDB wire protocol, SQLite backend)
# on a loopback port, for tests, the demo and CI. Needs only Go and the Go module proxy.
#
# Usage:
#   scripts/ferretdb.sh build          build the binary if not cached; prints its path
#   scripts/ferretdb.sh start [PORT]   start on 127.0.0.1:PORT (default 27018) with a fresh data dir;
#                                      prints mongodb://127.0.0.1:PORT/ as the last line of stdout
#   scripts/ferretdb.sh stop  [PORT]   stop it and remove its data dir
#   scripts/ferretdb.sh url   [PORT]   print the URL
#   scripts/ferretdb.sh status [PORT]  exit 0 if running (and print the URL), 1 if not
#
# Only the path (build) or the URL (start, url, status) goes to stdout; all messages go to stderr.
#
# Environment:
#   COATCHECK_CACHE          cache root (default: $HOME/.cache/coatcheck); the binary goes to
#                            $COATCHECK_CACHE/ferretdb-v1.24.2/ferretdb
#   FERRETDB_DATA_DIR        data dir to use instead of ${TMPDIR:-/tmp}/coatcheck-ferretdb-PORT/data;
#                            it must be absent, empty, or a data dir this script created before,
#                            because it is wiped on start and removed on stop
#   FERRETDB_START_TIMEOUT   seconds to wait for the port to accept connections (default: 30)
#   FERRETDB_LOG_LEVEL       server log level: debug, info, warn, error (default: info)
#   GO                       go binary to use (default: go on PATH, else /usr/local/go/bin/go)
#
# Why the build is not a plain `go install ...@v1.24.2`: that binary panics at start-up because the
# module does not ship build/version/version.txt (FerretDB issue #2982). So the module source is
# copied out of the module cache, the file is written, and cmd/ferretdb is built from the copy.
set -euo pipefail

readonly FERRETDB_VERSION="v1.24.2"
readonly FERRETDB_MODULE="github.com/FerretDB/FerretDB"
readonly DEFAULT_PORT=27018
readonly CACHE_ROOT="${COATCHECK_CACHE:-${HOME:?HOME is not set; set COATCHECK_CACHE}/.cache/coatcheck}"
readonly BUILD_DIR="$CACHE_ROOT/ferretdb-$FERRETDB_VERSION"
readonly BIN="$BUILD_DIR/ferretdb"
readonly RUN_ROOT="${TMPDIR:-/tmp}"
readonly DATA_MARKER=".coatcheck-ferretdb-data"

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
}

find_go() {
  if [[ -n "${GO:-}" ]]; then
    printf '%s\n' "$GO"
  elif command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    die "no Go toolchain found (install Go >= 1.24 or set GO=/path/to/go)"
  fi
}

# lock FD FILE: take an exclusive lock (no-op where flock(1) is missing, e.g. stock macOS).
lock() {
  local fd="$1" file="$2"
  command -v flock >/dev/null 2>&1 || return 0
  eval "exec $fd>\"\$file\""
  flock "$fd"
}

check_port() {
  [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)) || die "invalid port: '$1'"
}

url_for() { printf 'mongodb://127.0.0.1:%s/\n' "$1"; }

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# is_ferretdb PID: true if PID is alive and (where /proc exists) is our ferretdb binary.
is_ferretdb() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'ferretdb' || return 1
  fi
  return 0
}

# ---------------------------------------------------------------------------------------- build

cmd_build() {
  if [[ -x "$BIN" ]]; then
    printf '%s\n' "$BIN"
    return 0
  fi

  mkdir -p "$BUILD_DIR"
  lock 9 "$BUILD_DIR/.build.lock"
  if [[ -x "$BIN" ]]; then # built by a concurrent caller while we waited for the lock
    printf '%s\n' "$BIN"
    return 0
  fi

  local go
  go="$(find_go)"
  log "building FerretDB $FERRETDB_VERSION with $("$go" version) (first time only, about a minute)..."
  local started=$SECONDS

  # Dedicated module and build caches under the build dir keep the build independent of whatever
  # the machine has (-modcacherw keeps the module cache deletable with plain rm -rf). They take
  # ~1 GB and are deleted after a successful build, leaving only the ~45 MB binary.
  export GOMODCACHE="$BUILD_DIR/gomodcache"
  export GOCACHE="$BUILD_DIR/gocache"
  export GOFLAGS="-modcacherw"
  export GO111MODULE=on GOWORK=off CGO_ENABLED=0

  local tmp
  tmp="$(mktemp -d "$BUILD_DIR/tmp.XXXXXX")"
  # shellcheck disable=SC2064 # expand $tmp now
  trap "rm -rf '$tmp'" EXIT

  local src_dir
  src_dir="$(cd "$tmp" && "$go" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$src_dir" && -d "$src_dir" ]] || die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed"

  cp -R "$src_dir" "$tmp/src"
  chmod -R u+w "$tmp/src"
  printf '%s\n' "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
  printf '%s\n' "coatcheck" >"$tmp/src/build/version/package.txt"

  (cd "$tmp/src" && "$go" build -trimpath -buildvcs=false -o "$tmp/ferretdb" ./cmd/ferretdb) >&2 ||
    die "go build of FerretDB $FERRETDB_VERSION failed"

  # Smoke test: the version.txt panic would show up here.
  "$tmp/ferretdb" --version >/dev/null 2>&1 || die "built binary does not run: $("$tmp/ferretdb" --version 2>&1 | tail -n 5)"

  mv -f "$tmp/ferretdb" "$BIN"
  rm -rf "$tmp" "$GOMODCACHE" "$GOCACHE"
  trap - EXIT
  log "built $BIN in $((SECONDS - started))s"
  printf '%s\n' "$BIN"
}

# ---------------------------------------------------------------------------------------- start/stop

# Per-port state lives in $RUN_ROOT/coatcheck-ferretdb-PORT/: ferretdb.pid, ferretdb.log, data-dir
# (the data dir in use) and, unless FERRETDB_DATA_DIR is set, data/.
run_dir_for() { printf '%s/coatcheck-ferretdb-%s\n' "$RUN_ROOT" "$1"; }

# remove_data_dir DIR: remove DIR, but only if this script created it (marker file present).
remove_data_dir() {
  local dir="$1"
  [[ -n "$dir" && -d "$dir" ]] || return 0
  if [[ -f "$dir/$DATA_MARKER" ]]; then
    rm -rf "$dir"
  else
    log "warning: not removing $dir: it was not created by this script (no $DATA_MARKER)"
  fi
}

cmd_start() {
  local port="${1:-$DEFAULT_PORT}"
  check_port "$port"

  local bin
  bin="$(cmd_build)"

  local run_dir
  run_dir="$(run_dir_for "$port")"
  mkdir -p "$run_dir"
  lock 8 "$run_dir/.lock"
  local pid_file="$run_dir/ferretdb.pid" log_file="$run_dir/ferretdb.log"

  local old_pid=""
  [[ -f "$pid_file" ]] && old_pid="$(cat "$pid_file" 2>/dev/null || true)"
  if [[ -n "$old_pid" ]] && is_ferretdb "$old_pid"; then
    if port_open "$port"; then
      log "already running on port $port (pid $old_pid)"
      url_for "$port"
      return 0
    fi
    die "pid $old_pid from $pid_file is alive but port $port is closed; run '$0 stop $port' first"
  fi
  [[ -n "$old_pid" ]] && log "removing stale pid file (pid $old_pid is gone)"
  rm -f "$pid_file"
  if [[ -f "$run_dir/data-dir" ]]; then # left over from a server that died without stop
    remove_data_dir "$(cat "$run_dir/data-dir")"
    rm -f "$run_dir/data-dir"
  fi

  if port_open "$port"; then
    die "port $port on 127.0.0.1 is already in use by another process (not started by this script)"
  fi

  local data_dir="${FERRETDB_DATA_DIR:-$run_dir/data}"
  if [[ -d "$data_dir" ]]; then
    if [[ -f "$data_dir/$DATA_MARKER" ]]; then
      rm -rf "$data_dir"
    elif [[ -n "$(ls -A "$data_dir")" ]]; then
      die "data dir $data_dir is not empty and was not created by this script; refusing to wipe it"
    fi
  fi
  mkdir -p "$data_dir"
  data_dir="$(cd "$data_dir" && pwd -P)"
  [[ "$data_dir" =~ ^[A-Za-z0-9._/+-]+$ ]] ||
    die "data dir path '$data_dir' has characters that do not fit in a file: URL; set FERRETDB_DATA_DIR"
  touch "$data_dir/$DATA_MARKER"
  printf '%s\n' "$data_dir" >"$run_dir/data-dir"

  log "starting FerretDB $FERRETDB_VERSION on 127.0.0.1:$port (data: $data_dir, log: $log_file)"
  : >"$log_file"
  # The server gets its own session (setsid) so a Ctrl-C in the caller's terminal does not kill
  # it, and no inherited stdout/stderr (so `$(ferretdb.sh start)` returns) nor lock fds.
  local setsid=()
  command -v setsid >/dev/null 2>&1 && setsid=(setsid)
  ${setsid[@]+"${setsid[@]}"} "$bin" \
    --handler=sqlite \
    --sqlite-url="file:$data_dir/" \
    --listen-addr="127.0.0.1:$port" \
    --telemetry=disable \
    --state-dir=- \
    --debug-addr=- \
    --log-level="${FERRETDB_LOG_LEVEL:-info}" \
    </dev/null >>"$log_file" 2>&1 8>&- 9>&- &
  local pid=$!
  disown "$pid" 2>/dev/null || true # no "Killed"/"Done" job notices from this shell
  printf '%s\n' "$pid" >"$pid_file"

  local timeout="${FERRETDB_START_TIMEOUT:-30}"
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "invalid FERRETDB_START_TIMEOUT: '$timeout'"
  local deadline=$((SECONDS + timeout)) failure=""
  until port_open "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      failure="FerretDB exited during start-up"
      break
    fi
    if ((SECONDS >= deadline)); then
      failure="port $port did not accept connections within ${timeout}s"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  if [[ -n "$failure" ]]; then
    log "$failure; last lines of $log_file:"
    tail -n 40 "$log_file" >&2 || true
    rm -f "$pid_file" "$run_dir/data-dir"
    remove_data_dir "$data_dir"
    die "FerretDB failed to start on 127.0.0.1:$port"
  fi

  log "FerretDB is up (pid $pid)"
  url_for "$port"
}

cmd_stop() {
  local port="${1:-$DEFAULT_PORT}"
  check_port "$port"

  local run_dir
  run_dir="$(run_dir_for "$port")"
  if [[ ! -d "$run_dir" ]]; then
    log "not running on port $port (no $run_dir)"
    return 0
  fi
  lock 8 "$run_dir/.lock"
  local pid_file="$run_dir/ferretdb.pid"

  local pid=""
  [[ -f "$pid_file" ]] && pid="$(cat "$pid_file" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && is_ferretdb "$pid"; then
    log "stopping FerretDB on port $port (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do # up to 10 s for a graceful shutdown
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not exit after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && die "could not stop pid $pid"
    fi
    log "stopped"
  else
    log "not running on port $port${pid:+ (stale pid $pid)}"
  fi
  rm -f "$pid_file"

  if [[ -f "$run_dir/data-dir" ]]; then
    remove_data_dir "$(cat "$run_dir/data-dir")"
    rm -f "$run_dir/data-dir"
  fi
  # The log file is kept in $run_dir for post-mortems; it is truncated on the next start.
}

cmd_status() {
  local port="${1:-$DEFAULT_PORT}"
  check_port "$port"
  local pid_file pid=""
  pid_file="$(run_dir_for "$port")/ferretdb.pid"
  [[ -f "$pid_file" ]] && pid="$(cat "$pid_file" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && is_ferretdb "$pid" && port_open "$port"; then
    log "running on port $port (pid $pid)"
    url_for "$port"
    return 0
  fi
  log "not running on port $port"
  return 1
}

main() {
  local cmd="${1:-}"
  (($# > 0)) && shift
  case "$cmd" in
    build)
      (($# == 0)) || die "usage: $0 build"
      cmd_build
      ;;
    start | stop | url | status)
      (($# <= 1)) || die "usage: $0 $cmd [PORT]"
      case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        url)
          check_port "${1:-$DEFAULT_PORT}"
          url_for "${1:-$DEFAULT_PORT}"
          ;;
      esac
      ;;
    -h | --help | help)
      usage
      ;;
    *)
      usage
      die "unknown command: '${cmd}'"
      ;;
  esac
}

main "$@"
