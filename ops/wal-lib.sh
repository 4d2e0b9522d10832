#!/usr/bin/env bash
# wal-lib.sh — helpers of the continuous WAL archive scripts (wal-*.sh, postgres-start.sh,
# postgres-pitr.sh). Sourced, never run on its own; it sources backup-lib.sh for the JSON log
# lines and the error handling every ops/ script shares.
#
# The archive is barman-cloud's layout under WAL_ARCHIVE_URL (docs/data.md, "WAL archive"):
#   <url>/<server>/wals/<timeline+log>/<segment>.gz   continuous WAL, gzip (CRC-checked)
#   <url>/<server>/base/<backup id>/                  physical base backups
#
# Environment:
#   WAL_ARCHIVE_URL    s3://<bucket>/<prefix> of the archive                        (required)
#   WAL_SERVER_NAME    the server's folder in the archive          (default: postgres-primary)
#   S3_ENDPOINT_URL    another S3 endpoint (tests: a loopback S3 server)
#   AWS_*              credentials and region, as boto3 reads them (IRSA in the cluster)
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"

: "${WAL_SERVER_NAME:=postgres-primary}"

# barman_cloud TOOL ARG...: a barman-cloud command against the archive's endpoint.
barman_cloud() {
    local tool=$1
    shift
    local endpoint=()
    if [[ -n ${S3_ENDPOINT_URL:-} ]]; then endpoint=(--endpoint-url "$S3_ENDPOINT_URL"); fi
    "barman-cloud-${tool}" "${endpoint[@]}" "$@"
}

require_archive() {
    require_env WAL_ARCHIVE_URL
    if [[ ! $WAL_ARCHIVE_URL =~ ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$ ]]; then
        fail "WAL_ARCHIVE_URL must be s3://<bucket>/<prefix>" value "$WAL_ARCHIVE_URL"
    fi
}

# base_backup_before [EPOCH]: the id of the newest finished base backup (ending before EPOCH
# when given); empty when there is none.
base_backup_before() {
    local before=${1:-}
    local listing
    listing=$(barman_cloud backup-list --format json "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" 2>&1) ||
        fail "cannot list the base backups" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$listing")"
    BEFORE=$before python3 -c '
import json, os, sys, datetime
before = os.environ["BEFORE"]
ids = []
for b in json.load(sys.stdin)["backups_list"]:
    if b.get("status") != "DONE":
        continue
    end = datetime.datetime.strptime(b["end_time"], "%a %b %d %H:%M:%S %Y").replace(tzinfo=datetime.timezone.utc)
    if before and end.timestamp() >= float(before):
        continue
    ids.append(b["backup_id"])
print(max(ids) if ids else "")
' <<<"$listing"
}

# barman_python: the interpreter barman-cloud runs with (it has boto3, whichever way the image
# installed barman).
barman_python() {
    local launcher
    launcher=$(command -v barman-cloud-wal-restore) || fail "barman-cloud-wal-restore is not on PATH"
    head -n 1 "$launcher" | sed -e 's/^#![[:space:]]*//'
}

# newest_archived_wal: the newest WAL segment name in the archive (highest timeline), or empty.
newest_archived_wal() {
    local python
    python=$(barman_python)
    # shellcheck disable=SC2086 # the shebang may carry options
    $python - <<'PY'
import os, re, sys
import boto3
url = os.environ["WAL_ARCHIVE_URL"][len("s3://"):]
bucket, _, prefix = url.partition("/")
prefix = "/".join(p for p in [prefix.strip("/"), os.environ.get("WAL_SERVER_NAME", "postgres-primary"), "wals"] if p) + "/"
s3 = boto3.client("s3", endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)
newest = ""
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for item in page.get("Contents", []):
        name = item["Key"].rsplit("/", 1)[-1].split(".")[0]
        if re.fullmatch(r"[0-9A-F]{24}", name) and item["Key"].rsplit("/", 1)[-1] in (name, name + ".gz", name + ".bz2"):
            newest = max(newest, name)
print(newest)
PY
}

# last_segment_before_lsn TIMELINE LSN: the segment holding the byte just before LSN, i.e. the
# newest segment a server has replayed into when its replay position is LSN (a position on a
# segment's first byte has not replayed anything of that segment yet).
last_segment_before_lsn() {
    local timeline=$1 lsn=$2 position segment
    position=$(((16#${lsn%/*} << 32) + 16#${lsn#*/} - 1))
    segment=$((position >> 24))
    printf '%08X%08X%08X\n' "$timeline" $((segment >> 8)) $((segment & 255))
}

# segment_of_lsn TIMELINE LSN: the WAL segment name holding LSN (16 MiB segments).
segment_of_lsn() {
    local timeline=$1 lsn=$2 high low
    high=$((16#${lsn%/*}))
    low=$((16#${lsn#*/}))
    printf '%08X%08X%08X\n' "$timeline" "$high" $((low >> 24))
}
