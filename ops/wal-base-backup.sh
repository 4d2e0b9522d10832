#!/usr/bin/env bash
# wal-base-backup.sh — physical base backups of postgres-primary into the continuous archive
# (barman-cloud-backup), and the check that the newest one is recent.
#
#   wal-base-backup.sh                  take one base backup now
#   wal-base-backup.sh --loop <hours>   the `base-backup` sidecar of postgres-primary: whenever
#                                       the server is a primary and the archive's newest base
#                                       backup is older than <hours>, is on an older timeline
#                                       than the server (it was promoted since: a dr server at
#                                       activation, production at failback) or ended before
#                                       the archive resumed after a gap (wal-archive.sh), take
#                                       one at once: standbys start only from such a backup
#   wal-base-backup.sh --check <hours>  the postgres-base-backup-check CronJob: exit 1 when the
#                                       newest base backup is older than <hours> or missing;
#                                       PostgresBaseBackupStale fires when it stops succeeding
#
# barman-cloud-backup copies the data directory of the server it backs up, so backups run next
# to it (the sidecar shares the data volume, read-only). A standby or a PITR replays all WAL
# archived since its base backup, so recent base backups keep those fast. Nothing here
# deletes: the bucket's lifecycle rule expires base backups and WAL after
# data.postgres.archive.retentionDays, and the IAM role may not delete (docs/data.md).
#
# Environment: see wal-lib.sh; PGHOST/PGPORT/PGUSER reaching the server as a superuser (the
# pod's socket); WAL_LOOP_CHECK_SECONDS (default: 300) between the loop's checks.
set -euo pipefail
BACKUP_JOB=postgres-base-backup
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

# age_of_newest: seconds since the newest finished base backup ended; empty when there is none.
age_of_newest() {
    local listing
    listing=$(barman_cloud backup-list --format json "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" 2>&1) ||
        fail "cannot list the base backups" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$listing")"
    python3 -c '
import json, sys, datetime, time
ends = [datetime.datetime.strptime(b["end_time"], "%a %b %d %H:%M:%S %Y").replace(tzinfo=datetime.timezone.utc).timestamp()
        for b in json.load(sys.stdin)["backups_list"] if b.get("status") == "DONE"]
print(int(time.time() - max(ends)) if ends else "")
' <<<"$listing"
}

take_backup() {
    step backup
    local connection=() started
    if [[ -n ${PGHOST:-} ]]; then connection+=(--host "$PGHOST"); fi
    if [[ -n ${PGPORT:-} ]]; then connection+=(--port "$PGPORT"); fi
    if [[ -n ${PGUSER:-} ]]; then connection+=(--user "$PGUSER"); fi
    started=$(date +%s)
    run barman_cloud backup --gzip --immediate-checkpoint "${connection[@]}" \
        "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME"
    info "base backup uploaded" backup_id "$(base_backup_before "")" \
        seconds $(($(date +%s) - started)) archive "$WAL_ARCHIVE_URL"
}

# backup_due INTERVAL STATE_FILE: why a base backup is due now, or empty. Never while a gap
# of the archive is open (wal-archive.sh drops the WAL a base backup needs); once it closed,
# until a base backup begins after its last dropped segment.
backup_due() {
    local interval=$1 state=$2 facts timeline end begin current opened resumed last
    opened=$(sed -n 's/^opened=\([0-9][0-9]*\)$/\1/p' "$state" 2>/dev/null || true)
    resumed=$(sed -n 's/^resumed=\([0-9][0-9]*\)$/\1/p' "$state" 2>/dev/null || true)
    last=$(sed -n 's/^last=\([0-9A-F]\{24\}\).*$/\1/p' "$state" 2>/dev/null || true)
    if [[ -n $opened && -z $resumed ]]; then return 0; fi
    if ! facts=$( (base_backup_facts) 2>&1); then
        warn "cannot list the archive's base backups; checking again later" output "$(tail -c 500 <<<"$facts")" >&2
        return 0
    fi
    if [[ -z $facts ]]; then
        echo "the archive holds no base backup"
        return
    fi
    read -r timeline end begin <<<"$facts"
    current=$(psql -X -At -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)' 2>/dev/null) || return 0
    if [[ $current =~ ^[0-9A-F]{8}$ ]] && ((16#$current > timeline)); then
        echo "the newest base backup is on timeline $timeline, the server on $((16#$current)) (promoted since)"
        return
    fi
    if [[ -n $resumed && -n $last && ! ${begin:8} > ${last:8} ]]; then
        echo "the archive resumed after a gap at $(date -u -d "@$resumed" +%Y-%m-%dT%H:%M:%SZ) and the newest base backup begins before its end ($last)"
        return
    fi
    if (($(date +%s) - end >= interval)); then
        echo "the newest base backup is older than the interval"
    fi
}

hours_arg() {
    if [[ ! ${1:-} =~ ^[1-9][0-9]{0,3}$ ]]; then
        fail "$2 needs a whole number of hours such as 24" value "${1:-}"
    fi
    echo $(($1 * 3600))
}

step config
require_archive
case "${1:-}" in
    "") take_backup ;;
    --check)
        MAX_AGE=$(hours_arg "${2:-}" --check)
        step check
        AGE=$(age_of_newest)
        if [[ -z $AGE ]]; then fail "the archive holds no finished base backup" archive "$WAL_ARCHIVE_URL"; fi
        if ((AGE > MAX_AGE)); then
            fail "the newest base backup is too old" age_seconds "$AGE" max_age_seconds "$MAX_AGE" \
                archive "$WAL_ARCHIVE_URL"
        fi
        info "the newest base backup is recent" age_seconds "$AGE" archive "$WAL_ARCHIVE_URL"
        ;;
    --loop)
        INTERVAL=$(hours_arg "${2:-}" --loop)
        # A failed backup is logged and retried at the next check, never fatal to the sidecar.
        trap - ERR
        set +e
        STATE_FILE="$(wal_state_dir)/wal-archive-gap"
        while :; do
            step wait
            if [[ $(psql -X -At -c 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]]; then
                REASON=$(backup_due "$INTERVAL" "$STATE_FILE")
                if [[ -n $REASON ]]; then
                    info "taking a base backup" reason "$REASON"
                    (take_backup) || warn "base backup failed; retrying at the next check"
                fi
            fi
            sleep "${WAL_LOOP_CHECK_SECONDS:-300}"
        done
        ;;
    *) fail "usage: wal-base-backup.sh [--loop <hours> | --check <hours>]" argument "$1" ;;
esac
