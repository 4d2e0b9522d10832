#!/usr/bin/env bash
# backup-lib.sh — helpers shared by the backup, verify and restore scripts of this folder.
#
# Sourced, never run on its own. In the cluster every script of ops/ is mounted from one
# ConfigMap into the same directory, so `source "$(dirname "$0")/backup-lib.sh"` works there
# exactly as it does in a checkout.
#
# Conventions every script follows:
#   - `set -euo pipefail`; a failing command stops the script with a non-zero exit.
#   - One JSON object per line on stdout for each step (errors on stderr), so `kubectl logs`
#     and the log pipeline can parse them: {"ts","level","job","step","msg",...}.
#   - S3 through the AWS CLI; `S3_ENDPOINT_URL` points it at another S3 endpoint (tests).
#   - Object layout: <prefix>/<tier>/<UTC stamp>/<file> + metadata.json, and the pointer
#     <prefix>/latest.json = {"key","timestamp","sha256","size","metadata","signature"}; both
#     JSON files are signed (backup-signing.sh).
set -euo pipefail
set -o errtrace

: "${BACKUP_JOB:=$(basename "$0" .sh)}"
: "${WORK_DIR:=${TMPDIR:-/tmp}}"
CURRENT_STEP="start"
EXIT_HOOKS=()

# json_string VALUE: VALUE as a JSON string literal.
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
    printf '"%s"' "$s"
}

# log LEVEL MESSAGE [KEY VALUE]...: one JSON line; integer values are written as numbers.
log() {
    local level=$1 message=$2 line key value
    shift 2
    line="{\"ts\":$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),\"level\":$(json_string "$level")"
    line+=",\"job\":$(json_string "$BACKUP_JOB"),\"step\":$(json_string "$CURRENT_STEP")"
    line+=",\"msg\":$(json_string "$message")"
    while (($# >= 2)); do
        key=$1 value=$2
        shift 2
        if [[ $value =~ ^-?(0|[1-9][0-9]{0,15})$ ]]; then
            line+=",$(json_string "$key"):$value"
        else
            line+=",$(json_string "$key"):$(json_string "$value")"
        fi
    done
    line+="}"
    if [[ $level == error ]]; then
        printf '%s\n' "$line" >&2
    else
        printf '%s\n' "$line"
    fi
}

# step NAME: the step that the following log lines (and any failure) belong to.
step() { CURRENT_STEP=$1; }
info() { log info "$@"; }
warn() { log warning "$@"; }
# fail MESSAGE [KEY VALUE]...: log an error for the current step and exit 1.
fail() {
    log error "$@"
    exit 1
}

on_error() {
    local status=$1 line=$2 command=$3
    log error "command failed: ${command}" exit_code "$status" line "$line"
    exit "$status"
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

add_exit_hook() { EXIT_HOOKS+=("$1"); }
# Last added runs first: a server started in RUN_DIR (its socket, its pid file) is stopped
# before RUN_DIR is removed.
run_exit_hooks() {
    local i
    for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        "${EXIT_HOOKS[i]}" || true
    done
}
trap run_exit_hooks EXIT

# require_env NAME...: fail unless every variable is set and non-empty.
require_env() {
    local name missing=()
    for name in "$@"; do
        if [[ -z ${!name:-} ]]; then missing+=("$name"); fi
    done
    if ((${#missing[@]} > 0)); then
        fail "missing required environment: ${missing[*]}"
    fi
}

# skip_on_standby: a standby (DR) stack's data stores are empty until activation and its bucket
# holds production's replicated backups, so its backup jobs must not write: log and exit 0.
skip_on_standby() {
    if [[ ${BACKUP_STANDBY:-false} == true ]]; then
        info "standby stack: this region's data stores are not backed up until DR activation; production's backups replicate here"
        exit 0
    fi
}

# make_run_dir: a private scratch directory for this run, removed on exit.
make_run_dir() {
    mkdir -p "$WORK_DIR"
    RUN_DIR=$(mktemp -d "${WORK_DIR%/}/${BACKUP_JOB}.XXXXXX")
    add_exit_hook remove_run_dir
}
remove_run_dir() { rm -rf "${RUN_DIR:?}"; }

# run COMMAND...: run it with stderr captured; on failure log that output and exit 1.
run() {
    local errfile status=0 detail
    errfile=$(mktemp "${RUN_DIR:-${WORK_DIR%/}}/stderr.XXXXXX")
    "$@" 2>"$errfile" || status=$?
    if ((status != 0)); then
        detail=$(tail -c 2000 "$errfile")
        rm -f "$errfile"
        fail "$1 exited with status ${status}" exit_code "$status" stderr "$detail"
    fi
    rm -f "$errfile"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# now_stamps: sets EPOCH, STAMP (20260101T020000Z) and ISO_TIME (2026-01-01T02:00:00Z).
# shellcheck disable=SC2034 # the globals are read by the sourcing script
now_stamps() {
    EPOCH=$(date -u +%s)
    STAMP=$(date -u -d "@${EPOCH}" +%Y%m%dT%H%M%SZ)
    ISO_TIME=$(date -u -d "@${EPOCH}" +%Y-%m-%dT%H:%M:%SZ)
}

# --- retention tiers -------------------------------------------------------------------------
# A tier rule is a 5-field cron expression whose fields are "*" or comma-separated integers
# (validated by config/backups.ts). The minute is ignored (a job may start late); the hour too
# when TIER_IGNORE_HOUR=true (jobs that run once a day).

cron_field_matches() {
    local field=$1 value=$2 item items
    if [[ $field == "*" ]]; then return 0; fi
    IFS=, read -ra items <<<"$field"
    for item in "${items[@]}"; do
        if ((10#$item == 10#$value)); then return 0; fi
    done
    return 1
}

# schedule_matches "M H DOM MON DOW" EPOCH
schedule_matches() {
    local fields hour dom month dow
    read -ra fields <<<"$1"
    read -r hour dom month dow < <(date -u -d "@$2" '+%H %d %m %w')
    if [[ ${TIER_IGNORE_HOUR:-false} != true ]]; then
        cron_field_matches "${fields[1]}" "$hour" || return 1
    fi
    cron_field_matches "${fields[2]}" "$dom" || return 1
    cron_field_matches "${fields[3]}" "$month" || return 1
    # cron accepts 7 for Sunday as well as 0
    cron_field_matches "${fields[4]//7/0}" "$dow"
}

# backup_tier EPOCH: monthly, weekly, daily or hourly (BACKUP_TIER overrides).
backup_tier() {
    if [[ -n ${BACKUP_TIER:-} ]]; then
        case $BACKUP_TIER in
            hourly | daily | weekly | monthly) printf '%s\n' "$BACKUP_TIER" ;;
            *) fail "BACKUP_TIER must be hourly, daily, weekly or monthly" got "$BACKUP_TIER" ;;
        esac
        return 0
    fi
    if schedule_matches "${TIER_MONTHLY_SCHEDULE:-0 4 1 * *}" "$1"; then
        echo monthly
    elif schedule_matches "${TIER_WEEKLY_SCHEDULE:-0 3 * * 0}" "$1"; then
        echo weekly
    elif schedule_matches "${TIER_DAILY_SCHEDULE:-0 2 * * *}" "$1"; then
        echo daily
    else
        echo hourly
    fi
}

# --- S3 --------------------------------------------------------------------------------------

s3() {
    local args=()
    if [[ -n ${S3_ENDPOINT_URL:-} ]]; then args+=(--endpoint-url "$S3_ENDPOINT_URL"); fi
    aws "${args[@]}" "$@"
}

# s3_upload FILE KEY [CONTENT_TYPE]: upload one file (the pointer).
s3_upload() {
    run s3 s3 cp "$1" "s3://${BACKUP_BUCKET}/$2" --only-show-errors --no-progress \
        --content-type "${3:-application/octet-stream}"
}

# s3_upload_backup DIR PREFIX MAIN_FILE: upload every file of DIR (the backup and its
# metadata.json) under PREFIX/ in one command, then read MAIN_FILE's size back from S3.
s3_upload_backup() {
    local dir=$1 prefix=$2 main=$3 size remote errfile="${RUN_DIR}/upload.err"
    if ! s3 s3 cp "$dir" "s3://${BACKUP_BUCKET}/${prefix}/" --recursive --only-show-errors \
        --no-progress 2>"$errfile"; then
        fail "the upload to S3 failed; the latest pointer was not moved" bucket "$BACKUP_BUCKET" \
            key "${prefix}/${main}" stderr "$(tail -c 2000 "$errfile")"
    fi
    size=$(size_of "${dir}/${main}")
    remote=$(s3 s3api head-object --bucket "$BACKUP_BUCKET" --key "${prefix}/${main}" \
        --query ContentLength --output text 2>/dev/null) ||
        fail "uploaded object is not readable back" key "${prefix}/${main}"
    if [[ $remote != "$size" ]]; then
        fail "uploaded object has the wrong size" key "${prefix}/${main}" local_size "$size" remote_size "$remote"
    fi
}

# fetch_backup KEY DIR [WAIT_SECONDS]: download the backup object and the metadata.json beside
# it into DIR in one command. Replication may land a pointer before the object it names, so
# a missing object is retried until WAIT_SECONDS have passed.
fetch_backup() {
    local key=$1 dir=$2 wait=${3:-0} name deadline
    name=$(basename "$key")
    deadline=$((SECONDS + wait))
    while :; do
        run s3 s3 cp "s3://${BACKUP_BUCKET}/$(dirname "$key")/" "$dir" --recursive \
            --only-show-errors --no-progress --exclude "*" --include "$name" --include metadata.json
        if [[ -f ${dir}/${name} && -f ${dir}/metadata.json ]]; then return 0; fi
        if ((SECONDS >= deadline)); then
            fail "backup object or its metadata.json not found" key "$key" waited_seconds "$wait"
        fi
        sleep 10
    done
}

# publish_pointer PREFIX KEY ISO_TIME SHA256 SIZE METADATA_KEY: sign and write
# <prefix>/latest.json (sign_json and check_own_signature: backup-signing.sh).
publish_pointer() {
    local file="${RUN_DIR}/latest.json"
    printf '{"key":"%s","timestamp":"%s","sha256":"%s","size":%s,"metadata":"%s"}\n' \
        "$2" "$3" "$4" "$5" "$6" >"$file"
    sign_json "$file"
    check_own_signature "$file" "the new latest pointer"
    s3_upload "$file" "$1/latest.json" application/json
}

# json_get FILE FIELD: a top-level string or integer field of a one-line JSON object written
# by these scripts (pointer files). Prints nothing when the field is absent.
json_get() {
    local value
    value=$(sed -nE 's/.*"'"$2"'":"([^"]*)".*/\1/p' "$1" | head -n1)
    if [[ -z $value ]]; then
        value=$(sed -nE 's/.*"'"$2"'":(-?[0-9]+).*/\1/p' "$1" | head -n1)
    fi
    printf '%s' "$value"
}

# parse_restore_args SCRIPT_NAME ARG...: the restore scripts' options, `--timestamp STAMP` and
# `--key KEY`, into BACKUP_TIMESTAMP and BACKUP_KEY (read by resolve_backup).
parse_restore_args() {
    local script=$1
    shift
    while (($# > 0)); do
        case $1 in
            --timestamp)
                BACKUP_TIMESTAMP=${2:-}
                shift 2
                ;;
            --key)
                BACKUP_KEY=${2:-}
                shift 2
                ;;
            *) fail "unknown argument; usage: ${script} [--timestamp STAMP | --key KEY]" got "$1" ;;
        esac
    done
}

# shellcheck disable=SC2034 # EXPECTED_SHA256 is read by the sourcing script
# resolve_backup PREFIX FILE_NAME: sets BACKUP_KEY and EXPECTED_SHA256 from BACKUP_KEY,
# BACKUP_TIMESTAMP (a UTC stamp such as 20260101T020000Z, searched in every tier) or the
# latest pointer.
resolve_backup() {
    local prefix=$1 file_name=$2 pointer="${RUN_DIR}/pointer.json" candidate
    EXPECTED_SHA256=""
    if [[ -n ${BACKUP_KEY:-} ]]; then
        info "using the requested backup" key "$BACKUP_KEY"
        return 0
    fi
    if [[ -n ${BACKUP_TIMESTAMP:-} ]]; then
        if [[ ! $BACKUP_TIMESTAMP =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then
            fail "BACKUP_TIMESTAMP must look like 20260101T020000Z" got "$BACKUP_TIMESTAMP"
        fi
        # One listing of the prefix; the timestamp may be in any tier.
        candidate=$(s3 s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "${prefix}/" \
            --query 'Contents[].Key' --output text 2>"${RUN_DIR}/list.err" | tr '\t' '\n' |
            grep -x -E "${prefix}/(hourly|daily|weekly|monthly)/${BACKUP_TIMESTAMP}/${file_name}" |
            head -n1) || true
        if [[ -n $candidate ]]; then
            BACKUP_KEY=$candidate
            info "found the backup for the requested timestamp" key "$BACKUP_KEY"
            return 0
        fi
        fail "no backup with this timestamp in any tier" timestamp "$BACKUP_TIMESTAMP" prefix "$prefix" \
            stderr "$(tail -c 1000 "${RUN_DIR}/list.err")"
    fi
    if ! s3 s3 cp "s3://${BACKUP_BUCKET}/${prefix}/latest.json" "$pointer" \
        --only-show-errors --no-progress 2>"${RUN_DIR}/pointer.err"; then
        fail "cannot read the latest pointer" key "${prefix}/latest.json" \
            stderr "$(tail -c 1000 "${RUN_DIR}/pointer.err")"
    fi
    BACKUP_KEY=$(json_get "$pointer" key)
    EXPECTED_SHA256=$(json_get "$pointer" sha256)
    if [[ -z $BACKUP_KEY ]]; then
        fail "the latest pointer has no key" pointer "$(head -c 500 "$pointer")"
    fi
    # The pointer is trusted only once its signature verifies (backup-signing.sh, which every
    # caller of resolve_backup sources).
    verify_pointer "$pointer" "$prefix" "$file_name"
    info "resolved the latest backup" key "$BACKUP_KEY" timestamp "$(json_get "$pointer" timestamp)"
}

# check_sha256 FILE EXPECTED WHAT: fail loudly when the file's digest differs.
check_sha256() {
    local actual
    actual=$(sha256_of "$1")
    if [[ -n $2 && $actual != "$2" ]]; then
        fail "$3 is corrupted: sha256 differs from the recorded value" expected "$2" actual "$actual" \
            size "$(size_of "$1")"
    fi
}

# --- Redis -----------------------------------------------------------------------------------

# redis_cli ARGS...: redis-cli as the ACL user REDIS_USER (the `default` user when unset or
# empty) with the password in REDISCLI_AUTH, never on the command line. (Under `timeout`,
# which runs programs, not functions, the same options are spelled out.)
redis_cli() {
    redis-cli --no-auth-warning ${REDIS_USER:+--user "$REDIS_USER"} "$@"
}

# sentinel_primary HOST:PORT: the host:port that Sentinel names as the primary of
# REDIS_SENTINEL_MASTER (default mcp-cache); non-zero when it does not answer with one.
sentinel_primary() {
    local answer lines
    answer=$(timeout "${SENTINEL_TIMEOUT_SECONDS:-5}" redis-cli --no-auth-warning \
        ${REDIS_USER:+--user "$REDIS_USER"} -h "${1%:*}" -p "${1##*:}" \
        sentinel get-master-addr-by-name "${REDIS_SENTINEL_MASTER:-mcp-cache}" 2>&1) ||
        return 1
    mapfile -t lines <<<"$answer"
    if ((${#lines[@]} != 2)) || [[ ! ${lines[1]} =~ ^[0-9]+$ || -z ${lines[0]} ]]; then return 1; fi
    printf '%s:%s\n' "${lines[0]}" "${lines[1]}"
}

# redis_primary: point REDIS_HOST and REDIS_PORT at the current primary, which must answer PING. With REDIS_SENTINELS
# (space-separated host:port) the first Sentinel that answers names it and the server must say
# it is a master (ROLE); without, REDIS_HOST/REDIS_PORT are used as given.
redis_primary() {
    local sentinel primary="" role pong
    if [[ -n ${REDIS_SENTINELS:-} ]]; then
        for sentinel in $REDIS_SENTINELS; do
            if primary=$(sentinel_primary "$sentinel"); then break; fi
        done
        if [[ -z $primary ]]; then
            fail "no Sentinel names the Redis primary" sentinels "$REDIS_SENTINELS" \
                master_name "${REDIS_SENTINEL_MASTER:-mcp-cache}"
        fi
        REDIS_HOST=${primary%:*}
        REDIS_PORT=${primary##*:}
        info "Sentinel names the primary" sentinel "$sentinel" primary "$primary"
    fi
    require_env REDIS_HOST
    REDIS_PORT=${REDIS_PORT:-6379}
    pong=$(redis_cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1) || true
    if [[ $pong != PONG ]]; then
        fail "Redis does not answer PING" host "$REDIS_HOST" port "$REDIS_PORT" answer "$pong"
    fi
    role=$(redis_cli -h "$REDIS_HOST" -p "$REDIS_PORT" role 2>&1 | head -n1) || true
    if [[ $role != master ]]; then
        fail "the Redis server is not a primary" host "$REDIS_HOST" port "$REDIS_PORT" role "$role"
    fi
}

# --- PostgreSQL ------------------------------------------------------------------------------

# stats_psql ARGS...: psql with session settings that make row text stable for checksums,
# whatever the server's defaults.
stats_psql() {
    PGOPTIONS="${PGOPTIONS:-} -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex" \
        psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# table_stats_sql: SQL printing one JSON object {"schema.table": {"rows", "checksum"}} for
# every user table, plus "pg_largeobject" for large objects. The checksum is an
# order-independent sum of per-row md5 prefixes: equal data gives equal sums without sorting.
table_stats_sql() {
    cat <<'SQL'
SELECT 'SELECT coalesce(json_object_agg(t, s ORDER BY t), ''{}''::json) FROM ('
    || coalesce(string_agg(format(
        'SELECT %L AS t, json_build_object(''rows'', count(*), ''checksum'', '
        || 'coalesce(sum((''x'' || substr(md5(ROW(backup_row_.*)::text), 1, 16))::bit(64)::bigint::numeric), 0)::text) AS s '
        || 'FROM ONLY %I.%I AS backup_row_',
        n.nspname || '.' || c.relname, n.nspname, c.relname), ' UNION ALL '
        ORDER BY n.nspname, c.relname) || ' UNION ALL ', '')
    || 'SELECT ''pg_largeobject'', json_build_object(''rows'', count(*), ''checksum'', '
    || 'coalesce(sum((''x'' || substr(md5(m.oid::text || '':'' || md5(lo_get(m.oid))), 1, 16))::bit(64)::bigint::numeric), 0)::text) '
    || 'FROM pg_largeobject_metadata AS m) AS stats'
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp%'
\gexec
SQL
}

# compare_stats_sql EXPECTED_FILE ACTUAL_FILE: SQL listing every table whose rows or checksum
# differ, one "table|expected rows|actual rows|expected checksum|actual checksum" line each.
# EXPECTED_FILE is a metadata.json (its "tables"), ACTUAL_FILE a bare stats object.
compare_stats_sql() {
    cat <<SQL
\\set expected \`cat '$1'\`
\\set actual \`cat '$2'\`
WITH expected AS (
    SELECT key AS t, value->>'rows' AS rows, value->>'checksum' AS checksum
    FROM json_each((:'expected')::json->'tables')
), actual AS (
    SELECT key AS t, value->>'rows' AS rows, value->>'checksum' AS checksum
    FROM json_each((:'actual')::json)
)
SELECT coalesce(e.t, a.t), coalesce(e.rows, 'absent'), coalesce(a.rows, 'absent'),
       coalesce(e.checksum, 'absent'), coalesce(a.checksum, 'absent')
FROM expected AS e
FULL JOIN actual AS a ON a.t = e.t
WHERE e.rows IS DISTINCT FROM a.rows OR e.checksum IS DISTINCT FROM a.checksum
ORDER BY 1;
SQL
}

# wait_for_postgres SECONDS: until the server named by the PG* variables accepts connections;
# 0 waits without a deadline (logging every 5 minutes).
wait_for_postgres() {
    local deadline=$((SECONDS + $1)) next_log=$((SECONDS + 300))
    until pg_isready -q; do
        if (($1 == 0 && SECONDS >= next_log)); then
            info "still waiting for PostgreSQL to accept connections" host "${PGHOST:-local}"
            next_log=$((SECONDS + 300))
        fi
        if (($1 > 0 && SECONDS >= deadline)); then
            fail "PostgreSQL is not accepting connections" host "${PGHOST:-local}" waited_seconds "$1"
        fi
        sleep 2
    done
}
