#!/usr/bin/env bash
# Checks the platform's alerting rules with promtool, built from its Go module into a cache outside the
# repository: `promtool check rules` over the prod stack's rendered PrometheusRule, then `promtool test
# rules` with synthetic series for every alert (it must fire, and it must stay silent; the cases are in
# test/alerts/promtool-cases.ts). Called by .ci/run; ends with `N passed, N failed` (one per test group).
set -euo pipefail
PROMETHEUS_MODULE_VERSION=v0.316.0 # github.com/prometheus/prometheus (Prometheus 3.x's Go module tags)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE_ROOT=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}
BIN_DIR=$CACHE_ROOT/tools/promtool-$PROMETHEUS_MODULE_VERSION-nosd
PROMTOOL=$BIN_DIR/promtool
STACK=${1:-prod}

if [ ! -x "$PROMTOOL" ]; then
  echo "alerts-check: building promtool $PROMETHEUS_MODULE_VERSION (a few minutes, once)"
  export PATH="$PATH:/usr/local/go/bin"
  mkdir -p "$BIN_DIR"
  # remove_all_sd: none of the service-discovery plugins (cloud SDKs), which `promtool check rules` and
  # `test rules` never use; Go's caches are the toolchain's (scripts/toolchain.sh)
  GOBIN=$BIN_DIR GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOMODCACHE=$CACHE_ROOT/go/mod GOCACHE=$CACHE_ROOT/go/build \
    go install -trimpath -tags netgo,remove_all_sd "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$ROOT"
npx ts-node --transpile-only scripts/alerts/write-promtool-files.ts "$work" "$STACK"
"$PROMTOOL" --version 2>&1 | head -n1

passed=0
failed=0
if "$PROMTOOL" check rules "$work/rules.yaml"; then
  echo "ok   - promtool check rules: $STACK's PrometheusRule"
  passed=$((passed + 1))
else
  echo "FAIL - promtool check rules: $STACK's PrometheusRule"
  failed=$((failed + 1))
fi

# One promtool run per test group, so that every case gets its own ok/FAIL line.
groups=$(node -e 'const y=require("js-yaml");const fs=require("fs");console.log(y.load(fs.readFileSync(process.argv[1],"utf8")).tests.length)' "$work/tests.yaml")
for ((i = 0; i < groups; i++)); do
  name=$(node -e '
    const y = require("js-yaml"), fs = require("fs");
    const doc = y.load(fs.readFileSync(process.argv[1], "utf8"));
    const t = doc.tests[Number(process.argv[2])];
    fs.writeFileSync(process.argv[3], y.dump({ ...doc, tests: [t] }, { lineWidth: -1 }));
    console.log(t.name);' "$work/tests.yaml" "$i" "$work/test-$i.yaml")
  if (cd "$work" && "$PROMTOOL" test rules "test-$i.yaml") >"$work/out-$i.txt" 2>&1; then
    echo "ok   - promtool test rules: $name"
    passed=$((passed + 1))
  else
    echo "FAIL - promtool test rules: $name"
    sed 's/^/    /' "$work/out-$i.txt"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
