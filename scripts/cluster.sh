#!/usr/bin/env bash
# The Temporal side of the production topology, natively (no Docker): the real
# Temporal server (not the dev server) on PostgreSQL with several history
# shards, and the Temporal Web UI server. Configured by the files under
# deploy/ that docker-compose.yml uses too.
#
#   scripts/cluster.sh ensure   build, when missing, temporal-server, temporal-sql-tool and
#                               temporal-ui-server (pinned Go modules) into .tools/bin, and the CLI
#   scripts/cluster.sh ensure-ui  build only temporal-ui-server (scripts/temporal.sh uses it)
#   scripts/cluster.sh schema   create or upgrade Temporal's two databases (deploy/temporal/setup-schema.sh)
#   scripts/cluster.sh start    ensure, schema, start the server and the UI in the background
#                               (unless they already answer), create the namespace and search
#                               attributes (deploy/temporal/setup-namespace.sh)
#   scripts/cluster.sh stop     stop the server and UI this script started (pids in $CLUSTER_DIR)
#   scripts/cluster.sh status   say whether the server answers
#
# Environment (defaults for `npm run start:cluster`; the failover tests and the
# bench set their own):
#   CLUSTER_DIR          pid files and logs (.data/cluster)
#   TEMPORAL_PORT        frontend gRPC (7233); TEMPORAL_INTERNAL_PORT_BASE (7234) starts the
#                        8 internal ports (deploy/temporal/sales-orders.yaml)
#   TEMPORAL_UI_PORT     Web UI (8233); CLUSTER_UI=0 starts no UI
#   TEMPORAL_DB_NAME, TEMPORAL_VISIBILITY_DB_NAME   (temporal, temporal_visibility)
#   TEMPORAL_DB_HOST/_PORT/_USER/_PASSWORD  default to the server of DATABASE_URL
#   TEMPORAL_HISTORY_SHARDS (4), TEMPORAL_NAMESPACE (default)
#   TEMPORAL_UI_CODEC_ENDPOINT  (http://$HOST:$PORT/codec, the first API's)
#   TEMPORAL_CORS_ORIGINS       (the API's origin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Pinned: server 1.29.1 is the one inside the dev server of CLI v1.5.1
# (scripts/temporal.sh) and builds with this machine's Go; docker-compose.yml
# uses the images of the same versions.
SERVER_VERSION="v1.29.1"
UI_VERSION="v2.42.1"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
SERVER_BIN="$BIN/temporal-server"
SQL_TOOL="$BIN/temporal-sql-tool"
UI_BIN="$BIN/temporal-ui-server"
# The server's SQL schemas, copied out of the Go module cache at build time.
SCHEMA_DIR="$TOOLS/share/temporal-server-$SERVER_VERSION/schema/postgresql/v12"
UI_STAMP="$TOOLS/share/temporal-ui-server-$UI_VERSION"

CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/.data/cluster}"
PORT_="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
ADDRESS="127.0.0.1:$PORT_"
TIMEOUT="${TEMPORAL_START_TIMEOUT:-90}"

log() { printf '[cluster] %s\n' "$*"; }
die() { log "$*" >&2; exit 1; }

# go_install NAME GOBIN PACKAGE...: go install with a running count of the
# compiled packages, so a build of minutes does not look stuck.
go_install() {
  local name="$1" gobin="$2"
  shift 2
  command -v go >/dev/null 2>&1 || die "$name is missing and Go (1.25+) is not installed to build it"
  log "building $name from source with Go (minutes on a cold Go cache)"
  log "  GOBIN=$gobin go install $*"
  local build_log
  build_log="$(mktemp)"
  GOBIN="$gobin" go install -v "$@" >"$build_log" 2>&1 &
  local pid=$! started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    printf '.'
    if (( (SECONDS - started) % 30 < 5 )); then
      printf ' %ds, %d packages\n' "$((SECONDS - started))" "$(grep -c '' "$build_log" || true)"
    fi
  done
  printf '\n'
  if ! wait "$pid"; then
    log "building $name failed; last lines of the build output:" >&2
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "built $name in $((SECONDS - started))s"
}

ensure() {
  bash "$ROOT/scripts/temporal.sh" ensure # the CLI: namespace and search attributes
  mkdir -p "$BIN"
  if [[ ! -x "$SERVER_BIN" || ! -x "$SQL_TOOL" || ! -d "$SCHEMA_DIR" ]]; then
    local tmp
    tmp="$(mktemp -d)"
    # Both commands are named `server`/`sql` by go install: build into a
    # scratch GOBIN and give them their upstream names.
    go_install "the Temporal server $SERVER_VERSION and temporal-sql-tool" "$tmp" \
      "go.temporal.io/server/cmd/server@$SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION"
    mv -f "$tmp/server" "$SERVER_BIN"
    mv -f "$tmp/sql" "$SQL_TOOL"
    rm -rf "$tmp"
    local module_schema
    module_schema="$(go env GOMODCACHE)/go.temporal.io/server@$SERVER_VERSION/schema/postgresql/v12"
    [[ -d "$module_schema" ]] || die "no schema directory at $module_schema after the build"
    rm -rf "$SCHEMA_DIR"
    mkdir -p "$(dirname "$SCHEMA_DIR")"
    cp -R "$module_schema" "$SCHEMA_DIR"
    chmod -R u+w "$SCHEMA_DIR" # the module cache is read-only
  fi
  # A start without the UI (CLUSTER_UI=0: the bench, the failover tests) does not wait for its build.
  if [[ "${1:-}" != server-only ]]; then ensure_ui; fi
}

# The Web UI server alone: `npm start` runs it in front of the dev server too
# (scripts/temporal.sh), for its codec setting with credentials.
ensure_ui() {
  mkdir -p "$BIN"
  if [[ ! -x "$UI_BIN" || ! -d "$UI_STAMP" ]]; then
    local tmp
    tmp="$(mktemp -d)"
    go_install "the Temporal UI server $UI_VERSION" "$tmp" "github.com/temporalio/ui-server/v2/cmd/server@$UI_VERSION"
    mv -f "$tmp/server" "$UI_BIN"
    rm -rf "$tmp"
    mkdir -p "$UI_STAMP"
  fi
}

# Temporal's databases live on the app's PostgreSQL unless TEMPORAL_DB_HOST says otherwise.
db_env() {
  local url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/salesorder}"
  local parts
  parts="$(node -e 'const u=new URL(process.argv[1]);console.log([u.hostname,u.port||5432,decodeURIComponent(u.username)||"postgres",decodeURIComponent(u.password)].join("\t"))' "$url")"
  local host port user password
  IFS=$'\t' read -r host port user password <<<"$parts"
  export TEMPORAL_DB_HOST="${TEMPORAL_DB_HOST:-$host}"
  export TEMPORAL_DB_PORT="${TEMPORAL_DB_PORT:-$port}"
  export TEMPORAL_DB_USER="${TEMPORAL_DB_USER:-$user}"
  export TEMPORAL_DB_PASSWORD="${TEMPORAL_DB_PASSWORD:-$password}"
}

schema() {
  db_env
  TEMPORAL_SQL_TOOL="$SQL_TOOL" TEMPORAL_SCHEMA_DIR="$SCHEMA_DIR" sh "$ROOT/deploy/temporal/setup-schema.sh" | sed 's/^/[cluster] /'
}

healthy() {
  "$BIN/temporal" operator cluster health --address "$ADDRESS" --command-timeout 3s >/dev/null 2>&1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

# spawn NAME CMD...: in the background, outliving this script (setsid: not hit
# by the caller's Ctrl-C), pid in $CLUSTER_DIR/NAME.pid, log in $CLUSTER_DIR/NAME.log.
spawn() {
  local name="$1"
  shift
  setsid nohup "$@" >>"$CLUSTER_DIR/$name.log" 2>&1 </dev/null &
  echo "$!" >"$CLUSTER_DIR/$name.pid"
}

start_server() {
  if listening "$PORT_"; then
    local own
    own="$(cat "$CLUSTER_DIR/temporal-server.pid" 2>/dev/null || true)"
    # Reuse only our own server: the dev server of `npm start` may hold the port too.
    if [[ -n "$own" ]] && kill -0 "$own" 2>/dev/null && [[ "$(cat "/proc/$own/comm" 2>/dev/null)" == temporal-server ]] && healthy; then
      log "temporal-server (pid $own) already answers on $ADDRESS; using it"
      return 0
    fi
    die "port $PORT_ is taken by another process (the dev server of npm start?); stop it or set TEMPORAL_ADDRESS to another port"
  fi
  db_env
  log "starting temporal-server $SERVER_VERSION on $ADDRESS (${TEMPORAL_HISTORY_SHARDS:-4} history shards, databases ${TEMPORAL_DB_NAME:-temporal} + ${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}; log $CLUSTER_DIR/temporal-server.log)"
  TEMPORAL_PORT="$PORT_" spawn temporal-server "$SERVER_BIN" --root deploy --config temporal --env sales-orders --allow-no-auth start
  local pid waited=0
  pid="$(cat "$CLUSTER_DIR/temporal-server.pid")"
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "temporal-server exited during start; last lines of its log:" >&2
      tail -n 30 "$CLUSTER_DIR/temporal-server.log" >&2
      exit 1
    fi
    ((waited >= TIMEOUT)) && die "temporal-server did not answer on $ADDRESS within ${TIMEOUT}s; see $CLUSTER_DIR/temporal-server.log"
    sleep 0.5
    waited=$((waited + 1))
  done
  log "temporal-server ready (pid $pid)"
}

start_ui() {
  [[ "${CLUSTER_UI:-1}" == 0 ]] && return 0
  if listening "$UI_PORT"; then
    log "something already listens on the UI port $UI_PORT; not starting the UI server"
    return 0
  fi
  local api="http://${HOST:-127.0.0.1}:${PORT:-3000}"
  [[ "${HOST:-}" == 0.0.0.0 || "${HOST:-}" == '::' ]] && api="http://127.0.0.1:${PORT:-3000}"
  TEMPORAL_ADDRESS="$ADDRESS" TEMPORAL_UI_PORT="$UI_PORT" \
    TEMPORAL_CODEC_ENDPOINT="${TEMPORAL_UI_CODEC_ENDPOINT:-$api/codec}" \
    TEMPORAL_CORS_ORIGINS="${TEMPORAL_CORS_ORIGINS:-$api}" \
    spawn temporal-ui "$UI_BIN" --root deploy --config temporal-ui --env sales-orders start
  local pid
  pid="$(cat "$CLUSTER_DIR/temporal-ui.pid")"
  for _ in $(seq 1 60); do
    listening "$UI_PORT" && { log "Web UI on http://127.0.0.1:$UI_PORT (pid $pid)"; return 0; }
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$CLUSTER_DIR/temporal-ui.log" >&2; die "the UI server exited during start"; }
    sleep 0.5
  done
  die "the UI server did not listen on $UI_PORT within 30s; see $CLUSTER_DIR/temporal-ui.log"
}

start() {
  if [[ "${CLUSTER_UI:-1}" == 0 ]]; then ensure server-only; else ensure; fi
  mkdir -p "$CLUSTER_DIR"
  schema
  start_server
  TEMPORAL_CLI="$BIN/temporal" TEMPORAL_ADDRESS="$ADDRESS" sh "$ROOT/deploy/temporal/setup-namespace.sh" | sed 's/^/[cluster] /'
  start_ui
}

stop_one() {
  local name="$1" pidfile="$CLUSTER_DIR/$1.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid
  pid="$(cat "$pidfile")"
  # Only a process of ours: the pid may have been reused since.
  if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == temporal-* ]]; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  stop_one temporal-ui
  stop_one temporal-server
}

case "${1:-}" in
  ensure) ensure ;;
  schema) ensure server-only && schema ;;
  ensure-ui) ensure_ui ;;
  start) start ;;
  stop) stop ;;
  status)
    if [[ -x "$BIN/temporal" ]] && healthy; then log "serving on $ADDRESS"; else log "not answering on $ADDRESS"; exit 1; fi
    ;;
  *)
    echo "usage: $0 ensure|ensure-ui|schema|start|stop|status" >&2
    exit 2
    ;;
esac
