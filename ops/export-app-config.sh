#!/usr/bin/env bash
# export-app-config.sh — first stage of the `app-data-backup` CronJob: export the application
# objects of the MCP namespaces as YAML (the runbooks' configuration backup,
# "k8s-resources.yaml"), for backup-app-data.sh to archive.
#
# Environment:
#   APP_CONFIG_NAMESPACES   space-separated namespaces      (e.g. "mcp-production mcp-system")
#   APP_CONFIG_KINDS        space-separated resource kinds  (default: the list below)
#   APP_DATA_DIR            where to write <namespace>/<kind>.yaml
#
# Secrets are never exported: they come from Pulumi (random passwords, config secrets) and a
# second plaintext copy in a backup would widen who can read them. A kind the cluster does not
# serve (a CRD that is not installed) is skipped with a warning; any other error fails the job.
set -euo pipefail
# shellcheck source=backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

step config
skip_on_standby
require_env APP_CONFIG_NAMESPACES APP_DATA_DIR
KINDS=${APP_CONFIG_KINDS:-"deployments statefulsets daemonsets cronjobs services ingresses configmaps serviceaccounts roles rolebindings networkpolicies poddisruptionbudgets horizontalpodautoscalers verticalpodautoscalers.autoscaling.k8s.io servicemonitors.monitoring.coreos.com persistentvolumeclaims"}
make_run_dir
info "exporting application objects" namespaces "$APP_CONFIG_NAMESPACES" kinds "$KINDS"

read -ra namespaces <<<"$APP_CONFIG_NAMESPACES"
read -ra kinds <<<"$KINDS"
exported=0
for namespace in "${namespaces[@]}"; do
    step "export-${namespace}"
    mkdir -p "${APP_DATA_DIR}/${namespace}"
    for kind in "${kinds[@]}"; do
        if [[ $kind == secret* ]]; then fail "refusing to export Secrets" kind "$kind"; fi
        target="${APP_DATA_DIR}/${namespace}/${kind}.yaml"
        if ! kubectl get "$kind" --namespace "$namespace" --output yaml >"$target" 2>"${RUN_DIR}/kubectl.err"; then
            if grep -q "the server doesn't have a resource type" "${RUN_DIR}/kubectl.err"; then
                warn "kind not served by this cluster; skipped" kind "$kind"
                rm -f "$target"
                continue
            fi
            fail "kubectl get failed" kind "$kind" namespace "$namespace" \
                stderr "$(tail -c 1000 "${RUN_DIR}/kubectl.err")"
        fi
        exported=$((exported + 1))
    done
    info "namespace exported" namespace "$namespace"
done

step finish
info "export complete" files "$exported" directory "$APP_DATA_DIR"
