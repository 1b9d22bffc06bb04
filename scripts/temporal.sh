#!/usr/bin/env bash
# The local Temporal dev server (SPEC section 8: "temporal server start-dev"
# with a SQLite file, Web UI on :8233, search attributes registered).
#
#   scripts/temporal.sh ensure   build the Temporal CLI into .tools/bin/temporal when missing
#   scripts/temporal.sh start    ensure, then start the dev server in the background
#                                (unless something already listens on the port) and wait for it
#   scripts/temporal.sh stop     stop the dev server and UI server this script started
#                                (pids in .data/temporal.pid, .data/temporal-ui.pid)
#   scripts/temporal.sh status   say whether the server answers
#
# The Web UI: the dev server's built-in UI sends the codec requests without
# the browser's cookies (its "include credentials" setting is off and cannot
# be set from the command line), so every decode of an encrypted payload
# answered 401. So the dev server runs headless and the standalone UI server
# (temporal-ui-server, built by `scripts/cluster.sh ensure-ui` into .tools/bin,
# configured by deploy/temporal-ui/sales-orders.yaml: codec endpoint, include
# credentials on, CORS) serves the UI on TEMPORAL_UI_PORT in front of it: a
# person signed in to the console (cookie so_session) reads the payloads.
# TEMPORAL_UI_SERVER=0 keeps the built-in UI (no codec credentials).
#
# Environment: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), TEMPORAL_START_TIMEOUT (seconds, 90),
# TEMPORAL_UI_SERVER (1).
# The CLI is built from source with Go because these machines cannot download
# release binaries (docs: ../shared/ENVIRONMENT.md). v1.5.1 is the newest
# version that `go install pkg@version` accepts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI_VERSION="v1.5.1"
TOOLS_BIN="$ROOT/.tools/bin"
TEMPORAL="$TOOLS_BIN/temporal"
DATA_DIR="$ROOT/.data"
# The API's codec endpoint for the Web UI (HOST and PORT are the API's, see
# .env.example); read before PORT is reused below for the Temporal port.
API_HOST="${HOST:-127.0.0.1}"
[[ "$API_HOST" == 0.0.0.0 || "$API_HOST" == '::' ]] && API_HOST=127.0.0.1
API_ORIGIN="http://$API_HOST:${PORT:-3000}"
CODEC_ENDPOINT="${TEMPORAL_UI_CODEC_ENDPOINT:-$API_ORIGIN/codec}"
UI_SERVER="$TOOLS_BIN/temporal-ui-server"
PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
ADDRESS="127.0.0.1:$PORT"
TIMEOUT="${TEMPORAL_START_TIMEOUT:-90}"

# The custom search attributes of workflows/order/contract.ts (SA).
SEARCH_ATTRIBUTES=(OrderNo=Keyword OrderStage=Keyword CustomerId=Keyword RiskLevel=Keyword OrderAmount=Double)

log() { printf '[temporal] %s\n' "$*"; }

ensure() {
  if [[ -x "$TEMPORAL" ]]; then
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    log "the Temporal CLI is missing at $TEMPORAL and Go is not installed to build it." >&2
    log "install Go (1.25+) or put a temporal $CLI_VERSION binary at that path." >&2
    exit 1
  fi
  mkdir -p "$TOOLS_BIN"
  log "first run: building the Temporal CLI from source with Go, this takes several minutes"
  log "  GOBIN=$TOOLS_BIN go install github.com/temporalio/cli/cmd/temporal@$CLI_VERSION"
  local build_log
  build_log="$(mktemp)"
  # go -v prints each package as it is compiled: show them as a running count
  # and a dot every few seconds so a long build does not look stuck.
  GOBIN="$TOOLS_BIN" go install -v "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION" >"$build_log" 2>&1 &
  local pid=$! started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    printf '.'
    if (( (SECONDS - started) % 30 < 5 )); then
      printf ' %ds, %d packages\n' "$((SECONDS - started))" "$(grep -c '' "$build_log" || true)"
    fi
  done
  printf '\n'
  if ! wait "$pid" || [[ ! -x "$TEMPORAL" ]]; then
    log "building the Temporal CLI failed; last lines of the build output:" >&2
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "built $("$TEMPORAL" --version) in $((SECONDS - started))s at $TEMPORAL"
}

listening() {
  # bash's /dev/tcp: true when something accepts connections on the port.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1
}

healthy() {
  "$TEMPORAL" operator cluster health --address "$ADDRESS" --command-timeout 3s >/dev/null 2>&1
}

start() {
  ensure
  if listening "$PORT"; then
    if healthy; then
      log "a Temporal server already answers on $ADDRESS; using it"
      print_urls
      return 0
    fi
    log "port $PORT is taken by something that is not a healthy Temporal server" >&2
    log "set TEMPORAL_PORT to a free port or stop what listens there" >&2
    exit 1
  fi
  mkdir -p "$DATA_DIR"
  local standalone_ui=0
  if [[ "${TEMPORAL_UI_SERVER:-1}" != 0 ]]; then
    if bash "$ROOT/scripts/cluster.sh" ensure-ui; then
      standalone_ui=1
    else
      log "could not build the Temporal UI server; using the dev server's own UI (the codec will not get the console's cookie)" >&2
    fi
  fi
  local ui_args=(--ui-port "$UI_PORT")
  (( standalone_ui )) && ui_args=(--headless)
  local args=(server start-dev
    --db-filename "$DATA_DIR/temporal.db"
    --ip 127.0.0.1 --port "$PORT" "${ui_args[@]}"
    --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF
    --log-level warn
    # Eager activities: an activity scheduled by a workflow task goes back to the
    # worker in the task's answer, without a trip through matching (bench/README.md).
    --dynamic-config-value system.enableActivityEagerExecution=true
    # Payloads are encrypted (activities/infra/codec.ts); the Web UI decodes them
    # through the API's codec endpoint, for users who signed in there.
    --ui-codec-endpoint "$CODEC_ENDPOINT")
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  log "starting the dev server (state in .data/temporal.db, log in .data/temporal.log)"
  # setsid: the server outlives this script and is not hit by the caller's Ctrl-C.
  setsid nohup "$TEMPORAL" "${args[@]}" >>"$DATA_DIR/temporal.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$DATA_DIR/temporal.pid"
  local waited=0
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the dev server exited during start; last lines of .data/temporal.log:" >&2
      tail -n 30 "$DATA_DIR/temporal.log" >&2
      rm -f "$DATA_DIR/temporal.pid"
      exit 1
    fi
    if (( waited >= TIMEOUT )); then
      log "the dev server did not answer on $ADDRESS within ${TIMEOUT}s; see .data/temporal.log" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dev server ready (pid $pid) after ${waited}s"
  (( standalone_ui )) && start_ui
  print_urls
}

# The standalone Web UI server in front of the dev server (see the top of this file).
start_ui() {
  if listening "$UI_PORT"; then
    log "something already listens on the UI port $UI_PORT; not starting the UI server"
    return 0
  fi
  # A simple command in the background (no subshell), so $! is the UI server itself; --root is relative.
  cd "$ROOT"
  TEMPORAL_ADDRESS="$ADDRESS" TEMPORAL_UI_PORT="$UI_PORT" \
    TEMPORAL_CODEC_ENDPOINT="$CODEC_ENDPOINT" TEMPORAL_CORS_ORIGINS="${TEMPORAL_CORS_ORIGINS:-$API_ORIGIN}" \
    setsid nohup "$UI_SERVER" --root deploy --config temporal-ui --env sales-orders start >>"$DATA_DIR/temporal-ui.log" 2>&1 </dev/null &
  echo "$!" >"$DATA_DIR/temporal-ui.pid"
  local pid
  pid="$(cat "$DATA_DIR/temporal-ui.pid")"
  for _ in $(seq 1 60); do
    if listening "$UI_PORT"; then
      log "Web UI server (pid $pid): codec $CODEC_ENDPOINT with the browser's credentials"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the UI server exited during start; last lines of .data/temporal-ui.log:" >&2
      tail -n 20 "$DATA_DIR/temporal-ui.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  log "the UI server did not listen on $UI_PORT within 30s; see .data/temporal-ui.log" >&2
  exit 1
}

stop_ui() {
  local pidfile="$DATA_DIR/temporal-ui.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid
  pid="$(cat "$pidfile")"
  # Only our own process: the pid may have been reused since.
  if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == temporal-ui* ]]; then
    kill -TERM "$pid"
    log "stopped the Web UI server (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  stop_ui
  local pidfile="$DATA_DIR/temporal.pid"
  if [[ ! -f "$pidfile" ]]; then
    log "no .data/temporal.pid: nothing started by this script"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == temporal* ]]; then
    kill -TERM "$pid"
    local i
    for i in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped the dev server (pid $pid)"
  else
    log "the dev server (pid $pid) is not running"
  fi
  rm -f "$pidfile"
}

print_urls() {
  log "gRPC address: $ADDRESS"
  log "Web UI:       http://127.0.0.1:$UI_PORT"
}

case "${1:-}" in
  ensure) ensure ;;
  start) start ;;
  stop) stop ;;
  status)
    if [[ -x "$TEMPORAL" ]] && healthy; then log "serving on $ADDRESS"; else log "not answering on $ADDRESS"; exit 1; fi
    ;;
  *)
    echo "usage: $0 ensure|start|stop|status" >&2
    exit 2
    ;;
esac
