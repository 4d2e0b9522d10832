#!/usr/bin/env bash
# verify-backup.sh — the `backup-verify` CronJob: prove that the latest backups restore.
#
# Usage: verify-backup.sh KIND...   KIND is postgres, redis or app-data
#
#   postgres  download the dump named by postgres/latest.json, check the signatures of the
#             pointer and metadata.json and the dump's sha256 against both, restore it into a
#             scratch PostgreSQL started inside the job, and compare every table's row count
#             and checksum with metadata.json.
#   redis     check the RDB's sha256 and run redis-check-rdb; the key count must match.
#   app-data  check the archive's sha256 and list it; the entry count must match.
#
# Environment:
#   BACKUP_BUCKET, S3_ENDPOINT_URL       as for the backup scripts
#   BACKUP_PREFIX_ROOT                   read <root>/<KIND>/ instead of <KIND>/ (the dr stack's
#                                        own backups: dr)                  (default: none)
#   BACKUP_TIMESTAMP / BACKUP_KEY        verify that backup instead of the latest (one KIND)
#   VERIFY_DATABASE                      dump file name stem              (default: mcp_db)
#   VERIFY_MAX_AGE_SECONDS               fail when the latest backup is older (default: off)
#   VERIFY_WAIT_SECONDS                  wait for a replicated object     (default: 0)
#   WORK_DIR                             scratch space (the scratch server's data lives here)
#   BACKUP_TRUSTED_KEYS                  the keys signatures must verify with (backup-signing.sh)
#
# Exits non-zero with an error line naming the backup and the difference on any failure.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
if (($# == 0)); then fail "usage: verify-backup.sh postgres|redis|app-data..."; fi
require_env BACKUP_BUCKET
make_run_dir

# check_age POINTER_FILE: the RPO guard.
check_age() {
    local timestamp age
    if [[ -z ${VERIFY_MAX_AGE_SECONDS:-} || ! -f $1 ]]; then return 0; fi
    timestamp=$(json_get "$1" timestamp)
    age=$(($(date -u +%s) - $(date -u -d "$timestamp" +%s)))
    if ((age > VERIFY_MAX_AGE_SECONDS)); then
        fail "the latest backup is too old" timestamp "$timestamp" age_seconds "$age" \
            max_age_seconds "$VERIFY_MAX_AGE_SECONDS"
    fi
    info "the latest backup is recent enough" timestamp "$timestamp" age_seconds "$age"
}

# fetch KIND FILE_NAME: resolve, download the object and its metadata.json, check their
# signatures and the digest. Sets OBJECT_FILE and META_FILE.
fetch() {
    local prefix=$1 file_name=$2
    step "${prefix}-resolve"
    rm -f "${RUN_DIR}/pointer.json"
    resolve_backup "${BACKUP_PREFIX_ROOT:+${BACKUP_PREFIX_ROOT}/}${prefix}" "$file_name"
    check_age "${RUN_DIR}/pointer.json"
    step "${prefix}-download"
    rm -rf "${RUN_DIR:?}/${prefix}"
    fetch_backup "$BACKUP_KEY" "${RUN_DIR}/${prefix}" "${VERIFY_WAIT_SECONDS:-0}"
    OBJECT_FILE="${RUN_DIR}/${prefix}/$(basename "$BACKUP_KEY")"
    META_FILE="${RUN_DIR}/${prefix}/metadata.json"
    info "downloaded" key "$BACKUP_KEY" size "$(size_of "$OBJECT_FILE")"
    step "${prefix}-checksum"
    check_backup_metadata "$META_FILE" "$OBJECT_FILE" "$BACKUP_KEY" "$EXPECTED_SHA256"
}

stop_scratch() {
    if [[ -n ${SCRATCH_DATA:-} && -f ${SCRATCH_DATA}/postmaster.pid ]]; then
        pg_ctl -D "$SCRATCH_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

verify_postgres() {
    local database=${VERIFY_DATABASE:-mcp_db} diff_file stats_file mismatches
    fetch postgres "${database}.dump"

    step postgres-toc
    run pg_restore --list "$OBJECT_FILE" >/dev/null
    info "the dump's table of contents reads back"

    step postgres-scratch-server
    SCRATCH_DATA="${RUN_DIR}/scratch"
    add_exit_hook stop_scratch
    run initdb --pgdata="$SCRATCH_DATA" --username=postgres --auth=trust --encoding=UTF8 \
        --locale=C --no-sync >/dev/null
    run pg_ctl -D "$SCRATCH_DATA" -l "${RUN_DIR}/scratch.log" -w -t 60 start -o \
        "-c listen_addresses='' -c unix_socket_directories='${RUN_DIR}' -c port=5433 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c dynamic_shared_memory_type=mmap" >/dev/null
    export PGHOST=$RUN_DIR PGPORT=5433 PGUSER=postgres PGDATABASE=verify
    unset PGPASSWORD PGSERVICE PGSSLMODE
    run createdb verify
    info "scratch PostgreSQL started" data_directory "$SCRATCH_DATA"

    step postgres-restore
    run pg_restore --exit-on-error --no-owner --no-privileges --dbname=verify "$OBJECT_FILE"
    info "dump restored into the scratch database"

    step postgres-compare
    stats_file="${RUN_DIR}/restored-tables.json"
    diff_file="${RUN_DIR}/differences.txt"
    table_stats_sql >"${RUN_DIR}/stats.sql"
    run stats_psql -f "${RUN_DIR}/stats.sql" -o "$stats_file"
    compare_stats_sql "$META_FILE" "$stats_file" >"${RUN_DIR}/compare.sql"
    run stats_psql -f "${RUN_DIR}/compare.sql" -o "$diff_file"
    if [[ -s $diff_file ]]; then
        mismatches=$(awk -F'|' '{printf "%s%s: rows %s in metadata, %s restored; checksum %s in metadata, %s restored", (NR>1?"; ":""), $1, $2, $3, $4, $5}' "$diff_file")
        fail "restored data differs from the backup's metadata" key "$BACKUP_KEY" \
            tables "$(wc -l <"$diff_file")" differences "$mismatches"
    fi
    info "every table's row count and checksum match" key "$BACKUP_KEY" \
        tables "$(grep -o '"rows"' "$stats_file" | wc -l)"
    stop_scratch
}

verify_redis() {
    local expected actual report
    fetch redis dump.rdb
    step redis-check
    report="${RUN_DIR}/redis-check.txt"
    if ! redis-check-rdb "$OBJECT_FILE" >"$report" 2>&1; then
        fail "redis-check-rdb rejects the snapshot" key "$BACKUP_KEY" output "$(tail -c 1000 "$report")"
    fi
    expected=$(json_get "$META_FILE" keys)
    actual=$(sed -nE 's/.*\[info\] ([0-9]+) keys read.*/\1/p' "$report")
    if [[ $expected != "$actual" ]]; then
        fail "the snapshot's key count differs from the metadata" key "$BACKUP_KEY" \
            expected "$expected" actual "${actual:-unknown}"
    fi
    info "the snapshot is valid" key "$BACKUP_KEY" keys "$actual"
}

verify_app_data() {
    local expected actual
    fetch app-data app-data.tar.gz
    step app-data-list
    if ! tar -tzf "$OBJECT_FILE" >"${RUN_DIR}/entries.txt" 2>"${RUN_DIR}/tar.err"; then
        fail "the archive does not read back" key "$BACKUP_KEY" stderr "$(tail -c 1000 "${RUN_DIR}/tar.err")"
    fi
    expected=$(json_get "$META_FILE" entries)
    actual=$(wc -l <"${RUN_DIR}/entries.txt")
    if [[ $expected != "$actual" ]]; then
        fail "the archive's entry count differs from the metadata" key "$BACKUP_KEY" \
            expected "$expected" actual "$actual"
    fi
    info "the archive is valid" key "$BACKUP_KEY" entries "$actual"
}

for kind in "$@"; do
    BACKUP_KEY_REQUEST=${BACKUP_KEY:-}
    case $kind in
        postgres) verify_postgres ;;
        redis) verify_redis ;;
        app-data) verify_app_data ;;
        *) fail "unknown backup kind" kind "$kind" expected "postgres, redis or app-data" ;;
    esac
    BACKUP_KEY=$BACKUP_KEY_REQUEST
done

step finish
info "verification passed" kinds "$*" duration_seconds "$SECONDS"
