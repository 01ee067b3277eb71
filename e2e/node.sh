#!/usr/bin/env bash
# End-to-end tests on a cluster whose nodes really run pods (see e2e/README.md, "The nodes"): the project's
# own cluster (scripts/cluster/: control plane, CoreDNS, local-path-provisioner, and per node a network
# namespace with containerd, kubelet and kube-proxy), images built here (images/build.sh), the stacks deployed
# by the real Pulumi CLI with the policy pack and WITHOUT skipAwait. One cluster serves every tier asked for:
#   node   the dev stack: every pod Ready, a document cited, data surviving pod loss, a rolling update with 0
#          failed requests, secret rotation, backup and restore, destroy, rendered manifests with kubectl
#   ha     the prod shape on three nodes: placement, drains and node loss under load, a datastore going away,
#          the HPA scaling up and down, a rolling update under load (e2e/ha/)
#
#   bash e2e/node.sh                        tier node, one node (npm run test:e2e:node)
#   bash e2e/ha.sh                          tier ha, three nodes (npm run test:e2e:ha)
#   E2E_TIERS="node ha" bash e2e/node.sh    both on one three-node cluster (what .ci/run runs)
#
# Environment: E2E_TIERS, E2E_NODES (default 1 for "node" alone, else 3), E2E_KEEP=1 (keep the work dir and
# every log), E2E_WORK_DIR, E2E_NODE_REQUIRED=1 (a machine that cannot run nodes fails instead of one SKIP
# line), E2E_APP_DIR (a packaged app, OUTDIR/app of app/scripts/package.sh, instead of packaging ./app),
# E2E_NETPOL=1 (NetworkPolicies enforced: kube-router's policy controller on every node, DNS pods in
# kube-system; the node tier then probes its connection matrix, e2e/netpol/), E2E_CLUSTER (the cluster profile,
# default e2e, ha for e2e/ha.sh; another name needs its own CL_BRIDGE, CL_PREFIX, CL_POD_PREFIX, CL_NODE_PREFIX,
# CL_SERVICE_CIDR).
# Output: one `ok   - ` / `FAIL - ` line per check, a timing table, peak memory, `N passed, N failed`.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/.." && pwd)
E2E_LABEL=node-e2e
# shellcheck source=lib/harness.sh
. "$E2E_DIR/lib/harness.sh"
# shellcheck source=../scripts/cluster/common.sh
. "$REPO/scripts/cluster/common.sh"

E2E_TIERS=${E2E_TIERS:-node}
if [ "$E2E_TIERS" = node ]; then E2E_NODES=${E2E_NODES:-1}; else E2E_NODES=${E2E_NODES:-3}; fi
CL_NETPOL=${E2E_NETPOL:-0}
cl_settings "${E2E_CLUSTER:-e2e}"
CL_REPO=$REPO
CL_NODES=$E2E_NODES
# metrics-server for the HPAs' CPU figures (the HA tier's scaling, the node tier's RagHpaAtMaximum)
CL_METRICS_SERVER=1
case " $E2E_TIERS " in *" ha "*) CL_SHARED_VOLUMES=1 ;; esac

# ---------------------------------------------------------------------------------------------
# toolchain, host packages, can this machine run nodes?
export PATH="$PATH:/usr/local/go/bin"
eval "$(bash "$REPO/scripts/toolchain.sh" --env)"
T_TOOLCHAIN=$(now)
TOOLCHAIN_GROUPS=(all)
[[ " $E2E_TIERS " == *" node "* ]] && TOOLCHAIN_GROUPS+=(versitygw)
# the monitoring stack: the node tier's monitoring phase, the HA tier's replication lag check
TOOLCHAIN_GROUPS+=(prometheus prometheus-operator prometheus-config-reloader kube-state-metrics postgres-exporter redis-exporter)
[ "$CL_NETPOL" = 1 ] && TOOLCHAIN_GROUPS+=(kube-router)
bash "$REPO/scripts/toolchain.sh" "${TOOLCHAIN_GROUPS[@]}" >"${TMPDIR:-/tmp}/rag-node-e2e-toolchain-$CL_NAME.log" 2>&1 || {
  echo "FAIL - scripts/toolchain.sh (log: ${TMPDIR:-/tmp}/rag-node-e2e-toolchain-$CL_NAME.log)"
  tail -n 20 "${TMPDIR:-/tmp}/rag-node-e2e-toolchain-$CL_NAME.log"
}
record_time "toolchain (built or found)" "$(elapsed "$T_TOOLCHAIN")"
bash "$E2E_DIR/node/host-packages.sh" >/tmp/rag-e2e-host-packages.log 2>&1 || true
if ! why=$(cl_check); then
  if [ "${E2E_NODE_REQUIRED:-0}" = 1 ]; then
    fail "this machine cannot run the nodes: $why"
    summary
    exit 1
  fi
  echo "SKIP - node e2e: this machine cannot run pods ($why); only the admission-only checks of e2e/run.sh ran"
  summary
  exit 0
fi
# a cluster left by a killed run is removed by the next start, a live one is not (a profile of its own; checked
# by the node tier, since the HA tier's run beside it in CI would meet the same profile)
# shellcheck source=node/reclaim.sh
[[ " $E2E_TIERS " == *" node "* ]] && . "$E2E_DIR/node/reclaim.sh"

WORK=$(mktemp -d "${E2E_WORK_DIR:-${TMPDIR:-/tmp}}/rag-node-e2e.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
CL_DIR=$WORK/cluster
STOPPED=0
BG_PIDS=()
teardown() {
  [ $STOPPED = 1 ] && return 0
  STOPPED=1
  local p
  [ -z "${TIER_IMG_PID:-}" ] || wait "$TIER_IMG_PID" # no import left running into a node being stopped
  for p in "${BG_PIDS[@]}" ${MEM_SAMPLER_PID:-}; do kill "$p" 2>/dev/null; done
  cl_stop
}
cleanup() {
  local rc=$?
  teardown
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mem_sampler_start "$WORK/mem-peak"

# ---------------------------------------------------------------------------------------------
# images: the app (packaged from ./app) and the datastores
APPDIR=${E2E_APP_DIR:-}
if [ -z "$APPDIR" ]; then
  if run "$LOGS/app-package.log" bash "$REPO/app/scripts/package.sh" "$WORK/app-pkg"; then
    APPDIR=$WORK/app-pkg/app
    record_time "app: package.sh" "$LAST_SECS"
  else
    fail "app/scripts/package.sh" "$LOGS/app-package.log"
  fi
fi
declare -A IMG=()
while read -r k v; do IMG[$k]=$v; done < <(bash "$REPO/images/build.sh" ${APPDIR:+--app "$APPDIR"} --refs)
# the images the nodes run (beyond the base): monitoring (both tiers), the node tier's backups target, the HA tier's
# Patroni
TIER_IMGS=" prometheus prometheus-operator kube-state-metrics postgres-exporter redis-exporter"
[[ " $E2E_TIERS " == *" node "* ]] && TIER_IMGS+=" aws-cli"
[[ " $E2E_TIERS " == *" ha "* ]] && TIER_IMGS+=" patroni"
IMGS="pause busybox postgres redis chroma node$TIER_IMGS"
[ -n "$APPDIR" ] && IMGS+=" rag-api rag-frontend rag-indexer"
[ "${CL_METRICS_SERVER:-0}" = 1 ] && IMGS+=" metrics-server"
say "building images (cached in ${RAG_IMAGE_CACHE:-$HOME/.cache/rag-platform-images}; log: $LOGS/images.log)"
t0=$(now)
# shellcheck disable=SC2086
if bash "$REPO/images/build.sh" ${APPDIR:+--app "$APPDIR"} $IMGS >"$LOGS/images.out" 2>"$LOGS/images.log"; then
  record_time "images: build (or cache hit)" "$(elapsed "$t0")"
  pass "images built here without a registry or daemon: $(awk '{print $1}' "$LOGS/images.out" | sed 's#localhost/rag-platform/##' | tr '\n' ' ')"
else
  record_time "images: build (or cache hit)" "$(elapsed "$t0")"
  fail "images/build.sh" "$LOGS/images.log"
fi

# ---------------------------------------------------------------------------------------------
# the cluster
say "starting the control plane and $CL_NODES node(s) (work dir $WORK)"
t0=$(now)
# the images a tier needs only later (TIER_IMGS) go into the nodes beside its first steps, not before the nodes start
CL_APPDIR=$APPDIR CL_IMAGES="postgres redis chroma node ${APPDIR:+rag-api rag-frontend rag-indexer}"
TIER_IMG_PID= TIER_IMG_RC=0
tier_images_start() {
  local t=$SECONDS
  (
    # shellcheck disable=SC2086
    CL_APPDIR=$APPDIR cl_nodes_import $TIER_IMGS
    rc=$?
    echo $((SECONDS - t)) >"$LOGS/tier-images.secs"
    exit $rc
  ) 2>"$LOGS/tier-images.err" &
  TIER_IMG_PID=$!
}
tier_images_wait() { # before a step that runs one of TIER_IMGS: 0 once they are in every node (a failure counted once)
  [ -n "$TIER_IMG_PID" ] || return "$TIER_IMG_RC"
  wait "$TIER_IMG_PID"
  TIER_IMG_RC=$?
  TIER_IMG_PID=
  record_time "images needed later ($TIER_IMGS), imported beside the first steps" "$(cat "$LOGS/tier-images.secs" 2>/dev/null)"
  [ "$TIER_IMG_RC" = 0 ] || fail "images$TIER_IMGS imported into every node: $(tr '\n' ' ' <"$LOGS/tier-images.err" | cut -c1-400)"
  return "$TIER_IMG_RC"
}
if cl_up 2>"$LOGS/cluster-up.err"; then
  record_time "cluster start: control plane + $CL_NODES node(s) Ready, images imported" "$(elapsed "$t0")"
  tier_images_start
  zones=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.labels.topology\.kubernetes\.io/zone}{" "}{end}')
  n1=$(cl_node_name 1)
  pass "$CL_NODES node(s) Ready ($zones), each in its own network namespace: containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), kubelet and kube-proxy (nftables) $(kubelet --version | awk '{print $2}'); CoreDNS on $CL_DNS_IP, bridge $CL_BRIDGE, guard inet $CL_NFT_TABLE"
  say "node monitoring: $(cl_node_monitoring)"
  if [ "$CL_NETPOL" = 1 ]; then
    pass "NetworkPolicies enforced: kube-router $(kube-router --version 2>&1 | grep -oE 'v[0-9][0-9.]+' | head -n1) (network-policy controller only: iptables $(iptables --version | awk '{print $2, $3}'), ipset) in each node's namespace, bridge-nf-call-iptables on; cluster DNS: CoreDNS pods behind kube-system/kube-dns $CL_DNS_IP"
  fi
else
  fail "cluster start: $(tr '\n' ' ' <"$LOGS/cluster-up.err" | cut -c1-800)"
  summary
  exit 1
fi
K() { kubectl "$@"; }

# No ingress controller runs on these nodes: a stand-in publishes the bridge address in every
# Ingress's status (what a controller does), or the provider's Ingress await never completes.
ingress_status_standin() {
  while [ ! -f "$WORK/ingress-standin.stop" ]; do
    for i in $(kubectl get ingress -A -o jsonpath='{range .items[?(@.status.loadBalancer.ingress)]}{end}{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null); do
      kubectl -n "${i%%/*}" patch ingress "${i#*/}" --subresource=status --type=merge \
        -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$CL_GW\"}]}}}" >/dev/null 2>&1
    done
    sleep 2
  done
}
ingress_status_standin &
BG_PIDS+=($!)

# shellcheck source=node/smoke.sh
. "$E2E_DIR/node/smoke.sh"

for tier in $E2E_TIERS; do
  case "$tier" in
    node) . "$E2E_DIR/node/platform.sh" ;;
    ha) . "$E2E_DIR/ha/main.sh" ;;
    *) fail "unknown tier $tier (E2E_TIERS: node, ha)" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# teardown, then: did it leave anything behind?
say "teardown"
t0=$(now)
teardown
record_time "teardown (nodes + control plane)" "$(elapsed "$t0")"
left=$(cl_leftovers)
if [ -z "$left" ]; then
  pass "teardown left nothing: no process, cgroup, mount under the work dir, network namespace, veth, bridge, route, nft table or pod netns"
else
  fail "teardown left: $left"
fi
summary
[ $FAILED -eq 0 ]
