#!/usr/bin/env bash
# wal-base-backup.sh — the postgres-base-backup CronJob: a physical base backup of
# postgres-primary into the continuous archive (barman-cloud-backup). Nothing here deletes:
# the bucket's lifecycle rule expires base backups and WAL after data.postgres.archive.
# retentionDays, and the job's IAM role may not delete (docs/data.md, "WAL archive").
#
# A standby restores the newest base backup and replays the WAL archived since, so the time a
# new standby or a PITR needs grows with the WAL since the last base backup, not with the
# size of the database; BackupStale fires when this CronJob has not succeeded for a period.
#
# Environment: see wal-lib.sh; PGHOST/PGPORT/PGUSER (a superuser or a role with REPLICATION
# and pg_read_all_settings), PGPASSWORD; BACKUP_STANDBY=true on an idle standby stack (its
# server replays production's archive, which production's own base backups serve: it skips).
set -euo pipefail
BACKUP_JOB=postgres-base-backup
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"

step config
require_archive
skip_on_standby

step backup
connection=()
if [[ -n ${PGHOST:-} ]]; then connection+=(--host "$PGHOST"); fi
if [[ -n ${PGPORT:-} ]]; then connection+=(--port "$PGPORT"); fi
if [[ -n ${PGUSER:-} ]]; then connection+=(--user "$PGUSER"); fi
STARTED=$(date +%s)
run barman_cloud backup --gzip --immediate-checkpoint "${connection[@]}" \
    "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME"
BACKUP_ID=$(base_backup_before "")
info "base backup uploaded" backup_id "$BACKUP_ID" seconds $(($(date +%s) - STARTED)) \
    archive "$WAL_ARCHIVE_URL"

