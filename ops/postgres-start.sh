#!/usr/bin/env bash
# postgres-start.sh — the command of the postgres container of postgres-primary and
# postgres-replica: prepare an empty data directory once, then exec postgres with the
# arguments given (`postgres-start.sh postgres -c ...`).
#
# An empty PGDATA becomes:
#   - with WAL_STANDBY=true (the dr stack's postgres-primary-0, or production's while it is
#     re-seeded from dr at failback): the newest base backup of the archive WAL_SOURCE_URL
#     (barman-cloud-restore) plus standby.signal, so the server replays the archive
#     continuously through its restore_command until it is promoted (wal-promote.sh);
#   - otherwise: a new cluster (initdb with POSTGRES_INITDB_ARGS), then postgres-init.sh
#     creates the roles and mcp_db, over the local socket of a temporary server.
# A data directory that holds a cluster is left alone: a promoted standby stays a primary
# across restarts, because standby.signal is only written at restore time.
#
# Environment: PGDATA, PGPORT; POSTGRES_USER (superuser name), POSTGRES_PASSWORD,
# POSTGRES_INITDB_ARGS; WAL_STANDBY; WAL_SOURCE_URL/WAL_SOURCE_SERVER (or WAL_ARCHIVE_URL/
# WAL_SERVER_NAME, see wal-lib.sh); the variables of postgres-init.sh.
set -euo pipefail
BACKUP_JOB=postgres-start
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"
OPS_DIR=$(dirname "$0")

# restore_standby: the newest base backup of the source archive into PGDATA, plus
# standby.signal. The source is read through local variables: the server exec'd below keeps
# WAL_ARCHIVE_URL, its own archive (where it archives once promoted).
restore_standby() {
    step restore-base-backup
    local WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
    local WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
    require_archive
    local backup_id
    backup_id=$(base_backup_before "")
    if [[ -z $backup_id ]]; then
        fail "the archive holds no finished base backup yet: let the base-backup sidecar of the source stack take one first" \
            archive "$WAL_ARCHIVE_URL" server "$WAL_SERVER_NAME"
    fi
    mkdir -p "$PGDATA"
    find "$PGDATA" -mindepth 1 -delete
    run barman_cloud restore "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$backup_id" "$PGDATA"
    chmod 700 "$PGDATA"
    touch "$PGDATA/standby.signal"
    info "base backup restored; the server starts as a standby replaying the archive" \
        backup_id "$backup_id" archive "$WAL_ARCHIVE_URL"
}

step prepare
require_env PGDATA
if [[ -s $PGDATA/PG_VERSION ]]; then
    info "data directory holds a cluster; starting it" pgdata "$PGDATA" \
        standby "$([[ -f $PGDATA/standby.signal ]] && echo true || echo false)"
elif [[ ${WAL_STANDBY:-false} == true ]]; then
    restore_standby
else
    step initdb
    require_env POSTGRES_PASSWORD
    mkdir -p "$PGDATA"
    PWFILE=$(mktemp "${TMPDIR:-/tmp}/pwfile.XXXXXX")
    printf '%s\n' "$POSTGRES_PASSWORD" >"$PWFILE"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options
    run initdb --pgdata="$PGDATA" --username="${POSTGRES_USER:-postgres}" --pwfile="$PWFILE" \
        --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-}
    rm -f "$PWFILE"
    SOCKET_DIR=$(mktemp -d "${TMPDIR:-/tmp}/init-socket.XXXXXX")
    run pg_ctl -D "$PGDATA" -w -t 120 -o "-c listen_addresses='' -c unix_socket_directories=$SOCKET_DIR" start
    PGHOST=$SOCKET_DIR PGUSER=${POSTGRES_USER:-postgres} bash "$OPS_DIR/postgres-init.sh"
    run pg_ctl -D "$PGDATA" -m fast -w -t 120 stop
    rmdir "$SOCKET_DIR" 2>/dev/null || true
    info "new cluster initialised" pgdata "$PGDATA"
fi

step exec
if (($# == 0)); then set -- postgres; fi
exec "$@"
