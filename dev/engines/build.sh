#!/usr/bin/env bash
# Builds the real engines the tests drive (Pulumi CLI, the Kubernetes provider, the Kubernetes
# control plane, kwok) from the Go modules pinned under
# dev/engines/<name>/ into one cache directory:
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

# fresh NAME MODULE_DIR MODULE LDFLAGS: whether the binary's stamp matches the pins.
fresh() {
    local name="$1" stamp
    stamp="$(stamp_of "$2" "$3" "$4")"
    [[ -x "$bin/$name" && -f "$stamps/$name" && "$(cat "$stamps/$name")" == "$stamp" ]]
}

# build NAME MODULE_DIR MODULE PACKAGE LDFLAGS [MODFILE]
build() {
    local name="$1" dir="$2" module="$3" package="$4" ldflags="$5" modfile="${6:-}"
    local stamp started
    stamp="$(stamp_of "$dir" "$module" "$ldflags")"
    if fresh "$name" "$dir" "$module" "$ldflags"; then
        echo "$name: up to date ($stamp)"
        return 0
    fi
    echo "$name: building $stamp"
    started=$SECONDS
    local args=(-o "$bin/$name.partial" -ldflags "$ldflags")
    [[ -n "$modfile" ]] && args+=(-modfile "$modfile")
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
# and terraform-mapping.json; the module zip holds only the latter two. The module cache is
# read-only (and -overlay may not touch it), so the verified module is copied into the cache
# directory, the two files are generated there, and the build uses a copy of our go.mod
# (-modfile) that replaces the module with that copy. Prints the -modfile path.
provider_modfile() {
    local version="$1" module=github.com/pulumi/pulumi-kubernetes/provider/v4 dir gen src
    dir="$(cd "$here/kubernetes-provider" && go mod download -json "$module" |
        node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).Dir ?? ""))')"
    [[ -n "$dir" ]] || return 1
    gen="$out/generated/pulumi-resource-kubernetes"
    src="$gen/src"
    rm -rf "$gen"
    mkdir -p "$gen"
    cp -R "$dir" "$src" && chmod -R u+w "$src" || return 1
    # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
    node -e '
        const fs = require("node:fs");
        const [cmd, version] = process.argv.slice(1);
        const schema = JSON.parse(fs.readFileSync(`${cmd}/schema.json`, "utf8"));
        schema.version = version;
        fs.writeFileSync(`${cmd}/schema-embed.json`, JSON.stringify(schema));
        const mapping = JSON.parse(fs.readFileSync(`${cmd}/terraform-mapping.json`, "utf8"));
        fs.writeFileSync(`${cmd}/terraform-mapping-embed.json`, JSON.stringify(mapping));
    ' "$src/cmd/pulumi-resource-kubernetes" "$version" || return 1
    cp "$here/kubernetes-provider/go.mod" "$gen/build.mod"
    cp "$here/kubernetes-provider/go.sum" "$gen/build.sum"
    (cd "$here/kubernetes-provider" && go mod edit -modfile="$gen/build.mod" -replace="$module=$src") ||
        return 1
    echo "$gen/build.mod"
}

# Without the version ldflags the Kubernetes binaries report v0.0.0-master.
k8s_ldflags="-X k8s.io/component-base/version.gitVersion=v1.35.4 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35"
for component in kube-apiserver kube-controller-manager kube-scheduler; do
    build "$component" kubernetes k8s.io/kubernetes "k8s.io/kubernetes/cmd/$component" "$k8s_ldflags"
done

# kwok carries its version as a constant (pkg/consts), so it needs no ldflags.
build kwok kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok ""

build pulumi pulumi github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.276.0"

k8s_provider_version=4.25.0
k8s_provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4
k8s_provider_ldflags="-X $k8s_provider_module/pkg/version.Version=$k8s_provider_version"
if fresh pulumi-resource-kubernetes kubernetes-provider "$k8s_provider_module" "$k8s_provider_ldflags"; then
    build pulumi-resource-kubernetes kubernetes-provider "$k8s_provider_module" \
        "$k8s_provider_module/cmd/pulumi-resource-kubernetes" "$k8s_provider_ldflags"
elif modfile="$(provider_modfile "$k8s_provider_version")"; then
    build pulumi-resource-kubernetes kubernetes-provider "$k8s_provider_module" \
        "$k8s_provider_module/cmd/pulumi-resource-kubernetes" "$k8s_provider_ldflags" "$modfile"
else
    echo "pulumi-resource-kubernetes: FAILED to generate its embedded schema" >&2
    failed+=(pulumi-resource-kubernetes)
fi

# The Node.js language host is a module of its own at this release
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the Go module proxy
# answers 403 "This module version is not available" for it, so it cannot be built here. It is
# not needed: `npm run e2e` runs our program as an Automation API inline program (the CLI
# connects to a language runtime inside the Node process) and the policy pack as an
# executable policy-pack file (test/support/e2e-stack.ts).

if ((${#failed[@]} > 0)); then
    echo "engines that failed to build: ${failed[*]}" >&2
    exit 1
fi
echo "engines in $bin"
