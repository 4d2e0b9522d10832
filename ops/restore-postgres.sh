#!/usr/bin/env bash
# restore-postgres.sh — load a postgres-backup dump into a running PostgreSQL primary.
#
# Used by the DR restore Job (the dr stack's primary, at activation) and by operators for a
# point-in-time restore into either stack's primary (docs/data.md, "Restore").
#
# Usage: restore-postgres.sh [--timestamp 20260101T020000Z | --key postgres/.../mcp_db.dump]
#        (default: the backup named by postgres/latest.json)
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE   the target database (libpq variables)
#   BACKUP_BUCKET, S3_ENDPOINT_URL, BACKUP_PREFIX    where the backups are (prefix: postgres)
#   RESTORE_WAIT_SECONDS   wait for a replicated dump to arrive                (default: 900)
#   PG_WAIT_SECONDS        wait for the target to accept connections           (default: 600)
#   BACKUP_TRUSTED_KEYS, BACKUP_ACCEPT_UNSIGNED      the signature check (backup-signing.sh)
#
# The signatures of latest.json and metadata.json must verify with a trusted key, and the
# dump's sha256 must be the one metadata.json records, before anything touches the target; the
# restore runs in one transaction (--single-transaction --exit-on-error), replacing the
# objects the dump contains (--clean --if-exists), so a failure leaves the target as it was.
# Afterwards every table's row count and checksum must equal metadata.json.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
parse_restore_args restore-postgres.sh "$@"
require_env PGHOST PGUSER PGDATABASE BACKUP_BUCKET
PREFIX=${BACKUP_PREFIX:-postgres}
make_run_dir
info "starting restore" target_host "$PGHOST" target_database "$PGDATABASE" \
    requested "${BACKUP_KEY:-${BACKUP_TIMESTAMP:-latest}}"

step resolve
resolve_backup "$PREFIX" "${PGDATABASE}.dump"

step download
fetch_backup "$BACKUP_KEY" "${RUN_DIR}/backup" "${RESTORE_WAIT_SECONDS:-900}"
DUMP_FILE="${RUN_DIR}/backup/$(basename "$BACKUP_KEY")"
META_FILE="${RUN_DIR}/backup/metadata.json"
info "downloaded" key "$BACKUP_KEY" size "$(size_of "$DUMP_FILE")" \
    backup_timestamp "$(json_get "$META_FILE" timestamp)"

step checksum
check_backup_metadata "$META_FILE" "$DUMP_FILE" "$BACKUP_KEY" "$EXPECTED_SHA256"
run pg_restore --list "$DUMP_FILE" >/dev/null
info "the dump is intact" sha256 "$META_SHA"

step connect
wait_for_postgres "${PG_WAIT_SECONDS:-600}"
info "the target accepts connections"

step restore
run pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$PGDATABASE" "$DUMP_FILE"
info "dump restored" key "$BACKUP_KEY"

step compare
STATS_FILE="${RUN_DIR}/restored-tables.json"
DIFF_FILE="${RUN_DIR}/differences.txt"
table_stats_sql >"${RUN_DIR}/stats.sql"
run stats_psql -f "${RUN_DIR}/stats.sql" -o "$STATS_FILE"
compare_stats_sql "$META_FILE" "$STATS_FILE" >"${RUN_DIR}/compare.sql"
run stats_psql -f "${RUN_DIR}/compare.sql" -o "$DIFF_FILE"
# Tables the backup does not know (created after it) stay untouched; report, don't fail.
EXTRA=$(awk -F'|' '$2 == "absent" {printf "%s%s", (n++ ? ", " : ""), $1}' "$DIFF_FILE")
if [[ -n $EXTRA ]]; then warn "tables not in the backup were left as they are" tables "$EXTRA"; fi
MISMATCHES=$(awk -F'|' '$2 != "absent" {printf "%s%s: rows %s in metadata, %s restored; checksum %s in metadata, %s restored", (n++ ? "; " : ""), $1, $2, $3, $4, $5}' "$DIFF_FILE")
if [[ -n $MISMATCHES ]]; then
    fail "restored data differs from the backup's metadata" key "$BACKUP_KEY" differences "$MISMATCHES"
fi
info "every table's row count and checksum match the backup" tables "$(grep -o '"rows"' "$STATS_FILE" | wc -l)"

step finish
info "restore complete" key "$BACKUP_KEY" target_host "$PGHOST" target_database "$PGDATABASE" \
    duration_seconds "$SECONDS"
