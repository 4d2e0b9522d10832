#!/usr/bin/env bash
# postgres-pitr.sh — point-in-time recovery from the continuous archive into an empty data
# directory: the newest base backup that ended before the target, then the archived WAL up to
# the target time (recovery_target_time), after which the server is promoted.
#
#   postgres-pitr.sh <target time, e.g. "2026-12-01 14:30:00+00">
#
# The target is exclusive of nothing: transactions committed at or before it are kept, later
# ones are not (recovery_target_inclusive on). When the archive ends before the target — a
# missing or corrupt segment — PostgreSQL stops with "recovery ended before configured
# recovery target was reached" and this script fails with that log; nothing is promoted.
#
# Environment: PGDATA (an empty or absent directory); WAL_SOURCE_URL/WAL_SOURCE_SERVER or
# WAL_ARCHIVE_URL/WAL_SERVER_NAME (see wal-lib.sh); PITR_START=true to also start the server
# here (pg_ctl; PITR_PORT, default 5433, PITR_SOCKET_DIR, default /tmp) and wait for the
# recovery to finish — otherwise the next start of the server recovers.
set -euo pipefail
BACKUP_JOB=postgres-pitr
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"
OPS_DIR=$(cd "$(dirname "$0")" && pwd)

step config
if (($# != 1)); then fail 'usage: postgres-pitr.sh "<target time, e.g. 2026-12-01 14:30:00+00>"'; fi
TARGET=$1
TARGET_EPOCH=$(date -d "$TARGET" +%s 2>/dev/null) ||
    fail "the target time is not a date and time such as \"2026-12-01 14:30:00+00\"" target "$TARGET"
require_env PGDATA
WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
require_archive
if [[ -e $PGDATA && -n $(ls -A "$PGDATA") ]]; then
    fail "PGDATA is not empty; recover into a new directory" pgdata "$PGDATA"
fi

step restore-base-backup
BACKUP_ID=$(base_backup_before "$TARGET_EPOCH")
if [[ -z $BACKUP_ID ]]; then
    fail "no base backup in the archive ended before the target time" target "$TARGET" archive "$WAL_ARCHIVE_URL"
fi
mkdir -p "$PGDATA"
run barman_cloud restore "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$BACKUP_ID" "$PGDATA"
chmod 700 "$PGDATA"
{
    printf "restore_command = 'WAL_SOURCE_URL=%s WAL_SOURCE_SERVER=%s bash %s/wal-restore.sh %%f %%p'\n" \
        "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$OPS_DIR"
    printf "recovery_target_time = '%s'\n" "$TARGET"
    printf "recovery_target_action = 'promote'\n"
    # A recovered copy must not archive into the source's archive.
    printf "archive_mode = 'off'\n"
} >>"$PGDATA/postgresql.auto.conf"
touch "$PGDATA/recovery.signal"
info "base backup restored; recovery to the target time is configured" backup_id "$BACKUP_ID" target "$TARGET"

if [[ ${PITR_START:-false} != true ]]; then exit 0; fi
step recover
PORT=${PITR_PORT:-5433}
SOCKET=${PITR_SOCKET_DIR:-/tmp}
LOG_FILE="$PGDATA/pitr.log"
if ! pg_ctl -D "$PGDATA" -l "$LOG_FILE" -w -t 600 -o "-p $PORT -c listen_addresses='' -c unix_socket_directories=$SOCKET" start >/dev/null; then
    fail "recovery failed; nothing was promoted" log "$(tail -c 1500 "$LOG_FILE")"
fi
for _ in $(seq 1 600); do
    state=$(psql -X -At -h "$SOCKET" -p "$PORT" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null || echo down)
    if [[ $state == f ]]; then break; fi
    if [[ $state == down ]] && ! pg_ctl -D "$PGDATA" status >/dev/null; then
        fail "recovery failed; nothing was promoted" log "$(tail -c 1500 "$LOG_FILE")"
    fi
    sleep 1
done
if [[ $state != f ]]; then fail "recovery did not finish in 600 s" log "$(tail -c 1500 "$LOG_FILE")"; fi
info "recovered to the target time and promoted" target "$TARGET" port "$PORT" socket "$SOCKET"
