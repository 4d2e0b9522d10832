#!/usr/bin/env bash
# promote-replica.sh — step 3 of the database failover runbook (docs/data.md): promote a replica.
#
# Run inside the replica pod: kubectl exec -n mcp-production postgres-replica-0 -c postgres -- \
#   /opt/mcp/ops/promote-replica.sh
#
# Environment:
#   PG* variables reaching the replica as a superuser (the pod's local socket by default)
#   PRIMARY_HOST, PRIMARY_PORT   the old primary; when it still answers, the script refuses
#                                (two writable primaries would split the data) unless FORCE=true
#   PROMOTE_WAIT_SECONDS         how long pg_promote waits                     (default: 60)
#
# Idempotent: a server that is already a primary is reported and left alone.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

step check-primary
if [[ -n ${PRIMARY_HOST:-} ]]; then
    if pg_isready -q -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}"; then
        if [[ ${FORCE:-false} != true ]]; then
            fail "the primary still accepts connections; stop it first or set FORCE=true" \
                primary "$PRIMARY_HOST"
        fi
        warn "the primary still accepts connections; promoting anyway (FORCE=true)" primary "$PRIMARY_HOST"
    else
        info "the primary is down" primary "$PRIMARY_HOST"
    fi
fi

step check-replica
IN_RECOVERY=$(psql -X -At -v ON_ERROR_STOP=1 -c 'SELECT pg_is_in_recovery()' 2>&1) ||
    fail "cannot query the replica" output "$IN_RECOVERY"
if [[ $IN_RECOVERY == f ]]; then
    info "already a primary; nothing to do"
    exit 0
fi
LAG=$(psql -X -At -v ON_ERROR_STOP=1 -c \
    "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::bigint, -1)")
info "replica is in recovery" replay_lag_seconds "$LAG"

step promote
PROMOTED=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT pg_promote(true, ${PROMOTE_WAIT_SECONDS:-60})" 2>&1) ||
    fail "pg_promote failed" output "$PROMOTED"
if [[ $PROMOTED != t ]]; then fail "pg_promote did not finish in time" output "$PROMOTED"; fi

step verify
IN_RECOVERY=$(psql -X -At -v ON_ERROR_STOP=1 -c 'SELECT pg_is_in_recovery()')
if [[ $IN_RECOVERY != f ]]; then fail "the server is still in recovery after pg_promote"; fi
info "promoted: the server accepts writes" next_step "point the postgres-primary Service at this pod (docs/data.md, Failover)"
