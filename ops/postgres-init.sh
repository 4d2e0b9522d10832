#!/usr/bin/env bash
# postgres-init.sh — roles of the postgres-primary, run by postgres-start.sh on the first start
# of an empty data directory and safe to run again by hand to apply new passwords.
#
# Environment (from the postgres-credentials Secret):
#   APP_USER (mcp_user), APP_PASSWORD, APP_DATABASE (mcp_db)
#   REPLICATION_USER (replicator), REPLICATION_PASSWORD
#   EXPORTER_USER (postgres_exporter), EXPORTER_PASSWORD
#   PG* variables to reach the server as a superuser (postgres-start.sh's temporary socket)
#
# Creates or updates: the application role owning the database and its public schema, a
# replication role for the replicas (REPLICATION, nothing else), and a monitoring role with
# pg_monitor for postgres_exporter.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

step config
require_env APP_USER APP_PASSWORD APP_DATABASE REPLICATION_USER REPLICATION_PASSWORD EXPORTER_USER EXPORTER_PASSWORD
make_run_dir

step roles
# Values, passwords included, come in through \getenv (psql 15): never on a command line.
cat >"${RUN_DIR}/roles.sql" <<'SQL'
\getenv app_user APP_USER
\getenv app_password APP_PASSWORD
\getenv app_database APP_DATABASE
\getenv replication_user REPLICATION_USER
\getenv replication_password REPLICATION_PASSWORD
\getenv exporter_user EXPORTER_USER
\getenv exporter_password EXPORTER_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'replication_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'replication_user') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'exporter_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'exporter_user') \gexec
SELECT format('CREATE DATABASE %I', :'app_database')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'app_database') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'app_user', :'app_password') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION PASSWORD %L', :'replication_user', :'replication_password') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'exporter_user', :'exporter_password') \gexec
SELECT format('GRANT pg_monitor TO %I', :'exporter_user') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'app_database', :'app_user') \gexec
\connect :app_database
SELECT format('ALTER SCHEMA public OWNER TO %I', :'app_user') \gexec
SQL
run psql -X -q -v ON_ERROR_STOP=1 --dbname="${PGDATABASE:-postgres}" -f "${RUN_DIR}/roles.sql"
info "roles ready" app_user "$APP_USER" database "$APP_DATABASE" replication_user "$REPLICATION_USER" \
    exporter_user "$EXPORTER_USER"
