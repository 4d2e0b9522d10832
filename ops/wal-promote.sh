#!/usr/bin/env bash
# wal-promote.sh — DR activation of the dr stack's postgres-primary-0: promote the standby that
# replays production's WAL archive, once it has replayed everything the archive holds.
#
# Run inside the pod (tools/dr does it at activation):
#   kubectl exec -n mcp-production postgres-primary-0 -c postgres -- bash /opt/mcp/ops/wal-promote.sh
#
# Steps: wait up to WAL_CATCHUP_SECONDS for the replay to reach the newest archived segment;
# refuse (exit 1, naming both segments) when it does not — a segment between them is missing
# or corrupt, and promoting would silently drop every transaction after the gap — unless
# FORCE=true; then pg_promote() and check the server accepts writes.
#
# A server that is already a primary is left alone only when it is this activation's own
# promotion (a re-run): the source archive holds nothing written after it branched off. A
# primary the source has moved past since — promoted at an earlier activation and never
# re-armed after the failback, so production has written newer data — is refused (exit 1,
# naming the newer WAL): activating it would serve stale data. Re-arm it as a standby first
# (wal-rearm.sh; docs/dr.md, "Re-arm the standby"). FORCE=true accepts it, knowingly.
#
# Environment: PG* variables reaching the server as a superuser (the pod's socket by default);
# WAL_SOURCE_URL/WAL_SOURCE_SERVER or WAL_ARCHIVE_URL/WAL_SERVER_NAME (see wal-lib.sh);
# WAL_CATCHUP_SECONDS (default: 120); PROMOTE_WAIT_SECONDS (default: 60); FORCE.
set -euo pipefail
BACKUP_JOB=wal-promote
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

sql() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

step check-standby
IN_RECOVERY=$(sql 'SELECT pg_is_in_recovery()' 2>&1) || fail "cannot query the server" output "$IN_RECOVERY"
WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
require_archive
export WAL_ARCHIVE_URL WAL_SERVER_NAME
if [[ $IN_RECOVERY == f ]]; then
    step check-primary
    STALE=$(stale_primary_reason 2>&1) || fail "cannot compare this primary with the source archive" \
        archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$STALE")"
    if [[ -n $STALE ]]; then
        if [[ ${FORCE:-false} != true ]]; then
            fail "refusing to activate a stale primary: this server is already a primary, but $STALE. It holds the data of an earlier activation, not the newest; re-arm it as a standby of the source (ops/wal-rearm.sh) and activate again, or set FORCE=true to serve this data knowingly" \
                archive "$WAL_ARCHIVE_URL" stale_primary true
        fi
        warn "activating a stale primary (FORCE=true): $STALE" archive "$WAL_ARCHIVE_URL"
        exit 0
    fi
    info "already a primary, promoted from the source archive and not superseded since; nothing to do" \
        wal_file "$(sql 'SELECT pg_walfile_name(pg_current_wal_lsn())')"
    exit 0
fi

step catch-up
NEWEST=$(newest_archived_wal 2>&1) || fail "cannot list the WAL archive" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$NEWEST")"
DEADLINE=$(($(date +%s) + ${WAL_CATCHUP_SECONDS:-120}))
while :; do
    LSN=$(sql 'SELECT pg_last_wal_replay_lsn()')
    # The segment replay waits for, and the newest it has replayed into; segment numbers
    # compare without the timeline (the first 8 digits).
    REPLAYED=$(segment_of_lsn 1 "$LSN")
    DONE=$(last_segment_before_lsn 1 "$LSN")
    if [[ -z $NEWEST || ! ${DONE:8} < ${NEWEST:8} ]]; then break; fi
    if (($(date +%s) >= DEADLINE)); then
        if [[ ${FORCE:-false} != true ]]; then
            fail "the standby has not replayed the archive's newest WAL segment: a segment after its replay position is missing or corrupt (see the wal-restore errors in this pod's log); promoting now would lose every transaction after it. Repair the archive, or set FORCE=true to accept the loss" \
                replay_lsn "$LSN" replay_segment "$REPLAYED" newest_archived "$NEWEST"
        fi
        warn "promoting behind the archive (FORCE=true)" replay_lsn "$LSN" newest_archived "$NEWEST"
        break
    fi
    sleep 1
done
LAST_REPLAY=$(sql "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '')")
info "replay caught up with the archive" replay_lsn "$LSN" newest_archived "$NEWEST" \
    last_transaction "$LAST_REPLAY"

step promote
# pg_promote without waiting: a query that waits inside the standby can be cancelled by a
# recovery conflict while the last WAL is replayed, so the wait happens out here.
PROMOTED=$(sql "SELECT pg_promote(false)" 2>&1) || fail "pg_promote failed" output "$PROMOTED"
if [[ $PROMOTED != t ]]; then fail "pg_promote could not signal the server" output "$PROMOTED"; fi
PROMOTE_DEADLINE=$(($(date +%s) + ${PROMOTE_WAIT_SECONDS:-60}))
until [[ $(sql 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]]; do
    if (($(date +%s) >= PROMOTE_DEADLINE)); then
        fail "the server did not leave recovery within PROMOTE_WAIT_SECONDS" seconds "${PROMOTE_WAIT_SECONDS:-60}"
    fi
    sleep 0.2
done

step verify
info "promoted: the server accepts writes" wal_file "$(sql 'SELECT pg_walfile_name(pg_current_wal_lsn())')"
