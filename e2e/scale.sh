#!/usr/bin/env bash
# Scale, simulated (issue 19; see e2e/README.md, "Scale, simulated"): the prod stack with its model-serving
# tier placed by the REAL kube-scheduler on 100 KWOK nodes in three zones with a GPU pool, at its HPA
# minimums and maximums, then 20 platform instances side by side, then a GPU pool too small for them.
# The control plane of e2e/lib/cluster.sh plus kube-scheduler, KWOK and a CSI provisioner stand-in
# (e2e/scale/lib.sh); no kubelet, no container, no bridge, no network namespace, no nftables: loopback only.
#
#   bash e2e/scale.sh            (npm run test:e2e:scale; builds kwok on first use: scripts/toolchain.sh kwok)
#
# Environment:
#   E2E_KEEP=1                      keep the work dir (every log) after the run
#   E2E_WORK_DIR                    where to make the work dir (default: $TMPDIR or /tmp)
#   E2E_SCALE_CPU_NODES (94), E2E_SCALE_GPU_NODES (6), E2E_SCALE_GPUS_PER_NODE (8), E2E_SCALE_INSTANCES (20)
#   E2E_SCALE_CHECKPOINTS=1         the multi-instance `pulumi up` with the backend's checkpoint after every step
#
# Output: one `ok   - ` / `FAIL - ` line per check with its figures, a timing table, peak memory,
# `N passed, N failed`; exit status 0 when every check passed.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/.." && pwd)
# shellcheck source=lib/cluster.sh
. "$E2E_DIR/lib/cluster.sh"
# shellcheck source=scale/lib.sh
. "$E2E_DIR/scale/lib.sh"
# shellcheck source=scale/stacks.sh
. "$E2E_DIR/scale/stacks.sh"

CPU_NODES=${E2E_SCALE_CPU_NODES:-94}
GPU_NODES=${E2E_SCALE_GPU_NODES:-6}
GPUS_PER_NODE=${E2E_SCALE_GPUS_PER_NODE:-8}
INSTANCES=${E2E_SCALE_INSTANCES:-20}
NODES=$((CPU_NODES + GPU_NODES))
T_START=$(now)

# ---------------------------------------------------------------------------------------------
# toolchain: the control plane, kube-scheduler, kwok (built here on first use) and the Pulumi side
export PATH="$PATH:/usr/local/go/bin"
eval "$(bash "$REPO/scripts/toolchain.sh" --env)"
t0=$(now)
TOOLS=(etcd kube-apiserver kube-controller-manager kubectl kube-scheduler kwok pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random plugins)
if ! bash "$REPO/scripts/toolchain.sh" "${TOOLS[@]}" >"${TMPDIR:-/tmp}/rag-scale-e2e-toolchain.log" 2>&1; then
  fail "scripts/toolchain.sh ${TOOLS[*]}" "${TMPDIR:-/tmp}/rag-scale-e2e-toolchain.log"
fi
record_time "toolchain (warm: nothing to build)" "$(elapsed "$t0")"
for b in etcd kube-apiserver kube-controller-manager kubectl kube-scheduler kwok pulumi; do
  command -v "$b" >/dev/null || { fail "$b is not built (scripts/toolchain.sh $b; see its log)"; summary; exit 1; }
done
[ -f "$TOOLCHAIN_BIN/kwok-stages.yaml" ] || { fail "kwok-stages.yaml missing in $TOOLCHAIN_BIN (scripts/toolchain.sh kwok writes it)"; summary; exit 1; }
say "kube-scheduler $(kube-scheduler --version | awk '{print $2}'), $(kwok --version 2>&1 | head -n1), pulumi $(pulumi version)"

WORK=$(mktemp -d "${E2E_WORK_DIR:-${TMPDIR:-/tmp}}/rag-scale-e2e.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
STOPPED=0
teardown() {
  [ $STOPPED = 1 ] && return 0
  STOPPED=1
  sim_stop
  cluster_stop
}
cleanup() {
  local rc=$?
  teardown
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# 1. control plane, scheduler, KWOK, the nodes; the CRDs of prod's monitoring; the operator's EFS class
say "control plane + kube-scheduler + KWOK (work dir $WORK)"
t0=$(now)
if ! cluster_start "$WORK/cluster"; then
  fail "control plane start" "$WORK/cluster/kube-apiserver.log"
  summary
  exit 1
fi
sim_start "$WORK/sim"
record_time "control plane + kube-scheduler + KWOK start" "$(elapsed "$t0")"
t0=$(now)
node -r "$REPO/node_modules/ts-node/register/transpile-only" "$E2E_DIR/scale/nodes.ts" "$CPU_NODES" "$GPU_NODES" "$GPUS_PER_NODE" >"$WORK/nodes.json"
if run "$LOGS/nodes.log" kubectl create -f "$WORK/nodes.json" &&
  run "$LOGS/nodes-ready.log" kubectl wait --for=condition=Ready node --all --timeout=180s; then
  record_time "$NODES nodes created and Ready (KWOK)" "$(elapsed "$t0")"
  ready=$(kubectl get nodes --no-headers | awk '$2=="Ready"' | wc -l)
  zones=$(kubectl get nodes -L topology.kubernetes.io/zone --no-headers | awk '{print $NF}' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
  gpu=$(kubectl get nodes -l nvidia.com/gpu.present=true -o jsonpath='{range .items[*]}{.status.allocatable.nvidia\.com/gpu}{" nvidia.com/gpu, taint "}{.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}{"\n"}{end}' | sort | uniq -c | awk '{$1=$1" nodes x"; print}' | tr '\n' ';')
  if [ "$ready" = "$NODES" ]; then
    pass "$ready simulated nodes Ready (KWOK $(kwok --version 2>&1 | grep -oE 'v[0-9.]+' | head -n1), lease heartbeats): zones ${zones% }; GPU pool ${gpu%;}, labelled nvidia.com/gpu.present=true; CPU nodes 16 CPU / 64Gi (m5.4xlarge), GPU nodes 96 CPU / 1152Gi (p4d.24xlarge)"
  else
    fail "only $ready of $NODES nodes Ready" "$WORK/sim/kwok.log"
  fi
else
  fail "creating $NODES KWOK nodes" "$LOGS/nodes-ready.log"
fi
if crd_files=$(bash "$E2E_DIR/lib/crds.sh" 2>"$LOGS/crds.log") &&
  # shellcheck disable=SC2046
  run "$LOGS/crds-apply.log" kubectl apply --server-side $(printf -- '-f %s ' $crd_files) &&
  run "$LOGS/crds-wait.log" kubectl wait --for condition=established --timeout=60s crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com; then
  pass "prod's monitoring CRDs installed (ServiceMonitor, PrometheusRule from prometheus-operator's module)"
else
  fail "installing the CRDs" "$LOGS/crds-apply.log"
fi
# the operator's RWX class that prod's app-data claim names (components/config/defaults.ts: efs-sc); the
# provisioner stand-in plays efs.csi.aws.com as it plays ebs.csi.aws.com for the platform's own class
kubectl apply -f - >"$LOGS/efs-sc.log" 2>&1 <<'EOF'
{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"efs-sc"},"provisioner":"efs.csi.aws.com",
 "parameters":{"provisioningMode":"efs-ap"},"reclaimPolicy":"Delete","volumeBindingMode":"Immediate"}
EOF

# ---------------------------------------------------------------------------------------------
# 2. prod with the model-serving tier, at the HPAs' minimums
stacks_setup
UP_OK=0
if run "$LOGS/init-prod.log" P init prod && stack_prod_config >"$LOGS/config-prod.log" 2>&1; then
  say "pulumi up prod (policy pack at prod's levels; log: $LOGS/up-prod.log)"
  if run "$LOGS/up-prod.log" P up "${POLICY_ARGS[@]}"; then
    UP_OK=1
    record_time "pulumi up prod (policy pack, skipAwait)" "$LAST_SECS"
    pass "pulumi up prod with the policy pack at prod's levels (policy/config/prod.json): ${LAST_SECS}s, $(created "$LOGS/up-prod.log")"
  else
    record_time "pulumi up prod (FAILED)" "$LAST_SECS"
    fail "pulumi up prod with the policy pack" "$LOGS/up-prod.log" 40
  fi
else
  fail "stack init/config prod" "$LOGS/config-prod.log"
fi
P outputs >"$WORK/outputs.json" 2>"$LOGS/outputs.log"
NS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("namespace",""))' "$WORK/outputs.json" 2>/dev/null)
NS=${NS:-rag-prod}
if [ $UP_OK = 1 ]; then
  check settle --timeout 600 --after "pulumi up returned" "$NS"
  check placement "$NS"
  # the workloads an HPA scales carry no replica count: the API server starts them at 1, the HPA raises them
  hpas=$(kubectl -n "$NS" get hpa --no-headers | wc -l)
  raised=$(kubectl -n "$NS" get events --field-selector reason=SuccessfulRescale -o jsonpath='{range .items[*]}{.involvedObject.name}: {.message}{"\n"}{end}' 2>/dev/null | grep 'below Spec.MinReplicas' | sort -u)
  if [ "$hpas" -gt 0 ] && [ "$(echo "$raised" | grep -c .)" = "$hpas" ]; then
    pass "every HPA raised its workload from the API server's default of 1 (the manifests carry no replica count; no metric is needed below minReplicas): $(echo "$raised" | sed 's/; reason.*//' | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
  else
    fail "$hpas HPA(s), but the HPA raised only: ${raised:-none}"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 3. every HPA at its maximum (kubectl scale of each HPA's target to its maxReplicas: the HPAs have no metric
#    here, so they neither act nor undo it); the backups run once, so that every row of the capacity report has
#    its pods; then the report against the placed pods' requests
if [ $UP_OK = 1 ]; then
  (cd "$PROG" && npm run --silent capacity -- --stack prod --json) >"$WORK/capacity.json" 2>"$LOGS/capacity.log"
  (cd "$PROG" && npm run --silent capacity -- --stack prod) >"$LOGS/capacity.txt" 2>&1
  if python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))["capacity"]; sys.exit(0 if a==b else 1)' "$WORK/capacity.json" "$WORK/outputs.json" 2>/dev/null; then
    pass "npm run capacity -- --stack prod (on the stack's config) is the stack output 'capacity', byte for byte as JSON"
  else
    fail "npm run capacity and the stack output 'capacity' differ" "$LOGS/capacity.log"
  fi
  sed 's/^/       /' "$LOGS/capacity.txt"
  t0=$(now)
  check scale-to-max "$NS"
  check run-cronjobs "$WORK/capacity.json" "$NS"
  check settle --timeout 600 --after "the scale" "$NS"
  record_time "prod at HPA maximum: scale to every pod placed" "$(elapsed "$t0")"
  check placement "$NS"
  check capacity "$WORK/capacity.json" "$NS"
fi

# ---------------------------------------------------------------------------------------------
# 4. INSTANCES platforms side by side, one namespace each: the multi-instance program the tests use
#    (test/fixtures/multi-platform.ts) with prod's config as above, one `pulumi up` in a backend of its own
MULTI_OK=0
MULTI_NS=()
for i in $(seq 1 "$INSTANCES"); do MULTI_NS+=("$NS-$i"); done
if [ $UP_OK = 1 ]; then
  grep -v '^encryptionsalt:' "$PROG/Pulumi.prod.yaml" >"$PROG_MULTI/Pulumi.prod.yaml"
  export RAG_PLATFORM_INSTANCES=$INSTANCES
  # The file backend rewrites the whole state after every step: for 2200 resources in one stack that is
  # quadratic (measured 1594 s against 84 s without, same machine). This throw-away backend skips the
  # intermediate checkpoints (PULUMI_SKIP_CHECKPOINTS: the final state is still written); E2E_SCALE_CHECKPOINTS=1
  # measures with them.
  CKPT_NOTE=", intermediate checkpoints skipped"
  [ "${E2E_SCALE_CHECKPOINTS:-0}" = 1 ] && CKPT_NOTE=", with a checkpoint after every step"
  MP=(env PULUMI_BACKEND_URL="file://$WORK/state-multi?metadata=skip" E2E_PROG="$PROG_MULTI")
  [ "${E2E_SCALE_CHECKPOINTS:-0}" = 1 ] || MP+=(PULUMI_SKIP_CHECKPOINTS=true)
  say "pulumi up of $INSTANCES instances (test/fixtures/multi-platform.ts; log: $LOGS/up-multi.log)"
  t0=$(now)
  if run "$LOGS/init-multi.log" "${MP[@]}" P init prod &&
    run "$LOGS/up-multi.log" "${MP[@]}" P up --policy-pack "$PROG_MULTI/policy" --policy-pack-config "$PROG_MULTI/policy/config/prod.json"; then
    up_secs=$LAST_SECS
    record_time "pulumi up, $INSTANCES instances (policy pack, skipAwait)" "$up_secs"
    pass "pulumi up of $INSTANCES prod instances in one program with the policy pack: ${up_secs}s, $(created "$LOGS/up-multi.log")$CKPT_NOTE"
    t1=$(now)
    check settle --timeout 1200 --after "pulumi up returned" "${MULTI_NS[@]}" && MULTI_OK=1
    all=$(elapsed "$t0")
    record_time "$INSTANCES instances: pulumi up start to every pod placed" "$all"
    echo "       $INSTANCES instances: pulumi up ${up_secs}s + placement $(elapsed "$t1")s after it = ${all}s"
    check placement "${MULTI_NS[@]}"
  else
    fail "pulumi up of $INSTANCES instances" "$LOGS/up-multi.log" 40
  fi
fi

# ---------------------------------------------------------------------------------------------
# 5. a GPU pool too small: every instance at its HPA maximum asks more GPUs than the pool has; the pods left
#    unplaced are reported with the scheduler's own reason (PodScheduled=False, FailedScheduling events)
if [ $MULTI_OK = 1 ]; then
  t0=$(now)
  check scale-to-max "${MULTI_NS[@]}"
  check settle --pending --timeout 900 --after "the scale" "${MULTI_NS[@]}"
  record_time "$INSTANCES instances at HPA maximum: until the scheduler settles" "$(elapsed "$t0")"
  check pending "$NS" "${MULTI_NS[@]}"
  # what did get placed at the maximum still keeps the rules (API: 10 replicas per instance over the zones)
  check placement "${MULTI_NS[@]}"
fi

# ---------------------------------------------------------------------------------------------
PEAK_MEMORY=$(sim_peak_memory)
echo "       objects: $(kubectl get pods -A --no-headers 2>/dev/null | wc -l) pods, $(kubectl get pvc -A --no-headers 2>/dev/null | wc -l) claims ($(kubectl get pv --no-headers 2>/dev/null | wc -l) volumes from the provisioner stand-in), $(kubectl get ns --no-headers | wc -l) namespaces"
say "teardown"
t0=$(now)
teardown
left=""
for p in kube-scheduler kwok etcd kube-apiserver kube-controller-manager; do
  pgrep -f "$WORK" -a 2>/dev/null | grep -q "$p" && left+="$p "
done
if [ -z "$left" ]; then
  pass "teardown: no process of the run left (control plane, scheduler, KWOK, provisioner)"
else
  fail "teardown left: $left"
fi
record_time "teardown" "$(elapsed "$t0")"
record_time "total" "$(elapsed "$T_START")"
summary
[ $FAILED -eq 0 ]
