#!/usr/bin/env bash
# The Quickstart's first command: on a fresh machine (its own Node may be older), use the
# pinned Node (dev/node.sh), install the dependencies and run the main job, the offline synth
# of the production stack. No cloud account, Pulumi CLI or root is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=dev/node.sh
source dev/node.sh
use_pinned_node
echo "node $(node --version) ($(command -v node)), npm $(npm --version)"
npm ci
npm run synth -- "${1:-production}"
