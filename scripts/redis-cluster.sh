#!/usr/bin/env bash
#
# redis-cluster.sh — start/stop a throwaway Redis Cluster on loopback for
# Coatcheck's tests, the demo and CI.
#
# Usage:
#   scripts/redis-cluster.sh start [BASE_PORT]   # default BASE_PORT=7100
#   scripts/redis-cluster.sh stop  [BASE_PORT]
#   scripts/redis-cluster.sh url   [BASE_PORT]
#
# Output contract:
#   `start` and `url` print exactly one line on stdout: the cluster URL.
#   Everything else (progress, redis-cli chatter, errors) goes to stderr, so
#       export REDIS_CLUSTER_URL="$(scripts/redis-cluster.sh start)"
#   is safe.
#
# URL format (comma-separated seed nodes, one redis:// URL per node):
#   redis://127.0.0.1:BASE,redis://127.0.0.1:BASE+1,redis://127.0.0.1:BASE+2
#   e.g. redis://127.0.0.1:7100,redis://127.0.0.1:7101,redis://127.0.0.1:7102
#   These are the three nodes that are created as masters; a cluster client
#   only needs one reachable seed and discovers the rest (replicas included)
#   via CLUSTER SLOTS/SHARDS. Split on "," to get the seed list.
#
# Topology:
#   default                  3 masters + 3 replicas, ports BASE..BASE+5
#   REDIS_CLUSTER_REPLICAS=0 3 masters only,         ports BASE..BASE+2
#   Each node also uses its cluster-bus port (port + 10000).
#
# Environment:
#   REDIS_CLUSTER_REPLICAS  1 (default) or 0
#   REDIS_CLUSTER_DIR       data dir (default /tmp/coatcheck-redis-cluster-BASE);
#                           wiped on start, removed on stop
#   REDIS_CLUSTER_TIMEOUT   seconds to wait for the cluster to be ready (default 30)
#
# Behaviour:
#   start  If a healthy cluster with the requested topology already answers on
#          those ports it is reused (no restart, data kept) and only the URL is
#          printed. Otherwise any stale nodes on BASE..BASE+5 are shut down
#          (nosave), the data dir is wiped, nodes are started and joined, and
#          the script waits until every node reports cluster_state:ok with all
#          16384 slots covered (and replicas are in sync). Exits non-zero with a
#          message on stderr if that doesn't happen within the timeout.
#   stop   SHUTDOWN NOSAVE on every node BASE..BASE+5 that answers, waits for
#          the ports to close, removes the data dir. Not an error if nothing
#          is running.
#
# Requires redis-server and redis-cli (Redis >= 7.0) on PATH. Never touches
# anything outside BASE..BASE+5 (e.g. a standalone Redis on 6379 is left alone).

set -euo pipefail

readonly HOST=127.0.0.1
readonly MAX_NODES=6          # stop/cleanup always covers BASE..BASE+5
readonly NUM_MASTERS=3

log() { printf '[redis-cluster] %s\n' "$*" >&2; }
die() { printf '[redis-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: redis-cluster.sh start|stop|url [BASE_PORT]
  env: REDIS_CLUSTER_REPLICAS=0|1 (default 1), REDIS_CLUSTER_DIR, REDIS_CLUSTER_TIMEOUT (default 30)
EOF
  exit 2
}

# --- arguments ---------------------------------------------------------------

CMD="${1:-}"
[[ -n "$CMD" ]] || usage
BASE_PORT="${2:-7100}"

[[ "$BASE_PORT" =~ ^[0-9]+$ ]] || die "BASE_PORT must be a number, got '$BASE_PORT'"
BASE_PORT=$((10#$BASE_PORT))
# Node ports and their cluster-bus ports (port + 10000) must be valid.
if (( BASE_PORT < 1024 || BASE_PORT + MAX_NODES - 1 + 10000 > 65535 )); then
  die "BASE_PORT must be between 1024 and $((65535 - 10000 - MAX_NODES + 1)) (bus port = port + 10000)"
fi

REPLICAS="${REDIS_CLUSTER_REPLICAS:-1}"
case "$REPLICAS" in
  0) NUM_NODES=$NUM_MASTERS ;;
  1) NUM_NODES=$((NUM_MASTERS * 2)) ;;
  *) die "REDIS_CLUSTER_REPLICAS must be 0 or 1, got '$REPLICAS'" ;;
esac

TIMEOUT="${REDIS_CLUSTER_TIMEOUT:-30}"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "REDIS_CLUSTER_TIMEOUT must be a whole number of seconds"

DATA_DIR="${REDIS_CLUSTER_DIR:-/tmp/coatcheck-redis-cluster-$BASE_PORT}"
case "$DATA_DIR" in
  ""|"/"|"."|"..") die "refusing to use REDIS_CLUSTER_DIR='$DATA_DIR'" ;;
esac
# Marker so we only ever wipe directories this script created.
readonly MARKER=".coatcheck-redis-cluster"

# --- helpers -----------------------------------------------------------------

cli() {
  # redis-cli against one node; bounded so a wedged process can't hang us.
  local port="$1"; shift
  timeout 5 redis-cli -h "$HOST" -p "$port" "$@"
}

port_open() {
  # True if something accepts TCP connections on the port (redis or not).
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

is_redis() {
  [[ "$(cli "$1" ping 2>/dev/null || true)" == "PONG" ]]
}

cluster_info() {
  cli "$1" cluster info 2>/dev/null | tr -d '\r' || true
}

info_field() {
  # info_field FIELD <<< "$info"
  sed -n "s/^$1://p"
}

url() {
  local i out=""
  for ((i = 0; i < NUM_MASTERS; i++)); do
    out+="${out:+,}redis://$HOST:$((BASE_PORT + i))"
  done
  printf '%s\n' "$out"
}

# Healthy == every expected node says cluster_state:ok, all slots ok, the
# expected number of nodes/masters, and no extra node answering on the
# remaining ports of our range.
cluster_healthy() {
  local i port info
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    info="$(cluster_info "$port")"
    [[ "$(info_field cluster_state <<<"$info")" == "ok" ]] || return 1
    [[ "$(info_field cluster_slots_ok <<<"$info")" == "16384" ]] || return 1
    [[ "$(info_field cluster_known_nodes <<<"$info")" == "$NUM_NODES" ]] || return 1
    [[ "$(info_field cluster_size <<<"$info")" == "$NUM_MASTERS" ]] || return 1
  done
  for ((i = NUM_NODES; i < MAX_NODES; i++)); do
    port_open $((BASE_PORT + i)) && return 1
  done
  return 0
}

# Replicas have finished their initial sync with their master.
replicas_synced() {
  local i port repl role
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    repl="$(cli "$port" info replication 2>/dev/null | tr -d '\r' || true)"
    role="$(info_field role <<<"$repl")"
    if [[ "$role" == "slave" ]]; then
      [[ "$(info_field master_link_status <<<"$repl")" == "up" ]] || return 1
    fi
  done
  return 0
}

shutdown_nodes() {
  local i port waited
  local -a stopping=()
  for ((i = 0; i < MAX_NODES; i++)); do
    port=$((BASE_PORT + i))
    port_open "$port" || continue
    if is_redis "$port"; then
      log "shutting down redis on port $port"
      # The connection drops during SHUTDOWN; that's expected.
      cli "$port" shutdown nosave >/dev/null 2>&1 || true
      stopping+=("$port")
    else
      die "port $port is in use by something that is not redis; refusing to touch it"
    fi
  done
  for port in "${stopping[@]+"${stopping[@]}"}"; do
    waited=0
    while port_open "$port"; do
      (( waited < 100 )) || die "redis on port $port did not shut down within 10s"
      sleep 0.1
      waited=$((waited + 1))
    done
  done
}

remove_data_dir() {
  [[ -e "$DATA_DIR" ]] || return 0
  if [[ -f "$DATA_DIR/$MARKER" ]]; then
    rm -rf -- "$DATA_DIR"
  elif [[ -d "$DATA_DIR" && -z "$(ls -A -- "$DATA_DIR")" ]]; then
    rmdir -- "$DATA_DIR"
  else
    die "$DATA_DIR exists but was not created by this script (no $MARKER); refusing to delete it"
  fi
}

# Serialise concurrent start/stop on the same base port (e.g. parallel CI jobs).
# The lock file lives outside DATA_DIR so wiping the dir doesn't drop it.
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local lockfile="${TMPDIR:-/tmp}/coatcheck-redis-cluster-$BASE_PORT.lock"
  exec 9>"$lockfile"
  flock -w "$((TIMEOUT + 30))" 9 || die "could not acquire $lockfile"
}

require_tools() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found on PATH"
  command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found on PATH"
  command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) not found on PATH"
}

dump_logs() {
  local i port f
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    f="$DATA_DIR/$port/redis.log"
    [[ -f "$f" ]] || continue
    log "---- last lines of $f ----"
    tail -n 15 "$f" >&2 || true
  done
}

# --- commands ----------------------------------------------------------------

cmd_start() {
  require_tools
  take_lock

  if cluster_healthy; then
    log "healthy cluster already running on ports $BASE_PORT..$((BASE_PORT + NUM_NODES - 1)); reusing it"
    url
    return 0
  fi

  local start_s=$SECONDS i port
  shutdown_nodes
  remove_data_dir
  mkdir -p -- "$DATA_DIR"
  : >"$DATA_DIR/$MARKER"

  # Ports must be free, including each node's cluster-bus port.
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    port_open "$port" && die "port $port is still in use"
    port_open $((port + 10000)) && die "cluster bus port $((port + 10000)) (for node $port) is in use"
  done

  log "starting $NUM_NODES nodes on ports $BASE_PORT..$((BASE_PORT + NUM_NODES - 1)) (data: $DATA_DIR)"
  local -a nodes=()
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    mkdir -p -- "$DATA_DIR/$port"
    # --daemonize returns before the listener is up (and exits 0 even if bind
    # later fails), so readiness is checked with PING below; see redis.log.
    # repl-diskless-sync-delay 0: the default 5 s delay would stall the first
    # replica sync. 9>&-: don't let the daemon inherit the lock fd, or it would
    # hold the flock for as long as the node lives.
    redis-server \
      --port "$port" \
      --bind "$HOST" \
      --cluster-enabled yes \
      --cluster-config-file "nodes-$port.conf" \
      --cluster-node-timeout 2000 \
      --dir "$DATA_DIR/$port" \
      --save "" \
      --appendonly no \
      --repl-diskless-sync-delay 0 \
      --logfile "$DATA_DIR/$port/redis.log" \
      --pidfile "$DATA_DIR/$port/redis.pid" \
      --daemonize yes >&2 9>&- \
      || { dump_logs; die "redis-server failed to start on port $port"; }
    nodes+=("$HOST:$port")
  done

  local deadline=$((SECONDS + TIMEOUT))
  for ((i = 0; i < NUM_NODES; i++)); do
    port=$((BASE_PORT + i))
    until is_redis "$port"; do
      if (( SECONDS >= deadline )); then
        dump_logs
        shutdown_nodes
        die "node on port $port did not answer PING within ${TIMEOUT}s"
      fi
      sleep 0.1
    done
  done

  log "creating cluster (${NUM_MASTERS} masters, replicas per master: $REPLICAS)"
  local remaining=$((deadline - SECONDS))
  (( remaining > 0 )) || remaining=1
  # redis-cli colours its output even when not on a tty; strip the escapes.
  if ! timeout "$remaining" redis-cli --cluster create "${nodes[@]}" \
        --cluster-replicas "$REPLICAS" --cluster-yes 9>&- \
        | sed $'s/\x1b\\[[0-9;]*m//g' >&2; then
    dump_logs
    shutdown_nodes
    die "redis-cli --cluster create failed"
  fi

  log "waiting for cluster_state:ok on all nodes"
  until cluster_healthy && replicas_synced; do
    if (( SECONDS >= deadline )); then
      local p
      for ((i = 0; i < NUM_NODES; i++)); do
        p=$((BASE_PORT + i))
        log "node $p: $(cluster_info "$p" | grep -E '^cluster_(state|slots_ok|known_nodes|size):' | tr '\n' ' ')"
      done
      dump_logs
      shutdown_nodes
      die "cluster did not become healthy within ${TIMEOUT}s"
    fi
    sleep 0.2
  done

  log "cluster ready in $((SECONDS - start_s))s"
  url
}

cmd_stop() {
  require_tools
  take_lock
  shutdown_nodes
  remove_data_dir
  log "stopped (ports $BASE_PORT..$((BASE_PORT + MAX_NODES - 1)))"
}

case "$CMD" in
  start) cmd_start ;;
  stop)  cmd_stop ;;
  url)   url ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
