#!/usr/bin/env bash
# wal-restore.sh — restore_command of a standby or a point-in-time recovery:
# `bash .../wal-restore.sh %f %p`.
#
# Fetches one file from the continuous archive with barman-cloud-wal-restore. A segment that is
# not (yet) archived exits 1 quietly: a standby then waits and asks again. A segment that
# exists but cannot be fetched or decompressed (a corrupted copy fails gzip's CRC) is logged as
# an error on every attempt and also exits 1, so PostgreSQL never replays it; the standby stops
# advancing, its replay lag grows (PostgresStandbyReplayLagging) and wal-promote.sh refuses to
# promote it past the gap.
#
# Environment: see wal-lib.sh; WAL_SOURCE_URL and WAL_SOURCE_SERVER, when set, name the archive
# to read instead of WAL_ARCHIVE_URL and WAL_SERVER_NAME (a dr standby reads production's
# archive and, once promoted, archives to its own).
set -euo pipefail
BACKUP_JOB=wal-restore
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

step restore
WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
require_archive
if (($# != 2)); then fail "usage: wal-restore.sh <WAL file name (%f)> <destination (%p)>"; fi
WAL_NAME=$1
DESTINATION=$2
status=0
OUTPUT=$(barman_cloud wal-restore "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$WAL_NAME" "$DESTINATION" 2>&1) ||
    status=$?
if ((status == 0)); then exit 0; fi
rm -f "$DESTINATION"
if ((status > 128)); then
    # Interrupted by a signal (the server is shutting down): not a fault of the archive.
    exit "$status"
fi
if ((status == 1)) && [[ $OUTPUT != *rror* && $OUTPUT != *xception* ]]; then
    # Not archived (yet): the normal end of the archive for a standby.
    exit 1
fi
log error "cannot restore an archived WAL file: the archive copy is unreadable or corrupt" \
    wal "$WAL_NAME" exit_code "$status" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$OUTPUT")"
exit 1
