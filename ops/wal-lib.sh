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

# archive_python MODE: the archive read with boto3 (barman-cloud's own interpreter), beyond
# what barman-cloud's tools list:
#   newest    "<newest segment or -> <newest timeline>": the newest WAL segment (highest
#             timeline first) and the highest timeline any segment or history file shows
#   last-gap  the last segment of the newest recorded gap (see wal-archive.sh), or empty
#   put-gap   uploads the JSON on stdin as the gap record <server>/gaps/<GAP_NAME>.json
archive_python() {
    local python
    python=$(barman_python)
    # shellcheck disable=SC2086 # the shebang may carry options
    MODE=$1 $python -c '
import json, os, re, sys
import boto3
url = os.environ["WAL_ARCHIVE_URL"][len("s3://"):]
bucket, _, prefix = url.partition("/")
base = "/".join(p for p in [prefix.strip("/"), os.environ.get("WAL_SERVER_NAME", "postgres-primary")] if p) + "/"
s3 = boto3.client("s3", endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None)
def keys(sub):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base + sub):
        for item in page.get("Contents", []):
            yield item["Key"].rsplit("/", 1)[-1]
mode = os.environ["MODE"]
if mode == "newest":
    newest, timeline = "", 0
    for name in keys("wals/"):
        history = re.fullmatch(r"([0-9A-F]{8})\.history(\.gz|\.bz2)?", name)
        if history:
            timeline = max(timeline, int(history[1], 16))
            continue
        segment = name.split(".")[0]
        if re.fullmatch(r"[0-9A-F]{24}", segment) and name in (segment, segment + ".gz", segment + ".bz2"):
            newest = max(newest, segment)
            timeline = max(timeline, int(segment[:8], 16))
    print(newest or "-", timeline)
elif mode == "last-gap":
    last = ""
    for name in keys("gaps/"):
        gap = re.fullmatch(r"[0-9A-F]{24}-([0-9A-F]{24})\.json", name)
        if gap:
            last = max(last, gap[1])
    print(last)
elif mode == "put-gap":
    s3.put_object(Bucket=bucket, Key=base + "gaps/" + os.environ["GAP_NAME"] + ".json",
                  Body=sys.stdin.read().encode(), ContentType="application/json")
'
}

# newest_archived_wal: the newest WAL segment name in the archive (highest timeline), or empty.
newest_archived_wal() {
    local facts
    facts=$(archive_python newest)
    if [[ ${facts%% *} == - ]]; then echo ""; else echo "${facts%% *}"; fi
}

# usable_base_backup: the id of the newest finished base backup a new standby can start from,
# or empty: it must be on the archive's newest timeline (an older one would need WAL of the
# timelines between, which another stack archived elsewhere) and begin after the newest gap
# wal-archive.sh recorded (WAL before a gap cannot be replayed past it).
usable_base_backup() {
    local facts timeline last_gap listing
    facts=$(archive_python newest) || return 1
    timeline=${facts##* }
    last_gap=$(archive_python last-gap) || return 1
    listing=$(barman_cloud backup-list --format json "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" 2>&1) || {
        printf '%s\n' "$listing" >&2
        return 1
    }
    TIMELINE=$timeline LAST_GAP=$last_gap python3 -c '
import json, os, sys
timeline, last_gap = int(os.environ["TIMELINE"]), os.environ["LAST_GAP"]
ids = [b["backup_id"] for b in json.load(sys.stdin)["backups_list"]
       if b.get("status") == "DONE" and int(b.get("timeline") or 0) >= timeline
       and (not last_gap or (b.get("begin_wal") or "")[8:] > last_gap[8:])]
print(max(ids) if ids else "")
' <<<"$listing"
}

# base_backup_facts: "<timeline> <end epoch> <begin WAL>" of the newest finished base backup,
# or empty.
base_backup_facts() {
    local listing
    listing=$(barman_cloud backup-list --format json "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" 2>&1) ||
        fail "cannot list the base backups" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$listing")"
    python3 -c '
import json, sys, datetime
done = [b for b in json.load(sys.stdin)["backups_list"] if b.get("status") == "DONE"]
if done:
    b = max(done, key=lambda b: b["backup_id"])
    end = datetime.datetime.strptime(b["end_time"], "%a %b %d %H:%M:%S %Y").replace(tzinfo=datetime.timezone.utc)
    print(int(b.get("timeline") or 0), int(end.timestamp()), b.get("begin_wal") or "-")
' <<<"$listing"
}

# wal_state_dir: where the archive scripts keep state about this server: beside PGDATA on the
# data volume, never inside it (a base backup copies PGDATA, and a copy restored elsewhere
# must not inherit this server's state). archive_command runs in PGDATA.
wal_state_dir() { dirname "${PGDATA:-$PWD}"; }

# server_lineage: "<current timeline> <parent timeline> <switch LSN>" of the server the PG*
# variables reach, read from its newest timeline history file; "1 0 -" on timeline 1 (a
# server that was never promoted).
server_lineage() {
    local current history
    current=$(psql -X -At -v ON_ERROR_STOP=1 -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')
    if [[ $current == 00000001 ]]; then
        echo "1 0 -"
        return
    fi
    history=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT pg_read_file('pg_wal/${current}.history')")
    # The last line of the history: <parent timeline> <switch LSN> <reason>.
    awk -v current=$((16#$current)) '/^[0-9]/ { parent = $1; lsn = $2 } END { print current, parent, lsn }' <<<"$history"
}

# stale_primary_reason: why the primary the PG* variables reach no longer holds the newest
# data of the lineage it was promoted from — the source archive (WAL_ARCHIVE_URL) holds WAL
# written after its promotion — or empty when nothing newer exists there.
stale_primary_reason() {
    local lineage current parent switch facts newest timeline branched
    lineage=$(server_lineage)
    read -r current parent switch <<<"$lineage"
    if ((current == 1)); then
        echo "it was never promoted from the source archive (timeline 1): it did not start as a standby of it"
        return
    fi
    facts=$(archive_python newest)
    read -r newest timeline <<<"$facts"
    if ((timeline > current)); then
        printf 'the source archive has a newer timeline (%d) than this server (%d): the source was promoted again after this server (a failback)\n' \
            "$timeline" "$current"
        return
    fi
    if [[ $newest != - ]] && ((16#${newest:0:8} < current)); then
        # The last segment this server replayed before it branched off its parent timeline.
        branched=$(last_segment_before_lsn "$parent" "$switch")
        if [[ ${newest:8} > ${branched:8} ]]; then
            printf 'the source archive holds WAL written after this server was promoted (newest %s; it branched off after %s): the source kept or resumed writing\n' \
                "$newest" "$branched"
        fi
    fi
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
