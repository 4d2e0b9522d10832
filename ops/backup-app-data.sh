#!/usr/bin/env bash
# backup-app-data.sh — the `app-data-backup` CronJob: archive application data to S3.
#
# Environment:
#   APP_DATA_DIR     directory to archive (export-app-config.sh writes the namespaces' objects
#                    here in the CronJob)                                             (required)
#   APP_DATA_PATHS   further space-separated directories to include              (default: none)
#   BACKUP_BUCKET, S3_ENDPOINT_URL, BACKUP_PREFIX (default: app-data), tier variables, WORK_DIR,
#   the signing keys (backup-signing.sh)
#
# Objects: <prefix>/<tier>/<UTC stamp>/app-data.tar.gz + metadata.json (size, sha256, entry
# count), pointer <prefix>/latest.json. The archive is listed back before upload.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
skip_on_standby
require_env APP_DATA_DIR BACKUP_BUCKET
PREFIX=${BACKUP_PREFIX:-app-data}
make_run_dir
now_stamps
TIER=$(backup_tier "$EPOCH")
BASE_KEY="${PREFIX}/${TIER}/${STAMP}"
read -ra EXTRA_PATHS <<<"${APP_DATA_PATHS:-}"
for path in "$APP_DATA_DIR" "${EXTRA_PATHS[@]}"; do
    if [[ ! -d $path ]]; then fail "not a directory" path "$path"; fi
done
info "starting backup" directory "$APP_DATA_DIR" extra_paths "${APP_DATA_PATHS:-}" tier "$TIER" \
    key "${BASE_KEY}/app-data.tar.gz"

step archive
UPLOAD_DIR="${RUN_DIR}/upload"
mkdir -p "$UPLOAD_DIR"
ARCHIVE="${UPLOAD_DIR}/app-data.tar.gz"
SOURCES=(-C "$APP_DATA_DIR" .)
for path in "${EXTRA_PATHS[@]}"; do SOURCES+=(-C "$(dirname "$path")" "$(basename "$path")"); done
run tar --create --gzip --file "$ARCHIVE" "${SOURCES[@]}"
if ! tar -tzf "$ARCHIVE" >"${RUN_DIR}/entries.txt" 2>"${RUN_DIR}/tar.err"; then
    fail "the archive does not read back" stderr "$(tail -c 1000 "${RUN_DIR}/tar.err")"
fi
ENTRIES=$(wc -l <"${RUN_DIR}/entries.txt")
info "archive written" size "$(size_of "$ARCHIVE")" entries "$ENTRIES"

step metadata
SHA256=$(sha256_of "$ARCHIVE")
SIZE=$(size_of "$ARCHIVE")
METADATA_FILE="${UPLOAD_DIR}/metadata.json"
printf '{"format":"tar+gzip","timestamp":"%s","tier":"%s","key":"%s","size":%s,"sha256":"%s","entries":%s}\n' \
    "$ISO_TIME" "$TIER" "${BASE_KEY}/app-data.tar.gz" "$SIZE" "$SHA256" "$ENTRIES" >"$METADATA_FILE"
sign_metadata "$METADATA_FILE"
info "metadata written" sha256 "$SHA256" size "$SIZE"

step upload
s3_upload_backup "$UPLOAD_DIR" "$BASE_KEY" app-data.tar.gz
info "uploaded" bucket "$BACKUP_BUCKET" key "${BASE_KEY}/app-data.tar.gz"

step pointer
publish_pointer "$PREFIX" "${BASE_KEY}/app-data.tar.gz" "$ISO_TIME" "$SHA256" "$SIZE" "${BASE_KEY}/metadata.json"
info "latest pointer moved" pointer "${PREFIX}/latest.json"

step finish
info "backup complete" key "${BASE_KEY}/app-data.tar.gz" tier "$TIER" size "$SIZE" sha256 "$SHA256" \
    entries "$ENTRIES" duration_seconds "$SECONDS"
