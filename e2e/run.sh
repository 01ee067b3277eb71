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
# Output: a line per check, a timing table and the closing line `N passed, N failed`.
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
mkdir -p "$WORK/pulumi-home" "$WORK/state"
ln -s "$PULUMI_HOME/plugins" "$WORK/pulumi-home/plugins"
export PULUMI_HOME=$WORK/pulumi-home
export PULUMI_BACKEND_URL=file://$WORK/state
export PULUMI_SKIP_CONFIRMATIONS=true PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_NODEJS_TRANSPILE_ONLY=${E2E_TRANSPILE_ONLY:-true}
export NO_COLOR=1 FORCE_COLOR=0
unset PULUMI_ACCESS_TOKEN

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
mkdir -p "$COPY"
tar -C "$REPO" --exclude=./node_modules --exclude=./.git --exclude=./.pulumi --exclude=./.pulumi-state \
  --exclude=./rendered --exclude=./.e2e -cf - . | tar -C "$COPY" -xf -
ln -s "$REPO/node_modules" "$COPY/node_modules"
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

# Helpers as small scripts (so that `timeout` can run them):
#   p STACK ARGS...          pulumi in $PDIR (default: the program) on STACK, with that stack's passphrase
#   stack_init STACK [FROM]  init STACK in $PDIR with the passphrase provider (copying FROM's config)
mkdir -p "$WORK/bin"
cat >"$WORK/bin/p" <<'EOF'
#!/usr/bin/env bash
stack=$1; shift
pass=$E2E_DEV_PASS; [ "$stack" = prod ] && pass=$E2E_PROD_PASS
cd "${PDIR:-$E2E_PROG}" && PULUMI_CONFIG_PASSPHRASE=$pass exec pulumi --non-interactive --color never -s "$stack" "$@"
EOF
cat >"$WORK/bin/stack_init" <<'EOF'
#!/usr/bin/env bash
stack=$1; pass=$E2E_DEV_PASS; [ "$stack" = prod ] && pass=$E2E_PROD_PASS
cd "${PDIR:-$E2E_PROG}" && PULUMI_CONFIG_PASSPHRASE=$pass exec pulumi --non-interactive --color never \
  stack init "$stack" --secrets-provider passphrase ${2:+--copy-config-from "$2"}
EOF
chmod +x "$WORK/bin/p" "$WORK/bin/stack_init"
export PATH="$WORK/bin:$PATH" E2E_DEV_PASS=$DEV_PASS E2E_PROD_PASS=$PROD_PASS E2E_PROG=$PROG

# policy_args STACK: the pack, and its per-stack config when the pack has one (as scripts/pulumi.sh does)
policy_args() {
  echo "--policy-pack" "$POLICY"
  [ -f "$POLICY/config/$1.json" ] && echo "--policy-pack-config" "$POLICY/config/$1.json"
}

has_config_key() { # STACK KEY: does Pulumi.STACK.yaml set PROJECT:KEY (or an object under it)?
  grep -qE "^[[:space:]]+\"?$PROJECT:$2\"?:" "$PROG/Pulumi.$1.yaml" 2>/dev/null
}

# wait_namespaces_gone NS...: after a destroy, each namespace must disappear (namespace controller)
# or, without kube-controller-manager, at least be Terminating.
wait_namespaces_gone() {
  local ns gone
  for ns in "$@"; do
    gone=0
    for _ in $(seq 1 "${E2E_NS_WAIT:-90}"); do
      kubectl get ns "$ns" >/dev/null 2>&1 || { gone=1; break; }
      [ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ] || break
      sleep 1
    done
    if [ $gone = 1 ]; then
      pass "namespace $ns removed (namespace controller finished)"
    elif [ -n "$(kubectl get ns "$ns" -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null)" ]; then
      if [ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ]; then
        fail "namespace $ns still Terminating after ${E2E_NS_WAIT:-90}s: $(kubectl get ns "$ns" -o jsonpath='{.status.conditions}' 2>/dev/null | cut -c1-300)"
      else
        pass "namespace $ns is Terminating (deletionTimestamp set; no namespace controller without kube-controller-manager)"
      fi
    else
      fail "namespace $ns still exists and is not being deleted"
    fi
  done
}

# platform_namespaces: namespaces that enforce Pod Security restricted
platform_namespaces() {
  kubectl get ns -l pod-security.kubernetes.io/enforce=restricted -o jsonpath='{.items[*].metadata.name}' 2>/dev/null
}

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

# CRDs of the optional objects (ServiceMonitor, PrometheusRule, VerticalPodAutoscaler), from the upstream
# modules, so that prod is admitted with its monitoring on (e2e/lib/crds.sh)
if crd_files=$(bash "$E2E_DIR/lib/crds.sh" 2>"$LOGS/crds.log") &&
  run "$LOGS/crds-apply.log" kubectl apply --server-side $(printf -- '-f %s ' $crd_files) &&
  run "$LOGS/crds-wait.log" kubectl wait --for condition=established --timeout=60s \
    crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com crd/verticalpodautoscalers.autoscaling.k8s.io; then
  pass "CRDs installed: ServiceMonitor, PrometheusRule (prometheus-operator), VerticalPodAutoscaler (autoscaler)"
  CRDS=1
else
  fail "installing the monitoring and VPA CRDs" "$LOGS/crds-apply.log"
  CRDS=0
fi

# ---------------------------------------------------------------------------------------------
# c. previews with the policy pack
for s in dev prod; do
  if ! run "$LOGS/init-$s.log" stack_init "$s"; then fail "stack init $s" "$LOGS/init-$s.log"; continue; fi
  [ "$s" = prod ] && PROD_INIT=1
  run "$LOGS/config-$s.log" p "$s" config set "$PROJECT:skipAwait" true
  if run "$LOGS/preview-$s.log" p "$s" preview $(policy_args "$s") --diff=false; then
    record_time "pulumi preview $s (policy pack)" "$LAST_SECS"
    if grep -qE '\[mandatory\]' "$LOGS/preview-$s.log"; then
      fail "preview $s: mandatory violations reported" "$LOGS/preview-$s.log" 60
    elif grep -q 'server-side dry run of' "$LOGS/preview-$s.log"; then
      fail "preview $s: the API server's dry run rejected objects: $(grep -m1 'server-side dry run of' "$LOGS/preview-$s.log" | cut -c1-300)"
    else
      pass "preview $s with the policy pack: no mandatory violation (${LAST_SECS}s)"
    fi
  else
    fail "preview $s with the policy pack" "$LOGS/preview-$s.log" 80
  fi
done

# the deliberately broken program must be rejected by the same pack
if PDIR=$VIOLATION run "$LOGS/init-violation.log" stack_init dev; then
  if PDIR=$VIOLATION run "$LOGS/preview-violation.log" p dev preview $(policy_args dev) --diff=false; then
    fail "preview of e2e/fixtures/policy-violation must fail (it passed)" "$LOGS/preview-violation.log" 60
  elif grep -qE '\[mandatory\]' "$LOGS/preview-violation.log" && grep -qi 'memory' "$LOGS/preview-violation.log"; then
    pass "preview of a Deployment without a memory limit fails with the pack's mandatory violation:"
    grep -A3 '\[mandatory\]' "$LOGS/preview-violation.log" | sed 's/^ */       /' | cut -c1-200
  else
    fail "preview of e2e/fixtures/policy-violation failed, but not with a mandatory memory-limit violation" "$LOGS/preview-violation.log" 60
  fi
else
  fail "stack init for e2e/fixtures/policy-violation" "$LOGS/init-violation.log"
fi

# ---------------------------------------------------------------------------------------------
# d. up dev
UP_OK=0
if run "$LOGS/up-dev.log" p dev up --yes --skip-preview $(policy_args dev) --diff=false; then
  record_time "pulumi up dev (create)" "$LAST_SECS"
  UP_OK=1
  pass "pulumi up dev: every object accepted by the API server (${LAST_SECS}s, $(grep -oE '\+ [0-9]+ created' "$LOGS/up-dev.log" | head -n1))"
else
  fail "pulumi up dev" "$LOGS/up-dev.log" 80
fi
if grep -qiE 'would violate PodSecurity|violates PodSecurity' "$LOGS/up-dev.log"; then
  fail "pulumi up dev: the API server warned about Pod Security" "$LOGS/up-dev.log" 60
elif [ $UP_OK = 1 ]; then
  pass "no Pod Security warnings from the API server during up"
fi

PSA_NS=$(platform_namespaces)
if [ $UP_OK = 1 ]; then
  if [ -z "$PSA_NS" ]; then
    fail "no namespace with pod-security.kubernetes.io/enforce=restricted after up"
  else
    for ns in $PSA_NS; do
      # without kube-controller-manager nobody creates the default ServiceAccount the probe needs
      [ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ] || kubectl -n "$ns" create serviceaccount default >/dev/null 2>&1
      out=$(kubectl -n "$ns" run e2e-root-probe --image=busybox:1.36 --restart=Never \
        --overrides='{"spec":{"securityContext":{"runAsUser":0}}}' -- sleep 1 2>&1)
      if [ $? -ne 0 ] && echo "$out" | grep -q 'violates PodSecurity "restricted'; then
        pass "API server rejects a root pod in namespace $ns (Pod Security restricted enforced)"
      else
        kubectl -n "$ns" delete pod e2e-root-probe --ignore-not-found >/dev/null 2>&1
        fail "a root pod was not rejected in namespace $ns: $out"
      fi
    done
    # workload controllers create Pods from the program's templates: none may be refused
    sleep "${E2E_CONTROLLER_SETTLE:-8}"
    for ns in $PSA_NS; do
      refused=$(kubectl -n "$ns" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.involvedObject.kind}/{.involvedObject.name}: {.message}{"\n"}{end}' 2>/dev/null)
      pods=$(kubectl -n "$ns" get pods --no-headers 2>/dev/null | wc -l)
      if [ -n "$refused" ]; then
        fail "controllers could not create Pods in $ns: $refused"
      elif [ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ]; then
        pass "controllers created $pods Pod(s) in $ns from the workload templates, none refused by admission"
      fi
    done
  fi
fi

# ---------------------------------------------------------------------------------------------
# e. idempotence, drift, destroy
if [ $UP_OK = 1 ]; then
  if run "$LOGS/up-dev-2.log" p dev up --yes --skip-preview --expect-no-changes --diff=false; then
    record_time "pulumi up dev (no changes)" "$LAST_SECS"
    pass "second pulumi up reports no changes (${LAST_SECS}s)"
  else
    fail "second pulumi up --expect-no-changes" "$LOGS/up-dev-2.log" 80
  fi
  if run "$LOGS/refresh-dev.log" p dev refresh --yes --expect-no-changes --diff; then
    record_time "pulumi refresh dev" "$LAST_SECS"
    pass "pulumi refresh --expect-no-changes: no drift (${LAST_SECS}s)"
  else
    fail "pulumi refresh --expect-no-changes" "$LOGS/refresh-dev.log" 80
  fi
  # drift must be seen: change a label the program sets, refresh must report it, up must restore it
  ns1=${PSA_NS%% *}
  if [ -n "$ns1" ] && kubectl label ns "$ns1" pod-security.kubernetes.io/enforce=baseline --overwrite >/dev/null 2>&1; then
    if run "$LOGS/refresh-drift.log" p dev refresh --yes --expect-no-changes --diff; then
      fail "pulumi refresh did not report a label changed with kubectl" "$LOGS/refresh-drift.log" 40
    elif ! grep -q 'no changes were expected' "$LOGS/refresh-drift.log"; then
      fail "pulumi refresh after a kubectl change failed for another reason" "$LOGS/refresh-drift.log" 40
    elif run "$LOGS/up-drift.log" p dev up --yes --skip-preview --diff=false &&
      [ "$(kubectl get ns "$ns1" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted ]; then
      pass "drift is detected: refresh reports a label changed with kubectl, pulumi up restores it"
    else
      fail "pulumi up after drift did not restore the label" "$LOGS/up-drift.log" 40
    fi
  fi
  if run "$LOGS/destroy-dev.log" p dev destroy --yes; then
    record_time "pulumi destroy dev" "$LAST_SECS"
    pass "pulumi destroy dev (${LAST_SECS}s)"
    wait_namespaces_gone $PSA_NS
  else
    fail "pulumi destroy dev" "$LOGS/destroy-dev.log" 80
  fi
fi

# prod: protect must block destroy until unprotected
if [ "${PROD_INIT:-0}" = 1 ]; then
  # prod keeps its monitoring on (ServiceMonitors, PrometheusRule) when the CRDs are installed
  if [ "$CRDS" != 1 ]; then
    run "$LOGS/config-prod-mon.log" p prod config set --path "$PROJECT:monitoring.enabled" false
  fi
  if run "$LOGS/up-prod.log" p prod up --yes --skip-preview $(policy_args prod) --diff=false; then
    record_time "pulumi up prod (create)" "$LAST_SECS"
    pass "pulumi up prod (${LAST_SECS}s, $(grep -oE '\+ [0-9]+ created' "$LOGS/up-prod.log" | head -n1))"
    PROD_NS=$(for n in $(platform_namespaces); do case " $PSA_NS " in *" $n "*) ;; *) echo "$n" ;; esac; done)
    if [ "$CRDS" = 1 ]; then
      sm=$(kubectl get servicemonitors.monitoring.coreos.com -n "$PROD_NS" -o name 2>/dev/null | wc -l)
      pr=$(kubectl get prometheusrules.monitoring.coreos.com -n "$PROD_NS" -o name 2>/dev/null | wc -l)
      if [ "$sm" -ge 1 ] && [ "$pr" -ge 1 ]; then
        pass "prod monitoring admitted by the API server against the upstream CRD schemas: $sm ServiceMonitor(s), $pr PrometheusRule(s)"
      else
        fail "prod monitoring objects missing after up: $sm ServiceMonitor(s), $pr PrometheusRule(s)"
      fi
    fi
    if run "$LOGS/destroy-prod-protected.log" p prod destroy --yes; then
      fail "pulumi destroy prod succeeded although resources are protected"
    elif grep -qi 'protect' "$LOGS/destroy-prod-protected.log"; then
      prot=$(grep -oE '"urn:pulumi:[^"]+" cannot be deleted' "$LOGS/destroy-prod-protected.log" | sed -E 's/^"urn:pulumi:[^:]*::[^:]*::([^"]*)::([^"]*)".*/\1 \2/; s/^.*:([^: ]+) /\1 /' | sort -u)
      pass "pulumi destroy prod refused by protect: $(echo "$prot" | grep -c .) protected resource(s): $(echo "$prot" | tr '\n' ',' | sed 's/,$//' | cut -c1-200)"
    else
      fail "pulumi destroy prod failed, but not because of protect" "$LOGS/destroy-prod-protected.log" 40
    fi
    if run "$LOGS/unprotect-prod.log" p prod state unprotect --all --yes && run "$LOGS/destroy-prod.log" p prod destroy --yes; then
      record_time "pulumi destroy prod (after unprotect)" "$LAST_SECS"
      pass "pulumi state unprotect --all, then destroy prod (${LAST_SECS}s)"
      wait_namespaces_gone ${PROD_NS:-}
    else
      fail "unprotect + destroy prod" "$LOGS/destroy-prod.log" 60
    fi
  else
    fail "pulumi up prod" "$LOGS/up-prod.log" 80
  fi
fi

# ---------------------------------------------------------------------------------------------
# f. the same objects with kubectl apply --server-side, for comparison
RENDER=$WORK/rendered
if run "$LOGS/init-render.log" stack_init render dev; then
  run "$LOGS/config-render-dir.log" p render config set "$PROJECT:renderYamlToDirectory" "$RENDER"
  if run "$LOGS/up-render.log" p render up --yes --skip-preview --diff=false && [ -d "$RENDER/1-manifest" ]; then
    record_time "pulumi up (renderYamlToDirectory, no cluster)" "$LAST_SECS"
    n=$(find "$RENDER" -name '*.yaml' | wc -l)
    pass "rendered $n manifests with renderYamlToDirectory (${LAST_SECS}s)"
    nsfiles=$(grep -l '^kind: Namespace' "$RENDER"/1-manifest/*.yaml 2>/dev/null)
    t0=$(now)
    if { [ -z "$nsfiles" ] || kubectl apply --server-side --field-manager e2e $(printf -- '-f %s ' $nsfiles) >"$LOGS/kubectl-apply.log" 2>&1; } &&
      kubectl apply --server-side --field-manager e2e -R -f "$RENDER" >>"$LOGS/kubectl-apply.log" 2>&1; then
      record_time "kubectl apply --server-side (create)" "$(elapsed "$t0")"
      pass "kubectl apply --server-side of the same $n objects (${TIMES["kubectl apply --server-side (create)"]}s)"
      t0=$(now)
      if kubectl apply --server-side --field-manager e2e -R -f "$RENDER" >"$LOGS/kubectl-apply-2.log" 2>&1; then
        record_time "kubectl apply --server-side (no changes)" "$(elapsed "$t0")"
        pass "re-applying the rendered manifests with kubectl apply --server-side is idempotent"
      else
        fail "re-applying the rendered manifests (GitOps) fails: $(grep -vE 'serverside-applied|unchanged' "$LOGS/kubectl-apply-2.log" | head -n3 | tr '\n' ' ' | cut -c1-300)"
      fi
      t0=$(now)
      if kubectl delete -R -f "$RENDER" --wait=true --timeout=120s >"$LOGS/kubectl-delete.log" 2>&1; then
        record_time "kubectl delete (wait)" "$(elapsed "$t0")"
      fi
    else
      fail "kubectl apply --server-side of the rendered manifests" "$LOGS/kubectl-apply.log" 40
    fi
  else
    fail "pulumi up with renderYamlToDirectory" "$LOGS/up-render.log" 60
  fi
fi

# ---------------------------------------------------------------------------------------------
echo
echo "Timings (seconds; pulumi includes starting node, the language host, plugins and the policy pack):"
for k in "${TIME_ORDER[@]}"; do printf '  %-48s %8s\n' "$k" "${TIMES[$k]}"; done
[ -n "$STANDINS" ] && echo "Stand-ins used: $STANDINS(see scripts/toolchain.sh)"
[ -f "$TOOLCHAIN_BIN/PROVENANCE" ] && sed 's/^/Real, older upstream: /' "$TOOLCHAIN_BIN/PROVENANCE"
echo "Logs: $LOGS$([ "${E2E_KEEP:-0}" = 1 ] || echo ' (deleted; E2E_KEEP=1 keeps them)')"
if [ $FAILED -gt 0 ]; then
  echo "Failed checks:"
  for f in "${FAILURES[@]}"; do echo "  - $f"; done
fi
echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
