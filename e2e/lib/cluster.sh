# shellcheck shell=bash
# A throw-away control plane on loopback for the tests that need no node (the admission e2e, the KWOK scale
# simulation): etcd, kube-apiserver (TLS from a generated CA, admin client certificate in system:masters,
# Pod Security admission, service-account keys) and kube-controller-manager (ReplicaSets, garbage
# collector, namespace deletion). Pods are created (so Pod Security admission is enforced on them) but stay
# Pending. The same code as every other cluster of the project: scripts/cluster/ (CL_NODES=0).
#
# Use: cluster_start DIR  (exports KUBECONFIG (context `e2e`), CLUSTER_API_URL, CLUSTER_DIR)   ...   cluster_stop
#   E2E_CONTROLLER_MANAGER=0  no kube-controller-manager;  CLUSTER_APISERVER_ARGS  extra kube-apiserver flags
#   CLUSTER_SCHEDULER=1       also kube-scheduler (for a test that brings its own nodes, e.g. KWOK)

# shellcheck source=../../scripts/cluster/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/cluster/common.sh"

CLUSTER_DIR=

cluster_start() { # DIR
  CLUSTER_DIR=$1
  cl_settings e2e-cp
  CL_DIR=$CLUSTER_DIR CL_NODES=0 CL_CONTROLLER_MANAGER=${E2E_CONTROLLER_MANAGER:-1} CL_SCHEDULER=${CLUSTER_SCHEDULER:-0}
  CL_APISERVER_ARGS=${CLUSTER_APISERVER_ARGS:-}
  CL_STARTED=$(date +%s)
  mkdir -p "$CL_DIR"
  cl_control_plane_start || return 1
  # the tests' stacks pin kubeContext=e2e: the same admin credentials under that context name
  cl_kubeconfig "$CL_DIR/kubeconfig.e2e" e2e
  export KUBECONFIG=$CL_DIR/kubeconfig.e2e
  # (the old layout's paths, which callers may read)
  ln -sf logs/kube-apiserver.log "$CL_DIR/kube-apiserver.log"
  ln -sf pki/ca.crt "$CL_DIR/ca.crt"
  export CLUSTER_DIR CLUSTER_API_URL=$CL_API_URL
}

cluster_curl() { # PATH [curl args]
  local p=$1
  shift
  curl -sS --cacert "$CL_DIR/pki/ca.crt" --cert "$CL_DIR/pki/admin.crt" --key "$CL_DIR/pki/admin.key" "$@" "$CL_API_URL$p"
}

cluster_stop() {
  [ -n "${CL_DIR:-}" ] || return 0
  cl_stop
}
