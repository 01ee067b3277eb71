#!/usr/bin/env bash
# End-to-end test on a node that really runs pods (see e2e/README.md, "The node"): the control plane
# of e2e/lib/cluster.sh plus containerd, kubelet, kube-scheduler, kube-proxy (nftables), CoreDNS and
# local-path-provisioner on this machine (e2e/lib/node.sh), images built here (images/build.sh), and
# the dev stack deployed by the real Pulumi CLI with the policy pack and WITHOUT skipAwait.
#
#   bash e2e/node.sh            (scripts/ci-e2e.sh runs it after e2e/run.sh)
#
# Environment:
#   E2E_KEEP=1            keep the work dir (every log) after the run
#   E2E_WORK_DIR          where to make the work dir (default: $TMPDIR or /tmp)
#   E2E_NODE_REQUIRED=1   a machine that cannot run the node is a failure (default: one SKIP line)
#   E2E_APP_DIR           a packaged app (OUTDIR/app of app/scripts/package.sh) to use instead of
#                         packaging ./app
#
# Output: one `ok   - ` / `FAIL - ` line per check, a timing table, `N passed, N failed`.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/.." && pwd)
# shellcheck source=lib/cluster.sh
. "$E2E_DIR/lib/cluster.sh"
# shellcheck source=lib/node.sh
. "$E2E_DIR/lib/node.sh"

PASSED=0
FAILED=0
FAILURES=()
declare -A TIMES=()
TIME_ORDER=()
say() { printf '[node-e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$1"; }
fail() {
  FAILED=$((FAILED + 1))
  FAILURES+=("$1")
  printf 'FAIL - %s\n' "$1"
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "----- last lines of $2"; tail -n "${3:-30}" "$2" | cut -c1-300; echo "-----"; }
  return 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
record_time() { [ -n "${TIMES[$1]+x}" ] || TIME_ORDER+=("$1"); TIMES[$1]=$2; }
run() { # LOG CMD...
  local logf=$1 t0 rc
  shift
  t0=$(now)
  echo "\$ $*" >"$logf"
  # in the background + wait, so that a signal runs the teardown trap at once
  timeout "${E2E_STEP_TIMEOUT:-1200}" "$@" >>"$logf" 2>&1 &
  wait $!
  rc=$?
  LAST_SECS=$(elapsed "$t0")
  echo "[exit $rc after ${LAST_SECS}s]" >>"$logf"
  return $rc
}
summary() {
  echo
  if [ ${#TIME_ORDER[@]} -gt 0 ]; then
    echo "Timings (seconds):"
    for k in "${TIME_ORDER[@]}"; do printf '  %-62s %8s\n' "$k" "${TIMES[$k]}"; done
  fi
  echo "Logs: ${WORK:-none}$([ "${E2E_KEEP:-0}" = 1 ] || echo ' (deleted; E2E_KEEP=1 keeps them)')"
  if [ $FAILED -gt 0 ]; then
    echo "Failed checks:"
    for f in "${FAILURES[@]}"; do echo "  - $f"; done
  fi
  echo "$PASSED passed, $FAILED failed"
}

# ---------------------------------------------------------------------------------------------
# toolchain, host packages, can this machine run a node?
export PATH="$PATH:/usr/local/go/bin"
eval "$(bash "$REPO/scripts/toolchain.sh" --env)"
# The node part needs only the Kubernetes binaries: build them (or find them built) first, and the
# Pulumi side only before the stack is deployed (a cold toolchain build overlaps with the node checks).
NODE_BINS=(etcd kube-apiserver kube-controller-manager kubectl kubelet kube-scheduler kube-proxy coredns local-path-provisioner)
for b in "${NODE_BINS[@]}"; do
  [ -x "$TOOLCHAIN_BIN/$b" ] && [ -f "$TOOLCHAIN_BIN/.stamp-$b" ] && continue
  bash "$REPO/scripts/toolchain.sh" "${NODE_BINS[@]}" >"${TMPDIR:-/tmp}/rag-node-e2e-toolchain.log" 2>&1
  break
done
bash "$E2E_DIR/node/host-packages.sh" >/tmp/rag-e2e-host-packages.log 2>&1 || true
if ! why=$(node_check); then
  if [ "${E2E_NODE_REQUIRED:-0}" = 1 ]; then
    fail "this machine cannot run the node: $why"
    summary
    exit 1
  fi
  echo "SKIP - node e2e: this machine cannot run pods ($why); only the admission-only checks of e2e/run.sh ran"
  summary
  exit 0
fi

WORK=$(mktemp -d "${E2E_WORK_DIR:-${TMPDIR:-/tmp}}/rag-node-e2e.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
STOPPED=0
teardown() {
  [ $STOPPED = 1 ] && return 0
  STOPPED=1
  [ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null
  [ -n "${INGRESS_STANDIN_PID:-}" ] && kill "$INGRESS_STANDIN_PID" 2>/dev/null
  node_stop
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
# images: the app (packaged from ./app when it exists) and the datastores
APPDIR=${E2E_APP_DIR:-}
if [ -z "$APPDIR" ] && [ -f "$REPO/app/scripts/package.sh" ]; then
  if run "$LOGS/app-package.log" bash "$REPO/app/scripts/package.sh" "$WORK/app-pkg"; then
    APPDIR=$WORK/app-pkg/app
    record_time "app: package.sh" "$LAST_SECS"
  else
    fail "app/scripts/package.sh" "$LOGS/app-package.log"
  fi
fi
declare -A IMG=()
while read -r k v; do IMG[$k]=$v; done < <(bash "$REPO/images/build.sh" --refs)
NODE_REPO=$REPO
NODE_APPDIR=$APPDIR
NODE_PAUSE_IMAGE=${IMG[pause]}
NODE_BUSYBOX_IMAGE=${IMG[busybox]}
NODE_IMAGES=""
say "building images (cached in ${RAG_IMAGE_CACHE:-$HOME/.cache/rag-platform-images}; log: $LOGS/images.log)"
t0=$(now)
if [ -n "$APPDIR" ]; then IMGS="pause busybox postgres redis chroma node rag-api rag-frontend rag-indexer"; else IMGS="pause busybox postgres redis chroma node"; fi
# shellcheck disable=SC2086
if bash "$REPO/images/build.sh" ${APPDIR:+--app "$APPDIR"} $IMGS >"$LOGS/images.out" 2>"$LOGS/images.log"; then
  record_time "images: build (or cache hit)" "$(elapsed "$t0")"
  pass "images built here without a registry or daemon: $(awk '{print $1}' "$LOGS/images.out" | sed 's#localhost/rag-e2e/##' | tr '\n' ' ')"
else
  record_time "images: build (or cache hit)" "$(elapsed "$t0")"
  fail "images/build.sh" "$LOGS/images.log"
fi
NODE_IMAGES=$IMGS

# ---------------------------------------------------------------------------------------------
# control plane + node
say "starting the control plane and the node (work dir $WORK)"
t0=$(now)
if ! cluster_start "$WORK/cluster"; then
  fail "control plane start" "$WORK/cluster/kube-apiserver.log"
  summary
  exit 1
fi
if node_start "$WORK/node" 2>"$LOGS/node-start.err"; then
  record_time "control plane + node start (images imported)" "$(elapsed "$t0")"
  pass "node $NODE_NAME Ready: containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), kubelet/kube-proxy (nftables) $(kubelet --version | awk '{print $2}'), CoreDNS on $NODE_GW, bridge $NODE_BRIDGE, guard table inet $NODE_NFT_TABLE"
else
  fail "node start: $(tr '\n' ' ' <"$LOGS/node-start.err" | cut -c1-600)"
  summary
  exit 1
fi
K() { kubectl "$@"; }

# the guard really drops: a pod-range address outside the bridge subnet routes to the default
# interface, and must never get there
d0=$(node_guard_drops)
curl -s -o /dev/null --max-time 2 http://10.244.255.254/ 2>/dev/null
d1=$(node_guard_drops)
if [ "$d1" -gt "$d0" ]; then
  pass "network guard: a packet to 10.244.255.254 (pod range, off the bridge) was dropped before leaving ($((d1 - d0)) packet(s))"
else
  fail "network guard did not drop a packet to the pod range routed off the bridge"
fi

# ---------------------------------------------------------------------------------------------
# 1. a single restricted pod on the node: Ready through its probe, answers on its pod IP, and a
#    second pod reaches it through a Service name (cluster DNS + kube-proxy), before any host->Service.
SMOKE_NS=e2e-smoke
K create namespace $SMOKE_NS >/dev/null
K label namespace $SMOKE_NS pod-security.kubernetes.io/enforce=restricted >/dev/null
restricted_pod() { # NAME IMAGE LABELS COMMAND...(json array)
  cat <<EOF
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":$3},
 "spec":{"automountServiceAccountToken":false,"restartPolicy":"Never","enableServiceLinks":false,
  "securityContext":{"runAsNonRoot":true,"runAsUser":65534,"runAsGroup":65534,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"main","image":"$2","imagePullPolicy":"Never","command":$4,
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
   "resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"cpu":"200m","memory":"64Mi"}}
   $5}]}}
EOF
}
restricted_pod web "${IMG[busybox]}" '{"app":"web"}' '["httpd","-f","-p","8080","-h","/etc"]' \
  ',"ports":[{"containerPort":8080}],"readinessProbe":{"httpGet":{"path":"/passwd","port":8080},"periodSeconds":2}' >"$WORK/web.json"
t0=$(now)
if K -n $SMOKE_NS apply -f "$WORK/web.json" >"$LOGS/smoke.log" 2>&1 &&
  K -n $SMOKE_NS wait --for=condition=Ready pod/web --timeout=120s >>"$LOGS/smoke.log" 2>&1; then
  ip=$(K -n $SMOKE_NS get pod web -o jsonpath='{.status.podIP}')
  record_time "restricted pod Ready (create -> Ready)" "$(elapsed "$t0")"
  if curl -fsS --max-time 5 "http://$ip:8080/passwd" >/dev/null 2>>"$LOGS/smoke.log"; then
    pass "a restricted pod (non-root, read-only root FS, drop ALL, seccomp) is Ready through its httpGet probe and answers on its pod IP $ip"
  else
    fail "restricted pod Ready but its pod IP $ip does not answer from the host" "$LOGS/smoke.log"
  fi
else
  fail "restricted pod not Ready: $(K -n $SMOKE_NS describe pod web 2>&1 | tail -n 8 | tr '\n' ' ' | cut -c1-500)" "$LOGS/smoke.log"
fi
K -n $SMOKE_NS expose pod web --name web --port 80 --target-port 8080 >>"$LOGS/smoke.log" 2>&1
# client pods run the node image built here (busybox-static's wget segfaults on this machine)
fetch_cmd() { # URL -> JSON command array: fetch URL (retrying for 30 s), print status and body
  python3 - "$1" <<'PY'
import json, sys
js = ("const u=process.argv[1];(async()=>{for(let i=0;i<30;i++){try{const r=await fetch(u,{signal:AbortSignal.timeout(4000)});"
      "const t=await r.text();console.log(r.status,t.slice(0,300));if(r.ok)process.exit(0)}catch(e){console.log(String(e.cause||e))}"
      "await new Promise(s=>setTimeout(s,1000))}process.exit(1)})()")
print(json.dumps(["node", "-e", js, sys.argv[1]]))
PY
}
restricted_pod client "${IMG[node]}" '{"app":"client"}' "$(fetch_cmd "http://web.$SMOKE_NS.svc.cluster.local/passwd")" '' >"$WORK/client.json"
K -n $SMOKE_NS apply -f "$WORK/client.json" >>"$LOGS/smoke.log" 2>&1
if node_wait 90 sh -c "kubectl -n $SMOKE_NS get pod client -o jsonpath='{.status.phase}' | grep -qE 'Succeeded|Failed'" &&
  [ "$(K -n $SMOKE_NS get pod client -o jsonpath='{.status.phase}')" = Succeeded ]; then
  pass "pod -> Service by name: web.$SMOKE_NS.svc.cluster.local resolved by CoreDNS and routed by kube-proxy (nftables) to the pod"
else
  fail "pod -> Service by name failed: $(K -n $SMOKE_NS logs client 2>&1 | tail -n 5 | tr '\n' ' ' | cut -c1-400)"
fi
SVC_IP=$(K -n $SMOKE_NS get svc web -o jsonpath='{.spec.clusterIP}')
if curl -fsS --max-time 5 "http://$SVC_IP/passwd" >/dev/null 2>>"$LOGS/smoke.log"; then
  pass "host -> Service ClusterIP $SVC_IP answers (after the pod -> Service check; the guard table keeps it on $NODE_BRIDGE)"
else
  fail "host -> Service ClusterIP $SVC_IP does not answer" "$LOGS/smoke.log"
fi
K delete namespace $SMOKE_NS --wait=false >/dev/null 2>&1

# ---------------------------------------------------------------------------------------------
# the platform (sourced so that the helpers, counters and the work dir are shared)
# shellcheck source=node/platform.sh
. "$E2E_DIR/node/platform.sh"

# ---------------------------------------------------------------------------------------------
# teardown, then: did it leave anything behind?
say "teardown"
t0=$(now)
teardown
record_time "teardown (node + control plane)" "$(elapsed "$t0")"
left=$(node_leftovers)
if [ -z "$left" ]; then
  pass "teardown left nothing: no process, cgroup, mount under the work dir, netns, veth, bridge, nft table or KUBE-/CNI- iptables rule"
else
  fail "teardown left: $left"
fi
summary
[ $FAILED -eq 0 ]
