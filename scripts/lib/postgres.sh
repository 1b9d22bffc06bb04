# Sourced by scripts/start.sh, scripts/test.sh and .ci/run: one way to make
# sure PostgreSQL accepts connections.
#
#   ensure_postgres URL   prints what it found or did; returns 1 (reason on
#                         stderr) when PostgreSQL cannot be reached or started.
#
# A server that is down is started only when it is this machine's Debian
# cluster (pg_ctlcluster); anything else is the operator's to start.

pg_accepts() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -d "$1"
  else
    node -e 'const u=new URL(process.argv[1]);const s=require("net").connect(+(u.port||5432),u.hostname,()=>process.exit(0));s.on("error",()=>process.exit(1))' "$1"
  fi
}

ensure_postgres() {
  local url="$1"
  if pg_accepts "$url"; then
    echo "accepting connections"
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
    echo "not running: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
    for _ in $(seq 1 30); do
      if pg_accepts "$url"; then
        echo "started"
        return 0
      fi
      sleep 1
    done
    echo "PostgreSQL did not start; check its log under /var/log/postgresql" >&2
    return 1
  fi
  echo "PostgreSQL is not reachable at $url and there is no local cluster to start; start it or set DATABASE_URL" >&2
  return 1
}
