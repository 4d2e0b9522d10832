#!/usr/bin/env bash
# shellcheck disable=SC2153 # PRIMARY_HOST comes from the environment (require_env checks it)
# postgres-replica-bootstrap.sh — init container of postgres-replica: clone the primary once.
#
# Environment:
#   PGDATA                the replica's data directory (on its PVC)
#   PRIMARY_HOST, PRIMARY_PORT (default 5432)
#   REPLICATION_USER, PGPASSWORD (the replication role's password)
#   PGSSLMODE, PGSSLROOTCERT  how libpq reaches the primary (verify-full and the CA in the pods);
#                         they go into primary_conninfo too, so streaming is verified the same way
#   SLOT_NAME             physical replication slot, one per replica   (default: POD_NAME with _)
#   PG_WAIT_SECONDS       how long to wait for the primary; 0: no deadline (a standby
#                         stack, whose primary may wait hours for its first base backup)
#                                                                               (default: 600)
#
# An existing data directory is left alone (a restarted replica resumes streaming from its
# slot). Otherwise the slot is created on the primary if missing, pg_basebackup streams a copy
# with the WAL it needs into a temporary directory, standby.signal and primary_conninfo (no
# password: the server reads PGPASSWORD from its environment) are added, and the copy is
# moved into place only when complete.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

step config
# One slot per replica pod: postgres-replica-0 streams through postgres_replica_0.
if [[ -z ${SLOT_NAME:-} && -n ${POD_NAME:-} ]]; then export SLOT_NAME=${POD_NAME//-/_}; fi
require_env PGDATA PRIMARY_HOST REPLICATION_USER PGPASSWORD SLOT_NAME
PRIMARY_PORT=${PRIMARY_PORT:-5432}
if [[ ! $SLOT_NAME =~ ^[a-z0-9_]{1,63}$ ]]; then fail "SLOT_NAME must be lowercase letters, digits and _" got "$SLOT_NAME"; fi
if [[ -s ${PGDATA}/PG_VERSION ]]; then
    info "data directory already initialised; nothing to do" pgdata "$PGDATA"
    exit 0
fi
make_run_dir
PARTIAL="${PGDATA}.partial"
rm -rf "$PARTIAL"

step wait-primary
export PGHOST=$PRIMARY_HOST PGPORT=$PRIMARY_PORT PGUSER=$REPLICATION_USER PGDATABASE=postgres
wait_for_postgres "${PG_WAIT_SECONDS:-600}"
info "primary is up" host "$PRIMARY_HOST" port "$PRIMARY_PORT"

step slot
cat >"${RUN_DIR}/slot.sql" <<'SQL'
\getenv slot SLOT_NAME
SELECT pg_create_physical_replication_slot(:'slot')
WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = :'slot');
SQL
run psql -X -q -At -v ON_ERROR_STOP=1 -f "${RUN_DIR}/slot.sql" >/dev/null
info "replication slot ready" slot "$SLOT_NAME"

step basebackup
run pg_basebackup --pgdata="$PARTIAL" --wal-method=stream --slot="$SLOT_NAME" \
    --checkpoint=fast --no-password
# Standby settings without the password (pg_basebackup -R would write it into the data
# directory): the walreceiver reads PGPASSWORD from the container's environment instead.
touch "${PARTIAL}/standby.signal"
TLS_CONNINFO=""
if [[ -n ${PGSSLMODE:-} ]]; then TLS_CONNINFO+=" sslmode=${PGSSLMODE}"; fi
if [[ -n ${PGSSLROOTCERT:-} ]]; then TLS_CONNINFO+=" sslrootcert=${PGSSLROOTCERT}"; fi
printf "primary_conninfo = 'host=%s port=%s user=%s application_name=%s%s'\nprimary_slot_name = '%s'\n" \
    "$PRIMARY_HOST" "$PRIMARY_PORT" "$REPLICATION_USER" "$SLOT_NAME" "$TLS_CONNINFO" "$SLOT_NAME" \
    >>"${PARTIAL}/postgresql.auto.conf"
chmod 0700 "$PARTIAL"
rm -rf "$PGDATA"
mv "$PARTIAL" "$PGDATA"
info "base backup complete" pgdata "$PGDATA" size_kb "$(du -sk "$PGDATA" | cut -f1)"

step finish
info "replica bootstrapped; it starts as a hot standby streaming from its slot" slot "$SLOT_NAME"
