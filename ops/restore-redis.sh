#!/usr/bin/env bash
# shellcheck disable=SC2153 # REDIS_HOST comes from the environment (require_env checks it)
# restore-redis.sh — load a redis-backup snapshot into a running Redis.
#
# Usage: restore-redis.sh [--timestamp 20260101T020000Z | --key redis/.../dump.rdb]
#
# Environment:
#   REDIS_SENTINELS, REDIS_SENTINEL_MASTER   Sentinels naming the target (the current primary)
#   REDIS_HOST, REDIS_PORT (default 6379)     or the target itself
#   REDIS_USER, REDISCLI_AUTH                 the ACL user (unset or empty: `default`) and its
#                                             password on the target and the Sentinels: the
#                                             `default` user's (admin-password), as copying
#                                             keys in takes RESTORE, which no client user has
#   BACKUP_BUCKET, S3_ENDPOINT_URL, BACKUP_PREFIX (default: redis), WORK_DIR
#   BACKUP_TRUSTED_KEYS, BACKUP_ACCEPT_UNSIGNED   the signature check (backup-signing.sh)
#
# The signatures of latest.json and metadata.json and the snapshot's sha256 are checked before
# anything is loaded.
# The target keeps running (AOF stays on): the snapshot is loaded into a private redis-server
# started inside the job from the downloaded RDB, and every key is copied to the target with
# MIGRATE ... COPY REPLACE, which carries the value, its type and its remaining TTL. Keys of
# the target that are not in the snapshot are left alone. Running it twice gives the same
# result. A key counts as copied only when MIGRATE answered OK and the key still existed in the
# private server afterwards (MIGRATE answers NOKEY for keys that expired since the load, and OK
# for a batch in which only some were left); every key left in the private server at the end
# must have been copied, or the restore fails.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"
# shellcheck source=backup-signing.sh
source "$(dirname "$0")/backup-signing.sh"

step config
parse_restore_args restore-redis.sh "$@"
require_env BACKUP_BUCKET
PREFIX=${BACKUP_PREFIX:-redis}
BATCH=${RESTORE_BATCH_KEYS:-100}
make_run_dir

step resolve
resolve_backup "$PREFIX" dump.rdb

step download
SNAPSHOT_DIR="${RUN_DIR}/snapshot"
mkdir -p "$SNAPSHOT_DIR"
fetch_backup "$BACKUP_KEY" "$SNAPSHOT_DIR" "${RESTORE_WAIT_SECONDS:-0}"
check_backup_metadata "${SNAPSHOT_DIR}/metadata.json" "${SNAPSHOT_DIR}/dump.rdb" "$BACKUP_KEY" \
    "$EXPECTED_SHA256"
if ! redis-check-rdb "${SNAPSHOT_DIR}/dump.rdb" >"${RUN_DIR}/check.txt" 2>&1; then
    fail "redis-check-rdb rejects the snapshot" output "$(tail -c 1000 "${RUN_DIR}/check.txt")"
fi
info "the snapshot is intact" key "$BACKUP_KEY" sha256 "$META_SHA"

step load
SOCKET="${RUN_DIR}/redis.sock"
# The private server has no password: talk to it without the target's REDISCLI_AUTH.
loader_cli() { env -u REDISCLI_AUTH redis-cli -s "$SOCKET" "$@"; }
stop_loader() {
    if [[ -S $SOCKET ]]; then loader_cli shutdown nosave >/dev/null 2>&1 || true; fi
}
add_exit_hook stop_loader
run redis-server --port 0 --unixsocket "$SOCKET" --unixsocketperm 700 --dir "$SNAPSHOT_DIR" \
    --dbfilename dump.rdb --appendonly no --save '' --daemonize yes \
    --logfile "${RUN_DIR}/loader.log" --pidfile "${RUN_DIR}/loader.pid"
for _ in $(seq 1 300); do
    if [[ $(loader_cli ping 2>/dev/null) == PONG ]]; then break; fi
    sleep 0.2
done
LOADED=$(loader_cli dbsize 2>/dev/null) || fail "the snapshot did not load" log "$(tail -c 1000 "${RUN_DIR}/loader.log")"
info "snapshot loaded into a private server" keys "$LOADED"

step connect
redis_primary
info "the target is a primary" target "${REDIS_HOST}:${REDIS_PORT}"

step copy
PASSWORD_ARGS=()
if [[ -n ${REDISCLI_AUTH:-} && -n ${REDIS_USER:-} ]]; then
    PASSWORD_ARGS=(AUTH2 "$REDIS_USER" "$REDISCLI_AUTH")
elif [[ -n ${REDISCLI_AUTH:-} ]]; then
    PASSWORD_ARGS=(AUTH "$REDISCLI_AUTH")
fi
COPIED=0
GONE=0
migrate_batch() {
    local answer left
    answer=$(loader_cli MIGRATE "$REDIS_HOST" "$REDIS_PORT" "" 0 60000 COPY REPLACE \
        "${PASSWORD_ARGS[@]}" KEYS "$@" 2>&1) || true
    case $answer in
        OK)
            # Keys only disappear from the private server (they expire): one that exists now
            # existed when MIGRATE ran, so it was copied.
            left=$(loader_cli EXISTS "$@")
            ;;
        NOKEY) left=0 ;;
        *) fail "MIGRATE to the target failed" target "${REDIS_HOST}:${REDIS_PORT}" answer "$answer" ;;
    esac
    COPIED=$((COPIED + left))
    GONE=$((GONE + $# - left))
}
KEYS_FILE="${RUN_DIR}/keys.txt"
# One key name per line: names containing a newline are not supported (docs/data.md).
loader_cli --scan >"$KEYS_FILE"
mapfile -t ALL_KEYS <"$KEYS_FILE"
for ((i = 0; i < ${#ALL_KEYS[@]}; i += BATCH)); do
    migrate_batch "${ALL_KEYS[@]:i:BATCH}"
done
REMAINING=$(loader_cli dbsize)
if ((COPIED < REMAINING)); then
    fail "not every key was copied" loaded "$LOADED" copied "$COPIED" \
        in_snapshot_now "$REMAINING" not_found "$GONE" \
        hint "key names containing a newline cannot be restored by this script"
fi
if ((GONE > 0)); then
    warn "keys expired after the snapshot loaded and were not copied" keys "$GONE"
fi
info "keys copied to the target" keys "$COPIED" loaded "$LOADED" expired "$((LOADED - COPIED))" \
    target "${REDIS_HOST}:${REDIS_PORT}"
stop_loader

step finish
info "restore complete" key "$BACKUP_KEY" keys "$COPIED" duration_seconds "$SECONDS"
