#!/usr/bin/env bash
# backup-postgres.sh — the `postgres-backup` CronJob: a consistent pg_dump of one database to S3.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE   the database to dump (libpq variables)
#   BACKUP_BUCKET                                    destination bucket
#   BACKUP_PREFIX        key prefix                                        (default: postgres)
#   S3_ENDPOINT_URL      another S3 endpoint (tests)                       (default: AWS)
#   TIER_{DAILY,WEEKLY,MONTHLY}_SCHEDULE, TIER_IGNORE_HOUR, BACKUP_TIER   tier selection
#   PG_WAIT_SECONDS      how long to wait for the server                   (default: 120)
#   WORK_DIR             scratch space for the dump                        (default: $TMPDIR)
#   BACKUP_SIGNING_KEY_ID / BACKUP_SIGNING_KEY_FILE, BACKUP_TRUSTED_KEYS   backup-signing.sh
#
# Writes <prefix>/<tier>/<UTC stamp>/<db>.dump (pg_dump custom format) and metadata.json
# (timestamp, size, sha256, per-table row counts and checksums taken in the dump's own
# snapshot, signed), then moves the signed pointer <prefix>/latest.json. A failure at any step exits
# non-zero before the pointer moves, so latest.json only ever names a complete backup.
# Re-running is safe: every run writes a new timestamped backup and never overwrites one.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
skip_on_standby
require_env PGHOST PGUSER PGDATABASE BACKUP_BUCKET
PREFIX=${BACKUP_PREFIX:-postgres}
make_run_dir
now_stamps
TIER=$(backup_tier "$EPOCH")
DUMP_NAME="${PGDATABASE}.dump"
BASE_KEY="${PREFIX}/${TIER}/${STAMP}"
info "starting backup" database "$PGDATABASE" host "$PGHOST" tier "$TIER" key "${BASE_KEY}/${DUMP_NAME}"

step connect
wait_for_postgres "${PG_WAIT_SECONDS:-120}"
SERVER_VERSION=$(psql -X -At -v ON_ERROR_STOP=1 -c 'SHOW server_version' 2>"${RUN_DIR}/connect.err") ||
    fail "cannot query the database" stderr "$(tail -c 1000 "${RUN_DIR}/connect.err")"
info "connected" server_version "$SERVER_VERSION"

# One repeatable-read transaction exports its snapshot; pg_dump and the statistics query
# both use it, so the row counts describe exactly the data inside the dump.
step snapshot
coproc SNAPSHOT_SESSION { psql -X -q -At -v ON_ERROR_STOP=1 2>&1; }
SNAPSHOT_PID=$SNAPSHOT_SESSION_PID
close_snapshot() {
    if kill -0 "$SNAPSHOT_PID" 2>/dev/null; then kill "$SNAPSHOT_PID" 2>/dev/null || true; fi
}
add_exit_hook close_snapshot
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" \
    "SELECT 'snapshot=' || pg_export_snapshot();" >&"${SNAPSHOT_SESSION[1]}"
SNAPSHOT=""
while IFS= read -r -t 60 line <&"${SNAPSHOT_SESSION[0]}"; do
    if [[ $line == snapshot=* ]]; then
        SNAPSHOT=${line#snapshot=}
        break
    fi
    fail "unexpected answer while exporting the snapshot" output "$line"
done
if [[ -z $SNAPSHOT ]]; then fail "could not export a snapshot"; fi
info "snapshot exported" snapshot "$SNAPSHOT"

step dump
UPLOAD_DIR="${RUN_DIR}/upload"
mkdir -p "$UPLOAD_DIR"
DUMP_FILE="${UPLOAD_DIR}/${DUMP_NAME}"
run pg_dump --format=custom --snapshot="$SNAPSHOT" --no-password --file="$DUMP_FILE" "$PGDATABASE"
# The table of contents must read back: a dump pg_restore cannot list is never uploaded.
run pg_restore --list "$DUMP_FILE" >/dev/null
info "dump written" size "$(size_of "$DUMP_FILE")"

step row-counts
STATS_FILE="${RUN_DIR}/tables.json"
STATS_SQL="${RUN_DIR}/tables.sql"
{
    printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" "SET TRANSACTION SNAPSHOT '${SNAPSHOT}';"
    table_stats_sql
    printf '%s\n' "COMMIT;"
} >"$STATS_SQL"
run stats_psql -f "$STATS_SQL" -o "$STATS_FILE"
if [[ $(head -c 1 "$STATS_FILE") != "{" ]]; then
    fail "the statistics query returned no JSON object" output "$(head -c 500 "$STATS_FILE")"
fi
printf '%s\n' "COMMIT;" '\q' >&"${SNAPSHOT_SESSION[1]}"
wait "$SNAPSHOT_PID" || true
info "row counts taken in the dump snapshot" tables "$(grep -o '"rows"' "$STATS_FILE" | wc -l)"

step metadata
SHA256=$(sha256_of "$DUMP_FILE")
SIZE=$(size_of "$DUMP_FILE")
METADATA_FILE="${UPLOAD_DIR}/metadata.json"
{
    printf '{"format":"pg_dump-custom","database":%s,"timestamp":"%s","tier":"%s",' \
        "$(json_string "$PGDATABASE")" "$ISO_TIME" "$TIER"
    printf '"key":"%s","size":%s,"sha256":"%s","server_version":%s,"tables":' \
        "${BASE_KEY}/${DUMP_NAME}" "$SIZE" "$SHA256" "$(json_string "$SERVER_VERSION")"
    tr -d '\n' <"$STATS_FILE"
    printf '}\n'
} >"$METADATA_FILE"
sign_metadata "$METADATA_FILE"
info "metadata written" sha256 "$SHA256" size "$SIZE"

step upload
s3_upload_backup "$UPLOAD_DIR" "$BASE_KEY" "$DUMP_NAME"
info "uploaded" bucket "$BACKUP_BUCKET" key "${BASE_KEY}/${DUMP_NAME}"

step pointer
publish_pointer "$PREFIX" "${BASE_KEY}/${DUMP_NAME}" "$ISO_TIME" "$SHA256" "$SIZE" "${BASE_KEY}/metadata.json"
info "latest pointer moved" pointer "${PREFIX}/latest.json"

step finish
info "backup complete" key "${BASE_KEY}/${DUMP_NAME}" tier "$TIER" size "$SIZE" sha256 "$SHA256" \
    duration_seconds "$SECONDS"
