#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (persistence and
# visibility) to the schema of the server version; safe to run on every start
# (an up-to-date schema is left alone). POSIX sh: runs natively
# (scripts/cluster.sh) and in the temporalio/admin-tools image (docker-compose.yml
# service temporal-schema).
#
#   TEMPORAL_DB_HOST / _PORT / _USER / _PASSWORD       (127.0.0.1 5432 postgres "")
#   TEMPORAL_DB_NAME, TEMPORAL_VISIBILITY_DB_NAME      (temporal, temporal_visibility)
#   TEMPORAL_SQL_TOOL    the temporal-sql-tool binary  (temporal-sql-tool on the PATH)
#   TEMPORAL_SCHEMA_DIR  the server's schema/postgresql/v12 directory
#                        (/etc/temporal/schema/postgresql/v12, where admin-tools has it)
set -eu

tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
schema_dir="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

sql() {
  # --plugin: the tool's default is mysql8. -p is the port; the password flag is --pw.
  "$tool" --plugin postgres12 --ep "${TEMPORAL_DB_HOST:-127.0.0.1}" -p "${TEMPORAL_DB_PORT:-5432}" \
    -u "${TEMPORAL_DB_USER:-postgres}" --pw "${TEMPORAL_DB_PASSWORD:-}" "$@"
}

setup() { # setup DATABASE temporal|visibility
  db="$1"
  versioned="$schema_dir/$2/versioned"
  [ -d "$versioned" ] || { echo "setup-schema: no schema directory $versioned" >&2; exit 1; }
  # `create` leaves an existing database alone; a real failure shows in the next steps.
  sql --db "$db" create >/dev/null 2>&1 || true
  # Version 0.0 creates only the schema_version bookkeeping; it fails harmlessly
  # when that exists. update-schema then applies every versioned step not yet applied.
  sql --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  # The tool logs every statement: show its output only when it fails.
  if ! out="$(sql --db "$db" update-schema -d "$versioned" 2>&1)"; then
    printf '%s\n' "$out" | tail -n 30 >&2
    echo "setup-schema: upgrading $db failed" >&2
    exit 1
  fi
  echo "setup-schema: $db is at $2 schema $(ls "$versioned" | sort -V | tail -n 1)"
}

setup "${TEMPORAL_DB_NAME:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}" visibility
