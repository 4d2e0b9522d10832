#!/usr/bin/env bash
# redis-start.sh — entrypoint of the redis StatefulSet's two servers: `redis-server` and
# `redis-sentinel` (docs/data.md, "Redis: replicas and Sentinel").
#
# Usage: redis-start.sh server|sentinel
#
# Environment:
#   REDIS_SELF              this pod's announced address, host:port of its redis-server
#                           (redis-1.redis-headless.mcp-production.svc.cluster.local:6379)
#   REDIS_INITIAL_PRIMARY   host:port of the server that is primary when no Sentinel knows one
#                           (redis-0's)
#   REDIS_SENTINELS         space-separated host:port of every Sentinel (this pod's included)
#   REDIS_SENTINEL_MASTER   the name the Sentinels monitor the primary under      (mcp-cache)
#   REDIS_SERVERS           space-separated host:port of every redis-server (this pod's included)
#   REDIS_USERS_FILE        the servers' ACL users (redis-auth.conf); with REDIS_SERVERS, and
#                           SENTINEL_USERS_FILE with REDIS_SENTINELS, the users are defined on
#                           every other server and Sentinel that answers before this one starts
#                           (see share_users)
#   REDISCLI_AUTH           the `default` user's password on every server and Sentinel (the
#                           administrator's; redis-cli reads it)
#   server:   REDIS_BASE_CONFIG (redis.conf to include), REDIS_RUN_CONFIG (file to write)
#   sentinel: SENTINEL_USERS_FILE (the ACL users and the credentials Sentinel presents to the
#             servers and its peers, appended to its configuration; unset: every Sentinel
#             and server is reached as `default` with REDISCLI_AUTH),
#             SENTINEL_PORT (default 26379), SENTINEL_BIND (default "0.0.0.0 -::*"),
#             SENTINEL_CONFIG (file to write; Sentinel rewrites it on every failover),
#             SENTINEL_QUORUM (2), SENTINEL_DOWN_AFTER_MS (5000, at least 5000),
#             SENTINEL_FAILOVER_TIMEOUT_MS (60000)
#
# The current primary is what a Sentinel answers to SENTINEL GET-MASTER-ADDR-BY-NAME: a pod that
# restarts after a failover rejoins as a replica of the promoted server instead of claiming the
# primary role back. When no Sentinel answers, a Sentinel asks its own pod's server (every
# Sentinel restarted at once, the servers still running); only when that fails too (the first
# start, or every pod restarting at once) is REDIS_INITIAL_PRIMARY the primary. Log lines are
# JSON like the backup scripts'.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

MODE=${1:-}
step config
case $MODE in
    server) require_env REDIS_SELF REDIS_INITIAL_PRIMARY REDIS_SENTINEL_MASTER REDIS_BASE_CONFIG REDIS_RUN_CONFIG ;;
    sentinel) require_env REDIS_SELF REDIS_INITIAL_PRIMARY REDIS_SENTINEL_MASTER REDISCLI_AUTH SENTINEL_CONFIG ;;
    *) fail "usage: redis-start.sh server|sentinel" got "$MODE" ;;
esac
for address in "$REDIS_SELF" "$REDIS_INITIAL_PRIMARY"; do
    if [[ ! $address =~ ^[^[:space:]:]+:[0-9]+$ ]]; then
        fail "REDIS_SELF and REDIS_INITIAL_PRIMARY must be host:port" got "$address"
    fi
done
# After a failover a Sentinel reconnects to the new primary on its 1 s ping period and still
# counts its peers' "down" votes about the old primary for 5 s: a shorter down-after fails a new
# primary that is slow for a moment (a fork, an fsync, a loaded node) over again at once.
DOWN_AFTER_MS=${SENTINEL_DOWN_AFTER_MS:-5000}
if [[ $MODE == sentinel ]] && { [[ ! $DOWN_AFTER_MS =~ ^[0-9]{1,9}$ ]] || ((10#$DOWN_AFTER_MS < 5000)); }; then
    fail "SENTINEL_DOWN_AFTER_MS must be a whole number of milliseconds, at least 5000" \
        got "$DOWN_AFTER_MS"
fi
SELF_HOST=${REDIS_SELF%:*}
SELF_PORT=${REDIS_SELF##*:}

# known_primary: the host:port a reachable Sentinel names as primary, or nothing.
known_primary() {
    local sentinel answer
    for sentinel in ${REDIS_SENTINELS:-}; do
        answer=$(sentinel_primary "$sentinel") || continue
        printf '%s\n' "$answer"
        return 0
    done
}

# server_primary: the primary as this pod's own redis-server sees it (itself when it is the
# primary, its master when it replicates), or nothing when it does not answer.
server_primary() {
    local lines
    mapfile -t lines < <(timeout "${SENTINEL_TIMEOUT_SECONDS:-5}" redis-cli --no-auth-warning \
        -h "$SELF_HOST" -p "$SELF_PORT" role 2>/dev/null)
    case ${lines[0]:-} in
        master) printf '%s\n' "$REDIS_SELF" ;;
        slave)
            if [[ -n ${lines[1]:-} && ${lines[2]:-} =~ ^[0-9]+$ ]]; then
                printf '%s:%s\n' "${lines[1]}" "${lines[2]}"
            fi
            ;;
    esac
}

# share_users FILE ADDRESS...: define the ACL users of FILE (its `user NAME RULES...` lines) on
# every server or Sentinel at ADDRESS that answers, as the `default` user (REDISCLI_AUTH). A
# rolling update that introduces a user (or a password) restarts the pods one at a time: a new
# pod's replica, Sentinel or peer Sentinel would authenticate as a user the pods not yet
# restarted lack, be refused, and the Sentinels would count the primary as down (NOAUTH is no
# answer to them) and fail over to a replica that never synced. Defining the users on the old
# pods first keeps them reachable; each definition is complete (`reset` first), so it is the
# same on a pod that already has it. The commands go through redis-cli's standard input, never
# its command line. Never fatal: an address that does not answer is skipped.
share_users() {
    local file=$1 address answer commands count
    shift
    if [[ -z $file || ! -r $file ]]; then return 0; fi
    commands=$(sed -nE 's/^user ([^ ]+) (.*)$/ACL SETUSER \1 reset \2/p' "$file")
    count=$(grep -c '^user ' "$file" || true)
    if ((count == 0)); then return 0; fi
    for address in "$@"; do
        answer=$(printf '%s\n' "$commands" | timeout "${SENTINEL_TIMEOUT_SECONDS:-5}" \
            redis-cli --no-auth-warning -h "${address%:*}" -p "${address##*:}" 2>&1) || true
        if (($(grep -cx OK <<<"$answer" || true) == count)); then
            info "ACL users defined" address "$address" users "$count"
        else
            info "ACL users not defined (not answering, or refusing)" address "$address" \
                answer "$(printf '%s' "$answer" | head -c 200)"
        fi
    done
}

step share-users
# shellcheck disable=SC2086 # space-separated address lists
share_users "${REDIS_USERS_FILE:-}" ${REDIS_SERVERS:-}
if [[ $MODE == sentinel ]]; then
    # shellcheck disable=SC2086
    share_users "${SENTINEL_USERS_FILE:-}" ${REDIS_SENTINELS:-}
fi

step discover
PRIMARY=$(known_primary)
if [[ -n $PRIMARY ]]; then
    info "a Sentinel names the current primary" primary "$PRIMARY"
elif [[ $MODE == sentinel ]] && PRIMARY=$(server_primary) && [[ -n $PRIMARY ]]; then
    # Every Sentinel restarted at once while the servers kept running: the servers still know
    # the primary, which may no longer be the initial one. Monitoring the initial primary when
    # it has become a replica would leave the Sentinels watching a replica and never failing
    # over.
    info "no Sentinel answers: this server names the primary" primary "$PRIMARY"
else
    PRIMARY=$REDIS_INITIAL_PRIMARY
    info "no Sentinel answers: starting from the initial primary" primary "$PRIMARY" \
        sentinels "${REDIS_SENTINELS:-none}"
fi

if [[ $MODE == server ]]; then
    step server-config
    {
        printf 'include %s\n' "$REDIS_BASE_CONFIG"
        # Sentinel and the replicas know this server by its stable DNS name, not its pod IP.
        printf 'replica-announce-ip %s\nreplica-announce-port %s\n' "$SELF_HOST" "$SELF_PORT"
        if [[ $PRIMARY != "$REDIS_SELF" ]]; then
            printf 'replicaof %s %s\n' "${PRIMARY%:*}" "${PRIMARY##*:}"
        fi
    } >"$REDIS_RUN_CONFIG"
    if [[ $PRIMARY == "$REDIS_SELF" ]]; then
        info "starting redis-server as the primary" self "$REDIS_SELF"
    else
        info "starting redis-server as a replica" self "$REDIS_SELF" primary "$PRIMARY"
    fi
    exec redis-server "$REDIS_RUN_CONFIG"
fi

step sentinel-config
# Sentinel refuses a `monitor` line whose host does not resolve: wait for the pod's DNS record.
for _ in $(seq 1 60); do
    if getent hosts "${PRIMARY%:*}" >/dev/null; then break; fi
    sleep 1
done
MASTER=$REDIS_SENTINEL_MASTER
SENTINEL_DIR=$(dirname "$SENTINEL_CONFIG")
umask 077
{
    printf 'port %s\nbind %s\ndir %s\n' "${SENTINEL_PORT:-26379}" "${SENTINEL_BIND:-0.0.0.0 -::*}" \
        "$SENTINEL_DIR"
    # Servers and Sentinels are addressed by DNS name; pod IPs change on every restart.
    printf 'sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n'
    printf 'sentinel announce-ip %s\nsentinel announce-port %s\n' "$SELF_HOST" "${SENTINEL_PORT:-26379}"
    printf 'sentinel monitor %s %s %s %s\n' "$MASTER" "${PRIMARY%:*}" "${PRIMARY##*:}" "${SENTINEL_QUORUM:-2}"
    printf 'sentinel down-after-milliseconds %s %s\n' "$MASTER" "$DOWN_AFTER_MS"
    printf 'sentinel failover-timeout %s %s\n' "$MASTER" "${SENTINEL_FAILOVER_TIMEOUT_MS:-60000}"
    printf 'sentinel parallel-syncs %s 1\n' "$MASTER"
    # The `default` user is the administrator's, as on the servers. The file lives in a
    # memory-backed emptyDir.
    printf 'requirepass %s\n' "$REDISCLI_AUTH"
    if [[ -n ${SENTINEL_USERS_FILE:-} ]]; then
        # One ACL user per client, and the users Sentinel presents to the servers (auth-user)
        # and to its peers (sentinel-user): after the monitor line they refer to.
        cat "$SENTINEL_USERS_FILE"
    else
        printf 'sentinel auth-pass %s %s\n' "$MASTER" "$REDISCLI_AUTH"
    fi
} >"$SENTINEL_CONFIG"
info "starting redis-sentinel" self "${SELF_HOST}:${SENTINEL_PORT:-26379}" primary "$PRIMARY" \
    master_name "$MASTER" quorum "${SENTINEL_QUORUM:-2}"
exec redis-sentinel "$SENTINEL_CONFIG"
