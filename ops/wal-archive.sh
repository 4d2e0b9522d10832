#!/usr/bin/env bash
# wal-archive.sh — archive_command of postgres-primary: `bash .../wal-archive.sh %p`.
#
# Uploads one finished WAL segment (or history/backup-label file) to the continuous archive
# with barman-cloud-wal-archive, gzip-compressed so that a corrupted copy fails its CRC on
# restore. A non-zero exit makes PostgreSQL keep the segment in pg_wal and retry; the failure
# shows in pg_stat_archiver (failed_count, last_failed_wal), which the
# PostgresWalArchivingFailing alert watches (docs/runbooks/PostgresWalArchivingFailing.md).
#
# Environment: see wal-lib.sh (WAL_ARCHIVE_URL, WAL_SERVER_NAME, S3_ENDPOINT_URL, AWS_*).
set -euo pipefail
BACKUP_JOB=wal-archive
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

step archive
require_archive
if (($# != 1)); then fail "usage: wal-archive.sh <path of the WAL file (%p)>"; fi
WAL_PATH=$1
if [[ ! -f $WAL_PATH ]]; then fail "no such WAL file" path "$WAL_PATH"; fi
OUTPUT=$(barman_cloud wal-archive --gzip "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$WAL_PATH" 2>&1) ||
    fail "barman-cloud-wal-archive failed; PostgreSQL keeps the segment and retries" \
        wal "$(basename "$WAL_PATH")" archive "$WAL_ARCHIVE_URL" output "$(tail -c 1000 <<<"$OUTPUT")"
# Success stays quiet: PostgreSQL runs this once per segment, every archive_timeout at most.
