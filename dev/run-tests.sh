#!/usr/bin/env bash
# The whole test suite: lint (typecheck, ESLint, Prettier) and every vitest suite.
# Ends with one plain line "N passed, N failed" derived from vitest's JSON report; a lint
# failure counts as one failed test, and a skipped or todo test counts as failed (CI never
# skips). Exits non-zero on any failure.
#
# `--fast` (npm run test:fast) is the development loop: lint and the suites that need no
# server or built engine (no PostgreSQL, Redis, S3 server, workerd, kube-apiserver, peer
# linters). CI always runs everything.
#
# `--tier apt` and `--tier engines` split the whole suite in two, as the pull-request workflow's
# two jobs run it (dev/lib/test-tiers.ts derives the split from the test files' imports):
# `apt` is lint and every suite that needs only the Debian packages .ci/run installs; `engines`
# is every suite that drives a Go-built engine, a Go module or a peer linter (no lint). The two
# together are exactly the whole suite.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

subset=()
lint=1
case ${1:-} in
    "") ;;
    --fast)
        subset=(--exclude "test/ops/**" --exclude "test/worker/**" --exclude "test/e2e/**"
            --exclude "test/peers/**" --exclude "test/tools/dr-aws.test.ts" --exclude "test/dev/bench-dr.test.ts"
            --exclude "test/tools/mcp/!(cli).test.ts")
        ;;
    --tier)
        if [[ ${2:-} != apt && ${2:-} != engines ]]; then
            echo "usage: run-tests.sh [--fast | --tier apt|engines]" >&2
            exit 2
        fi
        if ! engine_files="$(npx tsx dev/lib/test-tiers.ts engines)" || [[ -z $engine_files ]]; then
            echo "run-tests.sh: dev/lib/test-tiers.ts found no engine-tier suite" >&2
            exit 1
        fi
        mapfile -t engine_list <<<"$engine_files"
        if [[ $2 == engines ]]; then
            subset=("${engine_list[@]}")
            lint=0
        else
            for file in "${engine_list[@]}"; do subset+=(--exclude "$file"); done
        fi
        ;;
    *)
        echo "usage: run-tests.sh [--fast | --tier apt|engines]" >&2
        exit 2
        ;;
esac

# package.json's engines say >=22 (Node 20 is past its end of life); .ci/run runs on the Node 24
# it fetches. npm does not enforce engines, so an older Node is named here, not silently used.
echo "== node $(node --version)"
if (($(node -p 'process.versions.node.split(".")[0]') < 22)); then
    echo "warning: Node $(node --version) is not supported (package.json engines: >=22); bash .ci/run uses Node 24" >&2
fi

report="$(mktemp -d)/vitest.json"
lint_failed=0
if ((lint)); then
    echo "== lint"
    if ! npm run -s lint; then
        lint_failed=1
        echo "lint failed" >&2
    fi
fi

echo "== tests"
npx vitest run "${subset[@]}" --reporter=default --reporter=json --outputFile="$report"
vitest_status=$?

node - "$report" "$lint_failed" "$vitest_status" <<'JS'
const fs = require("node:fs");
const [file, lintFailed, vitestStatus] = process.argv.slice(2);
let passed = 0;
let failed = Number(lintFailed);
try {
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    passed = report.numPassedTests;
    failed += report.numFailedTests + report.numPendingTests + report.numTodoTests;
    // A suite that failed to load has no tests to count; count it once.
    failed += report.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
} catch {
    failed += 1;
}
if (Number(vitestStatus) !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
JS
