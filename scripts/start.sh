#!/usr/bin/env bash
# Runs the whole system on one machine (`npm start`):
#   dependencies -> PostgreSQL -> Temporal dev server -> database (create, migrate, seed)
#   -> mail catcher, worker, API (child processes, logs prefixed) -> banner with the URLs.
# Ctrl-C stops the children (and the Temporal dev server if this script started it;
# KEEP_TEMPORAL=1 leaves it running). Settings: .env (see .env.example) or the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\n\033[31mstart: %s\033[0m\n' "$*" >&2; exit 1; }

if [[ -f .env ]]; then
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi

# --- 1. dependencies -------------------------------------------------------
if [[ ! -d node_modules ]]; then
  step "installing dependencies (npm ci)"
  npm ci
fi
TSX="$ROOT/node_modules/.bin/tsx"

# --- 2. configuration (validated once, here, before anything starts) --------
step "configuration"
declare -A CFG
CONFIG_OUT="$("$TSX" -e '
  import { loadConfig, describeConfig } from "./activities/infra/config";
  try {
    const c = describeConfig(loadConfig());
    for (const [k, v] of Object.entries(c)) console.log(`${k}=${v}`);
  } catch (e) { console.error((e as Error).message); process.exit(1); }
')" || die "fix the configuration above (.env or environment; see .env.example)"
while IFS= read -r line; do
  CFG["${line%%=*}"]="${line#*=}"
done <<<"$CONFIG_OUT"
for k in DATABASE_URL TEMPORAL_ADDRESS TEMPORAL_NAMESPACE TEMPORAL_TASK_QUEUE SMTP_URL MAIL_FROM HOST PORT POLICY_FILE; do
  note "$(printf '%-20s %s' "$k" "${CFG[$k]}")"
done

is_local_host() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 || "$1" == '[::1]' ]]; }
listening() { (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1; }
http_ok() {
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1")" == 200 ]]
  else
    node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$1"
  fi
}

# --- 3. PostgreSQL ---------------------------------------------------------
step "PostgreSQL"
DB_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/salesorder}"
pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -d "$DB_URL"; else
    local hp; hp="$(node -e 'const u=new URL(process.argv[1]);console.log(`${u.hostname} ${u.port||5432}`)' "$DB_URL")"
    listening ${hp}
  fi
}
if pg_ready; then
  note "accepting connections"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
  note "not running; starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || die "PostgreSQL did not start; check its log under /var/log/postgresql"
  note "started"
else
  die "PostgreSQL is not reachable at DATABASE_URL and no local cluster to start; start it or set DATABASE_URL"
fi

# Stop what this script started, whichever way it ends.
PIDS=()
NAMES=()
STOPPING=0
STARTED_TEMPORAL=0
cleanup() {
  local status=$?
  [[ $STOPPING == 1 ]] && return
  STOPPING=1
  trap - INT TERM EXIT
  if ((${#PIDS[@]})); then
    printf '\n==> stopping: %s\n' "${NAMES[*]}"
    # Give children that already got the terminal's Ctrl-C a moment to stop on their own.
    local i pid
    for _ in $(seq 1 10); do
      local alive=0
      for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.2
    done
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in $(seq 1 50); do
      local alive=0
      for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.2
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  if [[ $STARTED_TEMPORAL == 1 && "${KEEP_TEMPORAL:-0}" != 1 ]]; then
    bash scripts/temporal.sh stop || true
  fi
  exit "$status"
}
trap cleanup INT TERM EXIT

# --- 4. Temporal -----------------------------------------------------------
step "Temporal"
TEMPORAL_HOST="${CFG[TEMPORAL_ADDRESS]%:*}"
TEMPORAL_PORT_FROM_ADDRESS="${CFG[TEMPORAL_ADDRESS]##*:}"
if is_local_host "$TEMPORAL_HOST"; then
  listening 127.0.0.1 "$TEMPORAL_PORT_FROM_ADDRESS" || STARTED_TEMPORAL=1
  TEMPORAL_PORT="$TEMPORAL_PORT_FROM_ADDRESS" bash scripts/temporal.sh start
else
  note "using the Temporal server at ${CFG[TEMPORAL_ADDRESS]} (not local: not starting a dev server)"
fi

# --- 5. database -----------------------------------------------------------
step "database (create if missing, migrate, seed)"
"$TSX" scripts/db-setup.ts

# --- 6. processes ----------------------------------------------------------

# run NAME CMD...: a child process whose output lines are prefixed with [NAME].
run() {
  local name="$1"
  shift
  # The prefixing sed ignores Ctrl-C so the children's shutdown lines still show.
  "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

SMTP_HOST="$(node -e 'console.log(new URL(process.argv[1]).hostname)' "${CFG[SMTP_URL]}")"
SMTP_PORT="$(node -e 'const u=new URL(process.argv[1]);console.log(u.port||(u.protocol==="smtps:"?465:25))' "${CFG[SMTP_URL]}")"
MAIL_UI=""
step "starting the processes"
if is_local_host "$SMTP_HOST"; then
  if listening 127.0.0.1 "$SMTP_PORT"; then
    note "something already listens on SMTP port $SMTP_PORT; not starting the mail catcher"
    http_ok "http://127.0.0.1:${CFG[MAIL_CATCHER_HTTP_PORT]}/messages" && MAIL_UI="http://127.0.0.1:${CFG[MAIL_CATCHER_HTTP_PORT]}/"
  else
    run mail "$TSX" scripts/mail-catcher.ts
    MAIL_UI="http://127.0.0.1:${CFG[MAIL_CATCHER_HTTP_PORT]}/"
  fi
else
  note "SMTP_URL points at $SMTP_HOST: mail goes there (no local catcher)"
fi

API_HOST="${CFG[HOST]}"
[[ "$API_HOST" == 0.0.0.0 || "$API_HOST" == '::' ]] && API_HOST=127.0.0.1
API_URL="http://$API_HOST:${CFG[PORT]}"
if listening "$API_HOST" "${CFG[PORT]}"; then
  die "port ${CFG[PORT]} is already in use; stop what listens there or set PORT"
fi
run worker "$TSX" worker/main.ts
run api "$TSX" api/server.ts

# --- 7. wait for the API ---------------------------------------------------
waited=0
until http_ok "$API_URL/health"; do
  for i in "${!PIDS[@]}"; do
    kill -0 "${PIDS[$i]}" 2>/dev/null || die "${NAMES[$i]} exited during start-up (see its [${NAMES[$i]}] lines above)"
  done
  ((waited >= 120)) && die "the API did not answer $API_URL/health within 120s"
  sleep 1
  waited=$((waited + 1))
done

cat <<EOF

$(printf '\033[1;32m')  Sales order system is running$(printf '\033[0m')

  API              $API_URL
  API docs         $API_URL/docs
  Health           $API_URL/health
  Temporal UI      ${CFG[TEMPORAL_UI_URL]}
  Temporal gRPC    ${CFG[TEMPORAL_ADDRESS]}  (namespace ${CFG[TEMPORAL_NAMESPACE]}, task queue ${CFG[TEMPORAL_TASK_QUEUE]})
  Mail inbox       ${MAIL_UI:-"(external SMTP: ${CFG[SMTP_URL]})"}
  Database         ${CFG[DATABASE_URL]}
  Policy           ${CFG[POLICY_FILE]}

  Logs below are prefixed [api], [worker], [mail]. Press Ctrl-C to stop.

EOF

# --- 8. supervise: stop everything when one process dies ---------------------
while true; do
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      rc=0
      wait "${PIDS[$i]}" || rc=$?
      printf '\nstart: %s exited (status %s); stopping the rest\n' "${NAMES[$i]}" "$rc" >&2
      exit 1
    fi
  done
  sleep 1
done
