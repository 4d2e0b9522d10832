#!/usr/bin/env bash
# postgres-probe.sh — startup and liveness probe of the postgres container.
#
# Alive (exit 0) while postgres-start.sh prepares the data directory — it waits for a base
# backup, restores one or runs initdb, touching POSTGRES_PREPARING_FILE every 10 s — or while
# the server answers at all: accepting connections, or still starting up or replaying
# (pg_isready exits 1, "rejecting connections"). Restarting the container helps in neither
# case: a wait would start over, a long recovery would begin again. Dead (exit 1) only when
# nothing answers on the socket and no preparation is under way.
#
# Readiness is a different question (does the server accept the app's connections?) and stays
# a plain `pg_isready -U mcp_user -d mcp_db`: a waiting standby is running but not Ready.
#
# Environment: PGPORT (default 5432); POSTGRES_SOCKET_DIR (default /var/run/postgresql);
# POSTGRES_PREPARING_FILE (default $TMPDIR/postgres-preparing, as postgres-start.sh).
set -euo pipefail
PREPARING_FILE=${POSTGRES_PREPARING_FILE:-${TMPDIR:-/tmp}/postgres-preparing}

# Touched every 10 s; a minute without a touch means the preparation died with its script.
if [[ -f $PREPARING_FILE ]] && (($(date +%s) - $(stat -c %Y "$PREPARING_FILE") < 60)); then
    exit 0
fi
status=0
pg_isready -q -h "${POSTGRES_SOCKET_DIR:-/var/run/postgresql}" -p "${PGPORT:-5432}" || status=$?
((status == 0 || status == 1))
