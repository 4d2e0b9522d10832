#!/usr/bin/env bash
# Builds the real engines the tests drive (Pulumi CLI, the Kubernetes provider, the Kubernetes
# control plane, kwok) from the Go modules pinned under tools/engines/<name>/ into one cache directory:
#   ${MCP_ENGINES_DIR:-$HOME/.cache/mcp-platform/engines}/bin/<binary>
# Each binary has a stamp (module@version, sha256 of go.sum, go version, ldflags); a binary
# whose stamp matches is not rebuilt, so a second run with the same pins takes seconds.
# etcd is not built here: it comes from Debian's etcd-server package.
# Exits non-zero when any engine fails to build; the others are still built.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${MCP_ENGINES_DIR:-$HOME/.cache/mcp-platform/engines}"
bin="$out/bin"
stamps="$out/stamps"
mkdir -p "$bin" "$stamps"

# Reproducible, network-free-after-download builds: no VCS stamping of our own repository,
# go.mod/go.sum are never rewritten, static binaries that run anywhere on this machine kind.
export GOFLAGS="-buildvcs=false -mod=readonly -trimpath"
export CGO_ENABLED=0
go_version="$(go env GOVERSION)"
failed=()

# stamp_of MODULE_DIR MODULE LDFLAGS: the identity of a build, one line.
stamp_of() {
    local dir="$1" module="$2" ldflags="$3" version sum
    version="$(cd "$here/$dir" && go list -m -f '{{.Version}}' "$module")"
    sum="$(sha256sum "$here/$dir/go.sum" | cut -d' ' -f1)"
    printf '%s@%s go.sum=%s %s ldflags=%s\n' "$module" "$version" "$sum" "$go_version" "$ldflags"
}

# build NAME MODULE_DIR MODULE PACKAGE LDFLAGS [OVERLAY]
build() {
    local name="$1" dir="$2" module="$3" package="$4" ldflags="$5" overlay="${6:-}"
    local stamp started
    stamp="$(stamp_of "$dir" "$module" "$ldflags")"
    if [[ -x "$bin/$name" && -f "$stamps/$name" && "$(cat "$stamps/$name")" == "$stamp" ]]; then
        echo "$name: up to date ($stamp)"
        return 0
    fi
    echo "$name: building $stamp"
    started=$SECONDS
    local args=(-o "$bin/$name.partial" -ldflags "$ldflags")
    [[ -n "$overlay" ]] && args+=(-overlay "$overlay")
    if (cd "$here/$dir" && nice -n 10 go build "${args[@]}" "$package"); then
        mv "$bin/$name.partial" "$bin/$name"
        printf '%s' "$stamp" >"$stamps/$name"
        echo "$name: built in $((SECONDS - started)) s"
    else
        rm -f "$bin/$name.partial" "$stamps/$name"
        echo "$name: FAILED to build $stamp" >&2
        failed+=("$name")
    fi
}

# The provider's main package embeds schema-embed.json and terraform-mapping-embed.json, which
# its release build generates from the committed schema.json (with the release version set)
# and terraform-mapping.json; the module zip holds only the latter two. Generate both into the
# cache and hand them to the compiler with -overlay (the module cache stays read-only).
provider_overlay() {
    local version="$1" src gen
    src="$(cd "$here/kubernetes-provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
    gen="$out/generated/pulumi-resource-kubernetes"
    mkdir -p "$gen"
    # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
    node -e '
        const fs = require("node:fs");
        const [src, gen, version] = process.argv.slice(1);
        const schema = JSON.parse(fs.readFileSync(`${src}/schema.json`, "utf8"));
        schema.version = version;
        fs.writeFileSync(`${gen}/schema-embed.json`, JSON.stringify(schema));
        const mapping = JSON.parse(fs.readFileSync(`${src}/terraform-mapping.json`, "utf8"));
        fs.writeFileSync(`${gen}/terraform-mapping-embed.json`, JSON.stringify(mapping));
        fs.writeFileSync(`${gen}/overlay.json`, JSON.stringify({
            Replace: {
                [`${src}/schema-embed.json`]: `${gen}/schema-embed.json`,
                [`${src}/terraform-mapping-embed.json`]: `${gen}/terraform-mapping-embed.json`,
            },
        }));
    ' "$src" "$gen" "$version"
    echo "$gen/overlay.json"
}

# Without the version ldflags the Kubernetes binaries report v0.0.0-master.
k8s_ldflags="-X k8s.io/component-base/version.gitVersion=v1.35.4 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35"
for component in kube-apiserver kube-controller-manager kube-scheduler; do
    build "$component" kubernetes k8s.io/kubernetes "k8s.io/kubernetes/cmd/$component" "$k8s_ldflags"
done

# kwok carries its version as a constant (pkg/consts), so it needs no ldflags.
build kwok kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok ""

build pulumi pulumi github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.248.0"

k8s_provider_version=4.25.0
build pulumi-resource-kubernetes kubernetes-provider github.com/pulumi/pulumi-kubernetes/provider/v4 \
    github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes \
    "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$k8s_provider_version" \
    "$(provider_overlay "$k8s_provider_version")"

# The Node.js language host is a module of its own at this release
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the Go module proxy
# answers 403 "This module version is not available" for it, so it cannot be built here.
echo "pulumi-language-nodejs: not built (module not served by the Go module proxy)"

if ((${#failed[@]} > 0)); then
    echo "engines that failed to build: ${failed[*]}" >&2
    exit 1
fi
echo "engines in $bin"
