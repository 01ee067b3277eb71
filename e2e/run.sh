#!/usr/bin/env bash
# End-to-end test: the real Pulumi CLI/engine against a real kube-apiserver (see e2e/README.md).
#
#   npm run test:e2e                 # builds/reuses the toolchain (scripts/toolchain.sh) first
#   E2E_MODE=smoke npm run test:e2e  # the harness self-test program in e2e/fixtures/smoke instead
#
# Environment:
#   E2E_MODE            project | smoke | auto (default: project when index.ts, Pulumi.yaml and
#                       policy/PulumiPolicy.yaml exist, else smoke)
#   E2E_POLICY_DIR      policy pack to use, relative to the repository (default: policy)
#   E2E_KEEP=1          keep the temp dir (logs, state, kubeconfig) instead of deleting it
#   E2E_WORK_DIR        where to make the temp dir (default: $TMPDIR or /tmp)
#   E2E_CONTROLLER_MANAGER=0  run without kube-controller-manager (a destroyed Namespace then stays
#                       Terminating and the test checks only that its deletion started)
#   E2E_DEV_PASSPHRASE / E2E_PROD_PASSPHRASE  passphrases for the stacks' secrets (default: the dev
#                       one the project's own scripts use if found, else a fixed test value)
#   E2E_TRANSPILE_ONLY  PULUMI_NODEJS_TRANSPILE_ONLY for the programs (default true: `npm test`
#                       type-checks; here the speed matters)
#
# The Pulumi-driving checks are in e2e/automation.ts (Automation API); this script runs the toolchain, the
# control plane (e2e/lib/cluster.sh), the CRDs and the Pod Security differential, and counts every check.
# Output: a line per check, a timing table, the floor and ratios, and the closing line `N passed, N failed`.
# Exit status: 0 when every check passed.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/.." && pwd)
# shellcheck source=lib/cluster.sh
. "$E2E_DIR/lib/cluster.sh"

PASSED=0
FAILED=0
FAILURES=()
declare -A TIMES=()
TIME_ORDER=()

say() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$1"; }
fail() {
  FAILED=$((FAILED + 1))
  FAILURES+=("$1")
  printf 'FAIL - %s\n' "$1"
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "----- last lines of $2"; tail -n "${3:-40}" "$2"; echo "-----"; }
  return 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
record_time() { # LABEL SECONDS
  [ -n "${TIMES[$1]+x}" ] || TIME_ORDER+=("$1")
  TIMES[$1]=$2
}

# run LOG CMD...: run a command with its output in LOG, return its status; LAST_SECS is set.
run() {
  local logf=$1
  shift
  local t0
  t0=$(now)
  echo "\$ $*" >"$logf"
  timeout "${E2E_STEP_TIMEOUT:-900}" "$@" >>"$logf" 2>&1
  local rc=$?
  LAST_SECS=$(elapsed "$t0")
  echo "[exit $rc after ${LAST_SECS}s]" >>"$logf"
  return $rc
}

# ---------------------------------------------------------------------------------------------
# toolchain
say "toolchain: scripts/toolchain.sh"
if ! TOOLCHAIN_OUT=$(bash "$REPO/scripts/toolchain.sh" 2>&1); then
  echo "$TOOLCHAIN_OUT" | tail -n 40
  echo "0 passed, 1 failed"
  exit 1
fi
eval "$(bash "$REPO/scripts/toolchain.sh" --env)"
for b in pulumi pulumi-language-nodejs etcd kube-apiserver kubectl; do
  command -v "$b" >/dev/null || { echo "missing $b in $TOOLCHAIN_BIN"; echo "0 passed, 1 failed"; exit 1; }
done
STANDINS=$(cat "$TOOLCHAIN_BIN/STANDINS" 2>/dev/null | tr '\n' ' ')
say "pulumi $(pulumi version) | $(kubectl version --client 2>/dev/null | head -n1) | etcd $(etcd --version | head -n1 | awk '{print $3}')"
[ -n "$STANDINS" ] && say "stand-ins (the module proxy refuses the real modules): $STANDINS"
[ -f "$TOOLCHAIN_BIN/PROVENANCE" ] && while read -r line; do say "$line"; done <"$TOOLCHAIN_BIN/PROVENANCE"

# ---------------------------------------------------------------------------------------------
# work dir, cleanup
WORK=$(mktemp -d "${E2E_WORK_DIR:-${TMPDIR:-/tmp}}/rag-e2e.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
cleanup() {
  local rc=$?
  cluster_stop
  if [ "${E2E_KEEP:-0}" = 1 ]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# private PULUMI_HOME per run (the toolchain's plugins are shared read-only), local file backend
# shellcheck source=lib/pulumi-work.sh
. "$E2E_DIR/lib/pulumi-work.sh"
pulumi_work_env

# ---------------------------------------------------------------------------------------------
# the program under test, copied so that the repository's Pulumi.<stack>.yaml are never modified
MODE=${E2E_MODE:-auto}
if [ "$MODE" = auto ]; then
  if [ -f "$REPO/index.ts" ] && [ -f "$REPO/Pulumi.yaml" ] && [ -f "$REPO/policy/PulumiPolicy.yaml" ]; then
    MODE=project
  else
    MODE=smoke
  fi
fi
COPY=$WORK/project
pulumi_work_copy "$COPY"
# the program and the policy pack run as JavaScript (Pulumi.yaml main: main.js): compile the copy's sources
# into the copy's bin/ and policy/bin/ (npm run build:js), never the repository's
if [ -f "$COPY/scripts/build-js.js" ]; then
  if run "$LOGS/build-js.log" env -C "$COPY" node scripts/build-js.js; then
    record_time "npm run build:js (esbuild: program and policy pack)" "$LAST_SECS"
  else
    fail "npm run build:js (compiling the program and the policy pack)" "$LOGS/build-js.log"
  fi
fi
if [ "$MODE" = project ]; then
  PROG=$COPY
  POLICY=$COPY/policy
else
  PROG=$COPY/e2e/fixtures/smoke
  POLICY=$COPY/e2e/fixtures/smoke-policy
  say "MODE smoke: the program under test is e2e/fixtures/smoke (the project's index.ts/Pulumi.yaml/policy pack are absent)"
fi
# E2E_POLICY_DIR (relative to the repository) overrides the policy pack
[ -n "${E2E_POLICY_DIR:-}" ] && POLICY=$COPY/$E2E_POLICY_DIR
VIOLATION=$COPY/e2e/fixtures/policy-violation
PROJECT=$(sed -n 's/^name:[[:space:]]*//p' "$PROG/Pulumi.yaml" | head -n1 | tr -d '"'"'"' ')
say "mode=$MODE project=$PROJECT work=$WORK"

# passphrases: the dev one the project's scripts supply, if they say it in a plain assignment
dev_pass_default() {
  local f v
  for f in "$REPO"/scripts/*.sh "$REPO/package.json"; do
    [ -f "$f" ] || continue
    v=$(grep -hoE "(DEV_PASSPHRASE|PULUMI_CONFIG_PASSPHRASE)[=:][\"']?[^\"'\$ ;}]+" "$f" 2>/dev/null | head -n1 | sed -E "s/^[A-Z_]+[=:][\"']?//")
    [ -n "$v" ] && { echo "$v"; return; }
  done
  echo "e2e-dev-passphrase"
}
DEV_PASS=${E2E_DEV_PASSPHRASE:-$(dev_pass_default)}
PROD_PASS=${E2E_PROD_PASSPHRASE:-e2e-prod-passphrase}

# ---------------------------------------------------------------------------------------------
say "starting etcd + kube-apiserver$([ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ] && echo ' + kube-controller-manager')"
t0=$(now)
if cluster_start "$WORK/cluster"; then
  record_time "control plane start" "$(elapsed "$t0")"
  pass "control plane up at $CLUSTER_API_URL ($(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])'))"
else
  fail "control plane start" "$WORK/cluster/kube-apiserver.log"
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi

# CRDs of the optional objects (ServiceMonitor, PrometheusRule, VerticalPodAutoscaler, ExternalSecret), from
# the upstream modules, so that prod is admitted with its monitoring on and an ExternalSecret against its
# schema (e2e/lib/crds.sh)
if crd_files=$(bash "$E2E_DIR/lib/crds.sh" 2>"$LOGS/crds.log") &&
  run "$LOGS/crds-apply.log" kubectl apply --server-side $(printf -- '-f %s ' $crd_files) &&
  run "$LOGS/crds-wait.log" kubectl wait --for condition=established --timeout=60s \
    crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com crd/verticalpodautoscalers.autoscaling.k8s.io \
    crd/externalsecrets.external-secrets.io; then
  pass "CRDs installed: ServiceMonitor, PrometheusRule (prometheus-operator), VerticalPodAutoscaler (autoscaler), ExternalSecret (external-secrets)"
  CRDS=1
else
  fail "installing the monitoring, VPA and ExternalSecret CRDs" "$LOGS/crds-apply.log"
  CRDS=0
fi

# ---------------------------------------------------------------------------------------------
# c-f. everything that drives Pulumi, on the Automation API (e2e/automation.ts): the empty program (the
# timing table's floor), previews with the policy pack (PolicyEvents), a bad config in the real CLI, the
# policy-violation fixture, up, Pod Security enforcement, idempotence and drift (expectNoChanges), destroy,
# prod's protect (exportStack/importStack), the rendered manifests with kubectl apply --server-side.
# Its ok/FAIL lines are counted here; `time` lines go to the timing table.
export E2E_WORK=$WORK E2E_PROG=$PROG E2E_POLICY=$POLICY E2E_VIOLATION=$VIOLATION E2E_PROJECT=$PROJECT E2E_MODE=$MODE \
  E2E_DEV_PASS=$DEV_PASS E2E_PROD_PASS=$PROD_PASS E2E_CRDS=$CRDS TOOLCHAIN_BIN
AUTOMATION_SUMMARY=
while IFS= read -r line; do
  case $line in
  "ok   - "*) pass "${line#ok   - }" ;;
  "FAIL - "*) fail "${line#FAIL - }" ;;
  time$'\t'*)
    IFS=$'\t' read -r _ label secs <<<"$line"
    record_time "$label" "$secs"
    ;;
  summary$'\t'*) AUTOMATION_SUMMARY=$line ;;
  *) printf '%s\n' "$line" ;;
  esac
done < <(cd "$COPY" && node -r ts-node/register/transpile-only e2e/automation.ts 2>"$LOGS/automation.stderr")
# a driver that died without its closing line must not pass silently
if [ -z "$AUTOMATION_SUMMARY" ]; then
  fail "e2e/automation.ts ended without its summary line" "$LOGS/automation.stderr"
fi

# ---------------------------------------------------------------------------------------------
# g. the pack's Pod Security verdicts against the API server's own Pod Security admission
# (e2e/pss-differential.ts: generated corpus, server-side dry runs; one ok line, or a FAIL line per disagreement)
if [ "$MODE" = project ] && [ -f "$COPY/e2e/pss-differential.ts" ]; then
  run "$LOGS/pss-differential.log" env -C "$COPY" node -r ts-node/register/transpile-only e2e/pss-differential.ts
  pss_rc=$?
  record_time "Pod Security differential (dry runs)" "$LAST_SECS"
  grep '^# ' "$LOGS/pss-differential.log" | sed 's/^# /       /'
  while IFS= read -r line; do
    case $line in
    "ok   - "*) pass "${line#ok   - }" ;;
    "FAIL - "*) fail "${line#FAIL - }" ;;
    "       object: "*) echo "${line:0:2000}" ;;
    esac
  done <"$LOGS/pss-differential.log"
  if [ $pss_rc -ne 0 ] && ! grep -q '^FAIL - ' "$LOGS/pss-differential.log"; then
    fail "Pod Security differential exited $pss_rc" "$LOGS/pss-differential.log" 20
  fi
fi

# ---------------------------------------------------------------------------------------------
echo
echo "Timings (seconds; pulumi includes starting node, the language host, plugins and the policy pack):"
for k in "${TIME_ORDER[@]}"; do printf '  %-48s %8s\n' "$k" "${TIMES[$k]}"; done
[ -n "$STANDINS" ] && echo "Stand-ins used: $STANDINS(see scripts/toolchain.sh)"
[ -f "$TOOLCHAIN_BIN/PROVENANCE" ] && sed 's/^/Real, older upstream: /' "$TOOLCHAIN_BIN/PROVENANCE"
[ -f "$WORK/ratios.txt" ] && { echo; cat "$WORK/ratios.txt"; }
echo "Logs: $LOGS$([ "${E2E_KEEP:-0}" = 1 ] || echo ' (deleted; E2E_KEEP=1 keeps them)')"
if [ $FAILED -gt 0 ]; then
  echo "Failed checks:"
  for f in "${FAILURES[@]}"; do echo "  - $f"; done
fi
echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
