#!/usr/bin/env bash
# wal-archive.sh — archive_command of the Postgres servers: `bash .../wal-archive.sh %p`.
#
# Uploads one finished WAL segment (or history/backup-label file) to the continuous archive
# with barman-cloud-wal-archive, gzip-compressed so that a corrupted copy fails its CRC on
# restore. A failed upload (at most WAL_ARCHIVE_ATTEMPT_SECONDS) exits non-zero: PostgreSQL
# keeps the segment in pg_wal and retries, and pg_stat_archiver counts the failure, which
# PostgresWalArchivingFailing watches (docs/runbooks/PostgresWalArchivingFailing.md).
#
# The archive is in another region; its outage must never fill this server's disk. So the
# backlog is bounded (docs/dr.md, "When the archive is unreachable"): when an upload fails
# while the segments waiting in pg_wal exceed WAL_ARCHIVE_MAX_BACKLOG_MB, or the data volume
# is WAL_ARCHIVE_MAX_VOLUME_PERCENT full, the segment is dropped from the archive — exit 0,
# PostgreSQL recycles it — and a gap is opened in the state file `wal-archive-gap` beside
# PGDATA. While the gap is open every segment is dropped at once, except that an upload is
# tried again every WAL_ARCHIVE_RETRY_SECONDS (its failure counted by PostgreSQL as before).
# The first upload that succeeds closes the gap: the gap record <server>/gaps/<first>-<last>.json
# goes into the archive, the base-backup sidecar takes a new base backup (WAL before a gap
# cannot be replayed past it), and a standby stuck at the gap is re-armed from it. With the
# archive reachable nothing changes: every segment is uploaded within archive_timeout.
#
# Environment: see wal-lib.sh (WAL_ARCHIVE_URL, WAL_SERVER_NAME, S3_ENDPOINT_URL, AWS_*);
# WAL_ARCHIVE_MAX_BACKLOG_MB (0, the default, never drops), WAL_ARCHIVE_MAX_VOLUME_PERCENT
# (default 90), WAL_ARCHIVE_ATTEMPT_SECONDS (default 60), WAL_ARCHIVE_RETRY_SECONDS
# (default 60).
set -euo pipefail
BACKUP_JOB=wal-archive
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

step archive
require_archive
if (($# != 1)); then fail "usage: wal-archive.sh <path of the WAL file (%p)>"; fi
WAL_PATH=$1
if [[ ! -f $WAL_PATH ]]; then fail "no such WAL file" path "$WAL_PATH"; fi
WAL_NAME=$(basename "$WAL_PATH")
DATA_DIR=${PGDATA:-$PWD}
STATE_FILE="$(wal_state_dir)/wal-archive-gap"
MAX_BACKLOG_MB=${WAL_ARCHIVE_MAX_BACKLOG_MB:-0}
MAX_VOLUME_PERCENT=${WAL_ARCHIVE_MAX_VOLUME_PERCENT:-90}
ATTEMPT_SECONDS=${WAL_ARCHIVE_ATTEMPT_SECONDS:-60}
RETRY_SECONDS=${WAL_ARCHIVE_RETRY_SECONDS:-60}
NOW=$(date +%s)

# The gap state: key=value lines (opened, first, last, dropped, last_attempt, resumed).
declare -A GAP=()
if [[ -f $STATE_FILE ]]; then
    while IFS='=' read -r key value; do
        if [[ -n $key ]]; then GAP[$key]=$value; fi
    done <"$STATE_FILE"
fi
gap_open() { [[ -n ${GAP[opened]:-} && -z ${GAP[resumed]:-} ]]; }
save_gap() {
    local key
    for key in opened first last dropped last_attempt resumed resumed_wal; do
        printf '%s=%s\n' "$key" "${GAP[$key]:-}"
    done >"$STATE_FILE.tmp"
    mv "$STATE_FILE.tmp" "$STATE_FILE"
}
drop() {
    GAP[last]=$WAL_NAME
    GAP[dropped]=$((${GAP[dropped]:-0} + 1))
    save_gap
}

upload() {
    local endpoint=()
    if [[ -n ${S3_ENDPOINT_URL:-} ]]; then endpoint=(--endpoint-url "$S3_ENDPOINT_URL"); fi
    timeout --kill-after=5 "$ATTEMPT_SECONDS" barman-cloud-wal-archive "${endpoint[@]}" \
        --gzip "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$WAL_PATH" 2>&1
}

# A gap is open and the last attempt was recent: drop at once, the archive is broken past the
# gap anyway, and a slow failure must not hold up pg_wal.
if gap_open && ((NOW - ${GAP[last_attempt]:-0} < RETRY_SECONDS)); then
    drop
    warn "dropped from the archive (a gap is open; the next upload attempt is due soon)" \
        wal "$WAL_NAME" gap_first "${GAP[first]}" dropped "${GAP[dropped]}"
    exit 0
fi

status=0
OUTPUT=$(upload) || status=$?
if ((status == 0)); then
    if gap_open; then
        GAP[resumed]=$NOW
        GAP[resumed_wal]=$WAL_NAME
        save_gap
        RECORD="{\"first\":\"${GAP[first]}\",\"last\":\"${GAP[last]}\",\"dropped\":${GAP[dropped]},\"opened\":${GAP[opened]},\"resumed\":$NOW,\"resumed_wal\":\"$WAL_NAME\"}"
        GAP_NAME="${GAP[first]:0:24}-${GAP[last]:0:24}" archive_python put-gap <<<"$RECORD" >/dev/null 2>&1 ||
            warn "could not upload the gap record; the base-backup sidecar still follows the state file" \
                state "$STATE_FILE"
        log error "the archive is reachable again after a gap: the WAL between these segments is missing from it; a new base backup follows, and a standby replaying this archive must be re-armed from it (docs/dr.md)" \
            gap_first "${GAP[first]}" gap_last "${GAP[last]}" dropped "${GAP[dropped]}" \
            resumed_wal "$WAL_NAME" archive "$WAL_ARCHIVE_URL"
    fi
    # Success stays quiet otherwise: PostgreSQL runs this once per segment.
    exit 0
fi

# Retries are timed from the end of the failed attempt, which may have taken up to
# WAL_ARCHIVE_ATTEMPT_SECONDS.
FAILED_AT=$(date +%s)
if gap_open; then
    GAP[last_attempt]=$FAILED_AT
    save_gap
    fail "barman-cloud-wal-archive failed again while a gap is open; segments keep being dropped until an upload succeeds" \
        wal "$WAL_NAME" gap_first "${GAP[first]}" dropped "${GAP[dropped]}" exit_code "$status" \
        archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$OUTPUT")"
fi

# How much is waiting: every .ready file is a 16 MiB segment (history files are tiny).
shopt -s nullglob
READY=("$DATA_DIR"/pg_wal/archive_status/*.ready)
BACKLOG_MB=$((${#READY[@]} * 16))
VOLUME_PERCENT=$(df -P "$DATA_DIR" | awk 'NR == 2 { sub("%", "", $5); print $5 }')
# The volume bound needs a few segments waiting too: one transient failure on a volume that
# is full of data (PersistentVolumeFillingUp) must not break the archive.
if ((MAX_BACKLOG_MB > 0)) && ((BACKLOG_MB >= MAX_BACKLOG_MB ||
    (VOLUME_PERCENT >= MAX_VOLUME_PERCENT && ${#READY[@]} > 4))); then
    GAP=([opened]=$NOW [first]=$WAL_NAME [last]=$WAL_NAME [dropped]=1 [last_attempt]=$FAILED_AT)
    save_gap
    log error "the archive is unreachable and the backlog reached its bound: dropping WAL from the archive so the disk does not fill (a gap opens; DR from this archive stops at it until a new base backup)" \
        wal "$WAL_NAME" backlog_mb "$BACKLOG_MB" max_backlog_mb "$MAX_BACKLOG_MB" \
        volume_percent "$VOLUME_PERCENT" max_volume_percent "$MAX_VOLUME_PERCENT" exit_code "$status" \
        archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$OUTPUT")"
    exit 0
fi
fail "barman-cloud-wal-archive failed; PostgreSQL keeps the segment and retries" \
    wal "$WAL_NAME" exit_code "$status" backlog_mb "$BACKLOG_MB" max_backlog_mb "$MAX_BACKLOG_MB" \
    archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$OUTPUT")"
