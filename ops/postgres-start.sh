#!/usr/bin/env bash
# postgres-start.sh — the command of the postgres container of postgres-primary and
# postgres-replica: prepare an empty data directory once, then exec postgres with the
# arguments given (`postgres-start.sh postgres -c ...`). The servers run this on every stack
# and from the first deploy on, archiving or not (docs/data.md, "WAL archive").
#
# An empty PGDATA becomes:
#   - with WAL_STANDBY=true (the dr stack's postgres-primary-0, or production's while it is
#     re-seeded from dr at failback): a base backup of the archive WAL_SOURCE_URL
#     (barman-cloud-restore) plus standby.signal, so the server replays the archive
#     continuously through its restore_command until it is promoted (wal-promote.sh). Until
#     the archive holds a usable base backup (see usable_base_backup in wal-lib.sh: none yet on
#     a first deploy, or none since the source's last promotion or gap) it waits, polling
#     every WAL_BASE_BACKUP_POLL_SECONDS (default 30) and logging why;
#   - otherwise: a new cluster (initdb with POSTGRES_INITDB_ARGS), then postgres-init.sh
#     creates the roles and mcp_db, over the local socket of a temporary server.
# A data directory that holds a cluster is left alone: a promoted standby stays a primary
# across restarts, because standby.signal is only written at restore time. The exception is a
# re-arm (wal-rearm.sh): with WAL_STANDBY=true and the marker `reseed-requested` beside PGDATA,
# the cluster is replaced by a new standby once a usable base backup exists (the old data
# stays until then; deleting the marker during the wait starts the old cluster instead).
#
# While it prepares, it touches POSTGRES_PREPARING_FILE (default $TMPDIR/postgres-preparing)
# every 10 s: postgres-probe.sh counts that as alive, so a long wait or restore is never
# killed by the kubelet; readiness stays false until the server accepts connections.
#
# Environment: PGDATA, PGPORT; POSTGRES_USER (superuser name), POSTGRES_PASSWORD,
# POSTGRES_INITDB_ARGS; WAL_STANDBY; WAL_SOURCE_URL/WAL_SOURCE_SERVER (or WAL_ARCHIVE_URL/
# WAL_SERVER_NAME, see wal-lib.sh); the variables of postgres-init.sh.
set -euo pipefail
BACKUP_JOB=postgres-start
# shellcheck source=wal-lib.sh
source "$(dirname "$0")/wal-lib.sh"
OPS_DIR=$(dirname "$0")
PREPARING_FILE=${POSTGRES_PREPARING_FILE:-${TMPDIR:-/tmp}/postgres-preparing}

start_heartbeat() {
    mkdir -p "$(dirname "$PREPARING_FILE")"
    touch "$PREPARING_FILE"
    (
        trap - ERR EXIT
        while touch "$PREPARING_FILE" 2>/dev/null; do sleep 10; done
    ) &
    HEARTBEAT_PID=$!
    add_exit_hook stop_heartbeat
}
stop_heartbeat() {
    if [[ -n ${HEARTBEAT_PID:-} ]]; then kill "$HEARTBEAT_PID" 2>/dev/null || true; fi
    HEARTBEAT_PID=
    rm -f "$PREPARING_FILE"
}

# reseed_requested: the re-arm marker is present (wal-rearm.sh wrote it).
RESEED_MARKER="$(wal_state_dir)/reseed-requested"
reseed_requested() { [[ -f $RESEED_MARKER ]]; }

# wait_for_base_backup: the id of a usable base backup of the source archive, once one
# exists; an empty id when a re-arm was cancelled during the wait.
wait_for_base_backup() {
    local poll=${WAL_BASE_BACKUP_POLL_SECONDS:-30} polls=0 id errors facts
    errors=$(mktemp "${TMPDIR:-/tmp}/base-backup-list.XXXXXX")
    while :; do
        if id=$(usable_base_backup 2>"$errors"); then
            if [[ -n $id ]]; then
                rm -f "$errors"
                echo "$id"
                return
            fi
            # Every 10th poll (and the first): why it waits, for `kubectl logs`.
            if ((polls % 10 == 0)); then
                facts=$(archive_python newest 2>/dev/null || echo "? ?")
                info "waiting for a base backup in the source archive: none yet on its newest timeline since its last recorded gap (the source stack's base-backup sidecar takes one once it archives; on a first deploy, once production's WAL archive is configured)" \
                    archive "$WAL_ARCHIVE_URL" newest_wal "${facts%% *}" newest_timeline "${facts##* }" \
                    poll_seconds "$poll" >&2
            fi
        else
            log error "cannot read the source archive; retrying" archive "$WAL_ARCHIVE_URL" \
                output "$(tail -c 1000 "$errors")"
        fi
        polls=$((polls + 1))
        sleep "$poll"
        if [[ ${RESEED:-false} == true ]] && ! reseed_requested; then
            info "the re-arm was cancelled (marker removed): starting the existing cluster" >&2
            rm -f "$errors"
            echo ""
            return
        fi
    done
}

# restore_standby: a usable base backup of the source archive into PGDATA, plus
# standby.signal. The source is read through local variables: the server exec'd below keeps
# WAL_ARCHIVE_URL, its own archive (where it archives once promoted).
restore_standby() {
    step restore-base-backup
    local WAL_ARCHIVE_URL=${WAL_SOURCE_URL:-${WAL_ARCHIVE_URL:-}}
    local WAL_SERVER_NAME=${WAL_SOURCE_SERVER:-$WAL_SERVER_NAME}
    # Exported for the archive readers (boto3), still local to this function.
    export WAL_ARCHIVE_URL WAL_SERVER_NAME
    require_archive
    local backup_id
    backup_id=$(wait_for_base_backup)
    if [[ -z $backup_id ]]; then return; fi
    mkdir -p "$PGDATA"
    find "$PGDATA" -mindepth 1 -delete
    run barman_cloud restore "$WAL_ARCHIVE_URL" "$WAL_SERVER_NAME" "$backup_id" "$PGDATA"
    chmod 700 "$PGDATA"
    touch "$PGDATA/standby.signal"
    rm -f "$RESEED_MARKER"
    info "base backup restored; the server starts as a standby replaying the archive" \
        backup_id "$backup_id" archive "$WAL_ARCHIVE_URL"
}

step prepare
require_env PGDATA
start_heartbeat
if [[ -s $PGDATA/PG_VERSION ]] && reseed_requested && [[ ${WAL_STANDBY:-false} == true ]]; then
    warn "re-arm requested (wal-rearm.sh): this cluster is replaced by a new standby of the source archive once it holds a usable base backup" \
        pgdata "$PGDATA" marker "$RESEED_MARKER"
    RESEED=true restore_standby
elif [[ -s $PGDATA/PG_VERSION ]]; then
    if reseed_requested; then
        warn "a re-arm marker is present but WAL_STANDBY is not true: ignoring it" marker "$RESEED_MARKER"
    fi
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
stop_heartbeat
if (($# == 0)); then set -- postgres; fi
exec "$@"
