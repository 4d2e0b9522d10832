#!/usr/bin/env bash
# wal-rearm.sh — make postgres-primary-0 of the dr stack a standby of production's WAL archive
# again after a failback (docs/dr.md, "Re-arm the standby"), without deleting its volume.
#
# Run inside the pod (`npm run dr -- failback` does it as its last step):
#   kubectl exec -n mcp-production postgres-primary-0 -c postgres -- bash /opt/mcp/ops/wal-rearm.sh
#
# Steps: refuse unless the server starts as a standby of another stack's archive
# (WAL_STANDBY=true); a server in recovery needs nothing unless REARM_STANDBY=true (a standby
# stuck behind a gap of the archive is re-seeded so). A primary is re-armed only when the
# source archive holds WAL written after its promotion (stale_primary_reason in wal-lib.sh):
# otherwise it may be the database DR serves right now, and re-arming would discard its
# writes — FORCE=true overrides. Then it writes the marker `reseed-requested` beside PGDATA
# and asks the server to stop (fast shutdown, not waited for); the container restarts and postgres-start.sh replaces
# the cluster with the source's newest usable base backup plus standby.signal, waiting for one
# if the source has not taken it yet (its base-backup sidecar does at once after a promotion).
#
# Environment: PGDATA; PG* variables reaching the server as a superuser (the pod's socket by
# default); WAL_STANDBY; WAL_SOURCE_URL/WAL_SOURCE_SERVER or WAL_ARCHIVE_URL/WAL_SERVER_NAME
# (see wal-lib.sh); FORCE; REARM_STANDBY.
set -euo pipefail
BACKUP_JOB=wal-rearm
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

sql() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

step check
require_env PGDATA
if [[ ${WAL_STANDBY:-false} != true ]]; then
    fail "this server does not start as a standby of another stack's archive (WAL_STANDBY is not true): only the dr stack's postgres-primary-0 (or production's during a re-seed) is re-armed"
fi
WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
require_archive
export WAL_ARCHIVE_URL WAL_SERVER_NAME
IN_RECOVERY=$(sql 'SELECT pg_is_in_recovery()' 2>&1) || fail "cannot query the server" output "$IN_RECOVERY"
if [[ $IN_RECOVERY == t ]]; then
    if [[ ${REARM_STANDBY:-false} != true ]]; then
        info "already a standby of the source archive; nothing to do (REARM_STANDBY=true re-seeds it anyway, e.g. behind a gap)" \
            archive "$WAL_ARCHIVE_URL"
        exit 0
    fi
    REASON="re-seeding a standby (REARM_STANDBY=true)"
else
    REASON=$(stale_primary_reason 2>&1) || fail "cannot compare this primary with the source archive" \
        archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$REASON")"
    if [[ -z $REASON ]]; then
        if [[ ${FORCE:-false} != true ]]; then
            fail "this primary is not stale: the source archive holds nothing written after its promotion, so it may be the database DR serves now; re-arming would discard its writes. Fail back first (docs/dr.md), or set FORCE=true" \
                archive "$WAL_ARCHIVE_URL"
        fi
        REASON="re-arming a primary the source has not superseded (FORCE=true)"
    fi
fi

step mark
MARKER="$(wal_state_dir)/reseed-requested"
printf '{"requested":"%s","reason":%s}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(json_string "$REASON")" >"$MARKER"
warn "re-arm requested: the server stops now; on its restart postgres-start.sh replaces this cluster with a standby of the source archive" \
    reason "$REASON" archive "$WAL_ARCHIVE_URL" marker "$MARKER"

step stop
# Without waiting: the server is the container's main process, and the container (this exec
# with it) ends when it does.
run pg_ctl -D "$PGDATA" -m fast -W stop
info "stopping; the container restarts and re-seeds (kubectl logs postgres-primary-0 -c postgres)"
