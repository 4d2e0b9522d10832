#!/usr/bin/env bash
# shellcheck disable=SC2153 # REDIS_HOST comes from the environment (require_env checks it)
# backup-redis.sh — the `redis-backup` CronJob: an RDB snapshot of Redis to S3.
#
# Environment:
#   REDIS_SENTINELS (space-separated host:port), REDIS_SENTINEL_MASTER (default mcp-cache): the
#   Sentinels that name the current primary; or REDIS_HOST, REDIS_PORT (default 6379) directly
#   REDIS_USER (the ACL user, `backup` in the job; unset: `default`), REDISCLI_AUTH (its
#   password on the servers and Sentinels; redis-cli reads it)
#   BACKUP_BUCKET, S3_ENDPOINT_URL, BACKUP_PREFIX (default: redis), tier variables as for
#   backup-postgres.sh, WORK_DIR; the signing keys (backup-signing.sh).
#
# `redis-cli --rdb` asks the primary (a replica may lag it) for a fresh snapshot over the
# replication protocol (no file access to the Redis pod needed). The snapshot is checked with
# redis-check-rdb before upload; metadata.json records its size, sha256, the server it came from
# and the key count redis-check-rdb read.
# Objects: <prefix>/<tier>/<UTC stamp>/dump.rdb + metadata.json, pointer <prefix>/latest.json.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
skip_on_standby
require_env BACKUP_BUCKET
PREFIX=${BACKUP_PREFIX:-redis}
make_run_dir
now_stamps
TIER=$(backup_tier "$EPOCH")
BASE_KEY="${PREFIX}/${TIER}/${STAMP}"
info "starting backup" tier "$TIER" key "${BASE_KEY}/dump.rdb"

step connect
redis_primary
REDIS_VERSION=$(redis_cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server |
    sed -nE 's/^redis_version:([^[:space:]]+).*/\1/p')
info "connected to the primary" host "$REDIS_HOST" port "$REDIS_PORT" redis_version "$REDIS_VERSION"

step snapshot
UPLOAD_DIR="${RUN_DIR}/upload"
mkdir -p "$UPLOAD_DIR"
RDB_FILE="${UPLOAD_DIR}/dump.rdb"
run redis_cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$RDB_FILE" >/dev/null
CHECK_REPORT="${RUN_DIR}/check.txt"
if ! redis-check-rdb "$RDB_FILE" >"$CHECK_REPORT" 2>&1; then
    fail "redis-check-rdb rejects the snapshot" output "$(tail -c 1000 "$CHECK_REPORT")"
fi
KEYS=$(sed -nE 's/.*\[info\] ([0-9]+) keys read.*/\1/p' "$CHECK_REPORT")
EXPIRES=$(sed -nE 's/.*\[info\] ([0-9]+) expires.*/\1/p' "$CHECK_REPORT")
info "snapshot taken and checked" size "$(size_of "$RDB_FILE")" keys "${KEYS:-0}" expires "${EXPIRES:-0}"

step metadata
SHA256=$(sha256_of "$RDB_FILE")
SIZE=$(size_of "$RDB_FILE")
METADATA_FILE="${UPLOAD_DIR}/metadata.json"
printf '{"format":"redis-rdb","timestamp":"%s","tier":"%s","key":"%s","size":%s,"sha256":"%s","redis_version":%s,"source":%s,"keys":%s,"expires":%s}\n' \
    "$ISO_TIME" "$TIER" "${BASE_KEY}/dump.rdb" "$SIZE" "$SHA256" "$(json_string "$REDIS_VERSION")" \
    "$(json_string "${REDIS_HOST}:${REDIS_PORT}")" \
    "${KEYS:-0}" "${EXPIRES:-0}" >"$METADATA_FILE"
sign_metadata "$METADATA_FILE"
info "metadata written" sha256 "$SHA256" size "$SIZE"

step upload
s3_upload_backup "$UPLOAD_DIR" "$BASE_KEY" dump.rdb
info "uploaded" bucket "$BACKUP_BUCKET" key "${BASE_KEY}/dump.rdb"

step pointer
publish_pointer "$PREFIX" "${BASE_KEY}/dump.rdb" "$ISO_TIME" "$SHA256" "$SIZE" "${BASE_KEY}/metadata.json"
info "latest pointer moved" pointer "${PREFIX}/latest.json"

step finish
info "backup complete" key "${BASE_KEY}/dump.rdb" tier "$TIER" size "$SIZE" sha256 "$SHA256" keys "${KEYS:-0}" \
    duration_seconds "$SECONDS"
