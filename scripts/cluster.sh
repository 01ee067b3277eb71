#!/usr/bin/env bash
# The embedded local cluster (`npm run cluster -- up|down|status`): the node the end-to-end tests build,
# made a product, for machines with no cluster of their own. `npm run up` starts it by itself when no
# cluster is reachable (opt out with --no-local-cluster).
#
#   bash scripts/cluster.sh up [--nodes N]   start it (or say it runs), write the kube context `rag-local`
#   bash scripts/cluster.sh down             stop it and remove everything it made, then check nothing is left
#   bash scripts/cluster.sh status           running or not, nodes, where the state and kube context are
#   bash scripts/cluster.sh check            can this machine run it? (one line; exit 1 when not)
#   bash scripts/cluster.sh import IMAGE...  build (cached) and import images of images/build.sh into every node
#   bash scripts/cluster.sh import-archive REF ARCHIVE   an OCI archive (npm run images) into every node as REF
#
# State: .cluster/ in the repository (git-ignored; RAG_CLUSTER_DIR moves it). Kube context: `rag-local`,
# merged into ${KUBECONFIG:-~/.kube/config} and made current (like kind); `down` removes it again.
# Network: a bridge (raglocal0) of its own, nodes in their own network namespaces, and an nftables guard
# (inet rag_local_guard) that keeps pod, node and service traffic on this machine: nothing is pulled or
# sent out; every image comes from images/build.sh. Needs Linux, root, cgroups and the Debian packages of
# e2e/node/host-packages.sh (installed when missing); the Kubernetes binaries come from scripts/toolchain.sh.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=cluster/common.sh
. "$REPO/scripts/cluster/common.sh"
cl_settings local
CL_REPO=$REPO
STATE=${RAG_CLUSTER_DIR:-$REPO/.cluster}
CONTEXT=rag-local
USER_KUBECONFIG=${KUBECONFIG:-$HOME/.kube/config}
USER_KUBECONFIG=${USER_KUBECONFIG%%:*}

say() { printf 'rag-platform: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
alternatives="use a cluster of your own instead (kind, minikube or k3d: see docs/operations.md#your-own-local-cluster)"

toolchain_env() {
  export PATH="$PATH:/usr/local/go/bin"
  eval "$(bash "$REPO/scripts/toolchain.sh" --env)"
}

# the checks that need nothing built: OS, root, cgroups
precheck() {
  [ "$(uname -s)" = Linux ] || die "cannot start the embedded cluster: this is $(uname -s), not Linux; $alternatives"
  [ "$(id -u)" = 0 ] || die "cannot start the embedded cluster: it needs root (containerd, network namespaces, nftables); run as root or $alternatives"
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "cannot start the embedded cluster: no cgroups with a memory controller; $alternatives"
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "cannot start the embedded cluster: Go is needed to build Kubernetes (scripts/toolchain.sh); install Go or $alternatives"
}

running() { cl_load_env "$STATE" 2>/dev/null && cl_alive kube-apiserver; }

context_add() {
  mkdir -p "$(dirname "$USER_KUBECONFIG")"
  # a kubeconfig made here is removed again by `down` when nothing else was added to it
  [ -f "$USER_KUBECONFIG" ] || { : >"$USER_KUBECONFIG"; echo "$USER_KUBECONFIG" >"$STATE/kubeconfig.created"; }
  KUBECONFIG="$USER_KUBECONFIG:$STATE/kubeconfig" kubectl config view --flatten >"$STATE/kubeconfig.merged" &&
    cp "$STATE/kubeconfig.merged" "$USER_KUBECONFIG" && rm -f "$STATE/kubeconfig.merged" &&
    chmod 600 "$USER_KUBECONFIG" && KUBECONFIG=$USER_KUBECONFIG kubectl config use-context "$CONTEXT" >/dev/null
}
context_remove() {
  [ -f "$USER_KUBECONFIG" ] || return 0
  local k=(env KUBECONFIG="$USER_KUBECONFIG" kubectl config)
  [ "$("${k[@]}" current-context 2>/dev/null)" = "$CONTEXT" ] && "${k[@]}" unset current-context >/dev/null
  "${k[@]}" delete-context "$CONTEXT" >/dev/null 2>&1
  "${k[@]}" delete-cluster "$CONTEXT" >/dev/null 2>&1
  "${k[@]}" delete-user "$CONTEXT-admin" >/dev/null 2>&1
  if [ -f "$STATE/kubeconfig.created" ] && [ -z "$("${k[@]}" get-contexts -o name 2>/dev/null)" ]; then rm -f "$USER_KUBECONFIG"; fi
  return 0
}

cmd_up() {
  local nodes=1
  while [ $# -gt 0 ]; do
    case "$1" in --nodes) nodes=$2; shift 2 ;; *) die "cluster up: unknown option $1" ;; esac
  done
  if running; then
    say "the embedded cluster is already running ($CL_NODES node(s), kube context $CONTEXT in $USER_KUBECONFIG)"
    return 0
  fi
  precheck
  local t0=$SECONDS why
  bash "$REPO/e2e/node/host-packages.sh" >/dev/null 2>"$REPO/.cluster-host-packages.log" ||
    die "cannot start the embedded cluster: installing its Debian packages failed (see .cluster-host-packages.log); $alternatives"
  rm -f "$REPO/.cluster-host-packages.log"
  say "building the Kubernetes binaries if needed (scripts/toolchain.sh; cached in ~/.cache/rag-platform-toolchain: minutes the first time, seconds after)"
  bash "$REPO/scripts/toolchain.sh" --progress kube >&2 || die "cannot start the embedded cluster: building Kubernetes failed (the log is named above)"
  toolchain_env
  [ -d "$STATE" ] && { cl_load_env "$STATE" 2>/dev/null && cl_stop; rm -rf "$STATE"; }
  why=$(cl_check) || die "cannot start the embedded cluster: $why; $alternatives"
  CL_DIR=$STATE CL_NODES=$nodes CL_METRICS_SERVER=1
  export CL_DIR CL_NODES
  say "starting the embedded cluster ($nodes node(s); state in ${STATE#"$REPO"/}/; the images it needs are built here, cached in ~/.cache/rag-platform-images)"
  if ! CL_IMAGES="" cl_up; then
    cl_stop
    die "the embedded cluster did not start; its logs were in $STATE/logs (removed); run 'npm run cluster -- up' again to see them, or $alternatives"
  fi
  cl_save_env
  context_add || die "the cluster runs, but the kube context could not be written to $USER_KUBECONFIG"
  say "embedded cluster up in $((SECONDS - t0))s: kube context '$CONTEXT' in $USER_KUBECONFIG (now current); stop it with: npm run cluster -- down"
}

cmd_down() {
  if ! cl_load_env "$STATE" 2>/dev/null; then
    context_remove
    say "no embedded cluster here (no $STATE)"
    return 0
  fi
  toolchain_env 2>/dev/null
  local left
  cl_stop
  context_remove
  left=$(cl_leftovers)
  rm -rf "$STATE"
  if [ -n "$left" ]; then die "the embedded cluster was stopped but left: $left"; fi
  say "embedded cluster stopped; nothing left (no process, mount, namespace, bridge, nft table or state)"
}

cmd_status() {
  if running; then
    toolchain_env 2>/dev/null
    say "running: $CL_NODES node(s), API $CL_API_URL, kube context '$CONTEXT' in $USER_KUBECONFIG, state in $STATE"
    kubectl --kubeconfig "$STATE/kubeconfig" get nodes -o wide 2>&1 | sed 's/^/  /' >&2
  elif [ -d "$STATE" ]; then
    say "stopped, but its state is still in $STATE: run 'npm run cluster -- down' to clean it up"
    return 1
  else
    say "not running"
    return 1
  fi
}

cmd_import() {
  running || die "the embedded cluster is not running (npm run cluster -- up)"
  toolchain_env
  local i
  for ((i = 1; i <= CL_NODES; i++)); do cl_node_import "$i" "$@" || die "importing $* into node $i failed (see $STATE/logs/n$i-images.log)"; done
}

# import-archive REF ARCHIVE: an OCI archive (npm run images) into every node, named REF
cmd_import_archive() {
  running || die "the embedded cluster is not running (npm run cluster -- up)"
  local i sock how
  for ((i = 1; i <= CL_NODES; i++)); do
    sock=$(cl_containerd_sock "$i")
    # No --index-name: the archive's index names its manifest REF (io.containerd.image.name) already, and with both
    # ctr makes REF -> index, then REF -> manifest, and unpacks the index, which nothing references any more: a
    # garbage collection in between removes it ("content digest <the index>: not found", seen twice in CI)
    # not unpacked (the CRI unpacks it when a container of it is first created), not imported again when the node has
    # it from the same archive (images/import.sh)
    # its "present" or "imported" goes to the node's image log, in images/build.sh's form (e2e/readme.sh counts them)
    how=$(bash "$REPO/images/import.sh" "$sock" "$1" "$2" 2>"$STATE/logs/import-archive.err") ||
      die "importing $1 ($2) into node $i failed: $(cat "$STATE/logs/import-archive.err")"
    echo "[images $(date +%H:%M:%S)] $1: $how ($sock)" >>"$STATE/logs/n$i-images.log"
  done
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  check) precheck; toolchain_env 2>/dev/null; if why=$(cl_check); then say "this machine can run the embedded cluster"; else die "cannot: $why"; fi ;;
  import) shift; cmd_import "$@" ;;
  import-archive) shift; [ $# = 2 ] || die "usage: cluster.sh import-archive REF ARCHIVE"; cmd_import_archive "$@" ;;
  *) die "usage: npm run cluster -- up [--nodes N] | down | status | check | import IMAGE..." ;;
esac
