#!/usr/bin/env bash
# The test suite (`npm test`, extra arguments go to jest: `npm test -- test/unit`).
#   dependencies -> PostgreSQL running -> Temporal CLI and server built -> Prisma client
#   -> type check (tsc --noEmit) -> jest (then the bench smoke and the cluster tests, each alone)
# jest's global setup then starts its own Temporal dev server on free ports
# (unless TEMPORAL_ADDRESS is set) and recreates the database salesorder_test.
# SKIP_TYPECHECK=1 skips the tsc step (jest itself only transpiles).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/lib/postgres.sh"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mtest: %s\033[0m\n' "$*" >&2; exit 1; }

step "dependencies"
if [[ ! -d node_modules ]]; then
  echo "node_modules missing: npm ci"
  npm ci
else
  echo "node_modules present"
fi

step "PostgreSQL"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/salesorder}"
ensure_postgres "$DATABASE_URL" || die "no PostgreSQL to test against"

step "CJK font for the PDF documents"
source "$ROOT/scripts/lib/fonts.sh"
ensure_cjk_fonts || die "no CJK font (fonts-noto-cjk) for the document tests"

step "Chromium for the console's browser tests (test/browser)"
source "$ROOT/scripts/lib/chromium.sh"
ensure_chromium || die "no chromium for the browser tests"

step "Temporal CLI"
if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then
  echo "TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS: tests use that server"
else
  bash scripts/temporal.sh ensure
  echo "$(.tools/bin/temporal --version) (jest starts its own dev server on free ports)"
fi

# The failover tests (test/cluster) run the real Temporal server on PostgreSQL.
step "Temporal server, temporal-sql-tool, UI server (test/cluster)"
bash scripts/cluster.sh ensure
echo "built in .tools/bin"

step "Prisma client (prisma generate)"
gen_out="$(CHECKPOINT_DISABLE=1 node_modules/.bin/prisma generate 2>&1)" || { echo "$gen_out" >&2; die "prisma generate failed"; }
echo "$gen_out" | grep -E 'Generated Prisma Client' || echo "generated"

if [[ "${SKIP_TYPECHECK:-0}" == 1 ]]; then
  step "type check skipped (SKIP_TYPECHECK=1)"
else
  step "type check (tsc --noEmit -p tsconfig.json)"
  npx tsc --noEmit -p tsconfig.json
  echo "no type errors"
fi

# The browser tests serve the built console (web/dist); build it when missing or older than its sources
# (for the whole suite, or when the arguments name the browser tests).
if [[ $# -eq 0 || "$*" == *browser* ]]; then
  step "console web app (npm run build:web when web/dist is missing or stale)"
  if [[ ! -f web/dist/index.html ]] || [[ -n "$(find web/src web/index.html web/vite.config.ts package-lock.json -newer web/dist/index.html -print -quit 2>/dev/null)" ]]; then
    npm run build:web
  else
    echo "web/dist is current"
  fi
fi

if [[ $# -gt 0 ]]; then
  step "jest $*"
  exec npx jest "$@"
fi

# The browser tests, the bench's smoke mode, the chaos run and the cluster's failover tests start
# their own worker and API processes (the chaos run and the failover tests their
# own Temporal server too); on two cores they starve (and are starved by) the
# other suites, so each runs alone, after them.
step "jest (every suite but the browser tests, the bench smoke, the chaos run and the cluster failover tests)"
status=0
npx jest --testPathIgnorePatterns '/test/(bench|chaos|cluster|browser)/' || status=$?
step "jest test/browser (the console in Chromium, alone)"
npx jest test/browser || status=$?
step "jest test/bench (the benchmark's smoke mode, alone)"
npx jest test/bench || status=$?
step "jest test/chaos (the short fixed-seed chaos run, alone)"
npx jest test/chaos || status=$?
step "jest test/cluster (failover on the Temporal server on PostgreSQL, alone)"
npx jest test/cluster || status=$?
exit "$status"
