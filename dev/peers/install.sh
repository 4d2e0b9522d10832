#!/usr/bin/env bash
# Installs the peer linters that test/peers runs over the rendered manifests, at the versions
# pinned beside this script: kube-linter and kube-score built from their Go modules
# (kube-linter/go.mod, kube-score/go.mod with go.sum), checkov from requirements.txt into a
# venv. Everything goes under ${MCP_TOOLS_DIR:-$HOME/.cache/mcp-platform/tools}; a tool whose
# pins have not changed since it was installed is skipped. test/peers compares the same pin
# hash, so a stale install fails the test with this script's name.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${MCP_TOOLS_DIR:-$HOME/.cache/mcp-platform/tools}"
mkdir -p "$dir/bin"

# The hash of a tool's pin files, as test/peers/peers.test.ts computes it.
pin_hash() { cat "$@" | sha256sum | cut -c1-16; }

install_go_tool() {
    local name="$1" package="$2" version="$3" ldflag="$4"
    local want
    want="$(pin_hash "$here/$name/go.mod" "$here/$name/go.sum")"
    if [ -x "$dir/bin/$name" ] && [ "$(cat "$dir/$name.pin" 2>/dev/null)" = "$want" ]; then
        echo "$name $version: already installed" >&2
        return
    fi
    echo "$name $version: building (a few minutes)" >&2
    (cd "$here/$name" && GOBIN="$dir/bin" GOFLAGS=-buildvcs=false \
        go install -ldflags "-X $ldflag=$version" "$package")
    echo "$want" >"$dir/$name.pin"
}

install_go_tool kube-linter golang.stackrox.io/kube-linter/cmd/kube-linter v0.8.3 \
    golang.stackrox.io/kube-linter/internal/version.version
install_go_tool kube-score github.com/zegl/kube-score/cmd/kube-score 1.20.0 main.version

want="$(pin_hash "$here/requirements.txt")"
if [ -x "$dir/checkov/bin/checkov" ] && [ "$(cat "$dir/checkov.pin" 2>/dev/null)" = "$want" ]; then
    echo "checkov: already installed" >&2
else
    echo "checkov: installing into $dir/checkov" >&2
    rm -rf "$dir/checkov"
    python3 -m venv "$dir/checkov"
    "$dir/checkov/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    ln -sf "$dir/checkov/bin/checkov" "$dir/bin/checkov"
    echo "$want" >"$dir/checkov.pin"
fi
