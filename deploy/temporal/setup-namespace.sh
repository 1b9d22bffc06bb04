#!/bin/sh
# The server creates no namespace: this creates the app's namespace and the
# order search attributes (workflows/order/contract.ts SA) when they are
# missing; safe to run on every start. POSIX sh: runs natively
# (scripts/cluster.sh) and in the temporalio/admin-tools image
# (docker-compose.yml service temporal-namespace).
#
#   TEMPORAL_ADDRESS     the frontend (127.0.0.1:7233)
#   TEMPORAL_NAMESPACE   (default)
#   TEMPORAL_RETENTION   how long closed workflows are kept (720h; an order's
#                        history is its audit trail next to the database's)
#   TEMPORAL_CLI         the temporal CLI binary (temporal on the PATH)
#   TEMPORAL_SETUP_TIMEOUT  seconds to wait for the server (120)
set -eu

cli="${TEMPORAL_CLI:-temporal}"
address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
ns="${TEMPORAL_NAMESPACE:-default}"
timeout="${TEMPORAL_SETUP_TIMEOUT:-120}"
# test/deploy/compose.test.ts checks this list against the contract.
SEARCH_ATTRIBUTES="OrderNo=Keyword OrderStage=Keyword CustomerId=Keyword RiskLevel=Keyword OrderAmount=Double"

waited=0
wait_for() { # wait_for WHAT COMMAND...
  what="$1"; shift
  until "$@" >/dev/null 2>&1; do
    if [ "$waited" -ge "$timeout" ]; then echo "setup-namespace: $what not ready after ${timeout}s" >&2; exit 1; fi
    sleep 1; waited=$((waited + 1))
  done
}

wait_for "the server at $address" "$cli" operator cluster health --address "$address"
if ! "$cli" operator namespace describe --address "$address" -n "$ns" >/dev/null 2>&1; then
  "$cli" operator namespace create --address "$address" -n "$ns" --retention "${TEMPORAL_RETENTION:-720h}" >/dev/null
  echo "setup-namespace: created namespace $ns"
fi
# A new namespace takes a moment to reach every service ("namespace not found").
wait_for "namespace $ns" "$cli" operator search-attribute list --address "$address" -n "$ns"
existing="$("$cli" operator search-attribute list --address "$address" -n "$ns")"
for sa in $SEARCH_ATTRIBUTES; do
  name="${sa%%=*}"
  if ! printf '%s\n' "$existing" | grep -qw "$name"; then
    "$cli" operator search-attribute create --address "$address" -n "$ns" --name "$name" --type "${sa#*=}" >/dev/null
    echo "setup-namespace: created search attribute $name (${sa#*=})"
  fi
done
echo "setup-namespace: namespace $ns ready on $address"
