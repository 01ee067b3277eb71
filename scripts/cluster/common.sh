# shellcheck shell=bash
# The project's Kubernetes cluster on this machine: one library for the embedded local cluster
# (`npm run cluster`, scripts/cluster.sh) and for every end-to-end test that needs nodes (e2e/node.sh,
# e2e/ha.sh). Sourced, never run. Files:
#   common.sh         this file: the cluster's settings and state folder, processes, waiting
#   network.sh        the guard (nftables), the bridge, one network namespace per node, routes, sysctls
#   control-plane.sh  certificates, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS
#   node.sh           a node: containerd, CNI, kubelet, kube-proxy in the node's network namespace
#   addons.sh         local-path-provisioner, metrics-server, the NetworkPolicy engine (CL_NETPOL=1: kube-router's
#                     network-policy controller per node, cluster DNS served by CoreDNS pods in kube-system)
#   teardown.sh       stop everything the state folder records, and report what is left
#
# Everything a cluster starts or changes is recorded in its state folder (CL_DIR): pid files, saved
# sysctls, the nodes, the settings (cluster.env). So a cluster can be stopped by another process than the
# one that started it (`npm run cluster -- down` after `up` has exited), and a test's trap stops its own.
#
# Layout (per cluster; the embedded cluster, the node tier's (e2e) and the HA tier's (ha) use different ranges, so
# all of them can exist at once):
#   bridge CL_BRIDGE (host) with CL_GW, the nodes' network CL_NODE_NET: node i is 10.x.0.(10+i) in its own
#   network namespace (a veth to the bridge); its pods get CL_POD_PREFIX.i.0/24 on a CNI bridge inside the
#   node's namespace; routes between nodes and from the host; the API server and CoreDNS on CL_GW.
#   The guard drops any packet to the pod, node or service ranges that would leave through another
#   interface than the bridge, and everything forwarded from the bridge elsewhere: nothing leaves the machine.

CL_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# cl_settings NAME: the settings of a cluster profile (local, e2e or ha), exported into the environment. Another
# name (a fourth cluster beside those, e.g. np) must set CL_BRIDGE, CL_PREFIX (its veths' prefix),
# CL_POD_PREFIX, CL_NODE_PREFIX and CL_SERVICE_CIDR of its own (the e2e ranges are only the fallback).
cl_settings() {
  CL_NAME=$1
  case "$CL_NAME" in
    local)
      CL_BRIDGE=${CL_BRIDGE:-raglocal0} CL_PREFIX=${CL_PREFIX:-rl} CL_POD_PREFIX=${CL_POD_PREFIX:-10.244}
      CL_NODE_PREFIX=${CL_NODE_PREFIX:-10.245.0} CL_SERVICE_CIDR=${CL_SERVICE_CIDR:-10.96.0.0/16}
      ;;
    ha)
      # the HA tier's cluster (e2e/ha.sh): its own ranges, so that it runs beside the node tier's (.ci/run)
      CL_BRIDGE=${CL_BRIDGE:-ragha0} CL_PREFIX=${CL_PREFIX:-rh} CL_POD_PREFIX=${CL_POD_PREFIX:-10.248}
      CL_NODE_PREFIX=${CL_NODE_PREFIX:-10.249.0} CL_SERVICE_CIDR=${CL_SERVICE_CIDR:-10.99.0.0/16}
      ;;
    *)
      CL_BRIDGE=${CL_BRIDGE:-rage2e0} CL_PREFIX=${CL_PREFIX:-re} CL_POD_PREFIX=${CL_POD_PREFIX:-10.246}
      CL_NODE_PREFIX=${CL_NODE_PREFIX:-10.247.0} CL_SERVICE_CIDR=${CL_SERVICE_CIDR:-10.97.0.0/16}
      ;;
  esac
  CL_GW=$CL_NODE_PREFIX.1
  CL_NODE_NET=$CL_NODE_PREFIX.0/24
  CL_POD_CIDR=$CL_POD_PREFIX.0.0/16
  CL_NFT_TABLE=rag_${CL_NAME}_guard
  CL_CGROUP_PREFIX=/rag-$CL_NAME
  CL_SERVICE_IP1=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1])[1])' "$CL_SERVICE_CIDR")
  # CL_NETPOL=1: NetworkPolicies enforced (addons.sh); the pods' DNS is then a kube-dns Service in kube-system
  # (its 10th address, as kubeadm and kind do), served by CoreDNS pods: a policy's DNS rule names kube-system
  CL_NETPOL=${CL_NETPOL:-0}
  CL_DNS_IP=$CL_GW
  [ "$CL_NETPOL" = 1 ] && CL_DNS_IP=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1])[10])' "$CL_SERVICE_CIDR")
  return 0
}

cl_node_ip() { echo "$CL_NODE_PREFIX.$((10 + $1))"; }  # node index (1..) -> its IP
cl_node_subnet() { echo "$CL_POD_PREFIX.$1.0/24"; }      # node index -> its pods' subnet
cl_node_name() { echo "rag-$CL_NAME-n$1"; }              # node index -> Kubernetes node name
cl_netns() { echo "rag-$CL_NAME-n$1"; }                  # node index -> network namespace
cl_zone() { printf "\\x$(printf %x $((96 + ($1 - 1) % 3 + 1)))"; } # 1 -> a, 2 -> b, 3 -> c, 4 -> a ...

cl_log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# cl_wait SECONDS CMD...: poll until CMD succeeds
cl_wait() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

cl_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# cl_spawn NAME NETNS CMD...: a long-running process of the cluster, detached from the caller's session
# (it survives `npm run cluster -- up`), its log in logs/NAME.log, its pid in pids/NAME. NETNS "-" is the
# host's network namespace; otherwise the process runs in that namespace only (nsenter --net: the host's
# mount namespace is kept, so the kubelet's volume mounts and containerd's see each other).
cl_spawn() {
  local name=$1 ns=$2
  shift 2
  local pre=()
  [ "$ns" = - ] || pre=(nsenter "--net=/var/run/netns/$ns" --)
  mkdir -p "$CL_DIR/pids" "$CL_DIR/logs"
  setsid "${pre[@]}" "$@" >"$CL_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$CL_DIR/pids/$name"
}

cl_pid() { cat "$CL_DIR/pids/$1" 2>/dev/null; }
cl_alive() { local p; p=$(cl_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# cl_kill_pids PID...: TERM, up to 5 s, then KILL
cl_kill_pids() {
  local p alive
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null
  for _ in $(seq 1 50); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  kill -9 "$@" 2>/dev/null
  return 0
}

# cl_stop_proc NAME: stop one recorded process (and forget it)
cl_stop_proc() {
  local p
  p=$(cl_pid "$1") || return 0
  [ -n "$p" ] && cl_kill_pids "$p"
  rm -f "$CL_DIR/pids/$1"
}

# cl_stop_procs NAME...: stop several recorded processes at once (one wait for all of them)
cl_stop_procs() {
  local n pids=()
  for n in "$@"; do
    pids+=($(cl_pid "$n"))
    rm -f "$CL_DIR/pids/$n"
  done
  cl_kill_pids "${pids[@]}"
}

# the settings another process needs to reach or stop this cluster
cl_save_env() {
  local v
  for v in CL_NAME CL_DIR CL_BRIDGE CL_PREFIX CL_POD_PREFIX CL_NODE_PREFIX CL_SERVICE_CIDR CL_GW CL_NODE_NET \
    CL_POD_CIDR CL_NFT_TABLE CL_CGROUP_PREFIX CL_SERVICE_IP1 CL_NODES CL_API_URL KUBECONFIG CL_STARTED CL_NETPOL CL_DNS_IP; do
    printf '%s=%q\n' "$v" "${!v:-}"
  done >"$CL_DIR/cluster.env"
}
cl_load_env() { # DIR
  [ -f "$1/cluster.env" ] || return 1
  # shellcheck disable=SC1091
  . "$1/cluster.env"
  export KUBECONFIG
}

# cl_check: prints why this machine cannot run the cluster (and returns 1), or nothing
cl_check() {
  local b
  [ "$(uname -s)" = Linux ] || { echo "this is $(uname -s), not Linux (the cluster runs Linux containers with containerd and network namespaces)"; return 1; }
  [ "$(id -u)" = 0 ] || { echo "not root (containerd, network namespaces and the nftables guard need root)"; return 1; }
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "no cgroups with a memory controller"; return 1; }
  for b in containerd containerd-shim-runc-v2 runc ctr nft ip nsenter setsid umoci; do
    command -v "$b" >/dev/null || { echo "no $b (Debian packages: bash e2e/node/host-packages.sh)"; return 1; }
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || { echo "no CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)"; return 1; }
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns local-path-provisioner; do
    command -v "$b" >/dev/null || { echo "$b was not built (bash scripts/toolchain.sh)"; return 1; }
  done
  if [ "${CL_NETPOL:-0}" = 1 ]; then
    command -v kube-router >/dev/null || { echo "kube-router was not built (bash scripts/toolchain.sh kube-router)"; return 1; }
    for b in iptables iptables-save ipset; do
      command -v "$b" >/dev/null || { echo "no $b (Debian packages iptables, ipset: bash e2e/node/host-packages.sh)"; return 1; }
    done
  fi
  if ip link show "$CL_BRIDGE" >/dev/null 2>&1 || nft list table inet "$CL_NFT_TABLE" >/dev/null 2>&1; then
    cl_reclaim_stale || return 1
  fi
  return 0
}

# Who holds this profile's network: "<state folder> <pid of the process that started it>", written by cl_up
# before it makes anything, removed by cl_stop. /run is emptied by a reboot, as the bridge and tables are.
cl_owner_file() { echo "/run/rag-cluster-$CL_NAME.owner"; }

# cl_owner_alive STATE STARTER: what of the cluster an owner record names still runs (its starting process, the
# processes its state folder records), as a list; empty when nothing does
cl_owner_alive() {
  local p alive=""
  kill -0 "$2" 2>/dev/null && alive="its starting process $2"
  for p in "$1"/pids/*; do
    [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && alive+="${alive:+, }$(basename "$p") ($(cat "$p"))"
  done
  echo "$alive"
}

# cl_other_cluster_live: another profile's cluster runs on this machine (its owner record names a live process)
cl_other_cluster_live() {
  local f owner starter
  for f in /run/rag-cluster-*.owner; do
    [ -f "$f" ] && [ "$f" != "$(cl_owner_file)" ] || continue
    read -r owner starter <"$f" || continue
    [ -n "$(cl_owner_alive "$owner" "$starter")" ] && return 0
  done
  return 1
}

# cl_reclaim_stale: the bridge or guard of this profile exists. When the run that made them ended without
# stopping its cluster (killed, or its machine's session cut) and none of its processes is alive, tear it
# down from its state folder and carry on; otherwise print why not (and return 1).
cl_reclaim_stale() {
  local f owner starter p alive
  f=$(cl_owner_file)
  read -r owner starter 2>/dev/null <"$f" || {
    echo "bridge $CL_BRIDGE or nft table $CL_NFT_TABLE exists and no cluster of this project claims it ($f): stop whatever made it first"
    return 1
  }
  alive=$(cl_owner_alive "$owner" "$starter")
  if [ -n "$alive" ]; then
    echo "a $CL_NAME cluster is running (state $owner; alive: $alive): stop it first"
    return 1
  fi
  cl_log "a $CL_NAME cluster left by a run that ended without stopping it (state $owner): none of its processes is alive; removing it"
  (cl_load_env "$owner" && cl_stop) >&2 || true
  # its state folder may be gone: the nodes' namespaces, the bridge and the guard by name
  for p in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^rag-$CL_NAME-n[0-9]+$"); do ip netns delete "$p" 2>/dev/null; done
  ip link del "$CL_BRIDGE" 2>/dev/null
  nft delete table inet "$CL_NFT_TABLE" 2>/dev/null
  rm -f "$f"
  if ip link show "$CL_BRIDGE" >/dev/null 2>&1 || nft list table inet "$CL_NFT_TABLE" >/dev/null 2>&1; then
    echo "a stale $CL_NAME cluster (state $owner) could not be removed: bridge $CL_BRIDGE or nft table $CL_NFT_TABLE is still there"
    return 1
  fi
  return 0
}

# . the other parts
# shellcheck source=network.sh
. "$CL_LIB/network.sh"
# shellcheck source=control-plane.sh
. "$CL_LIB/control-plane.sh"
# shellcheck source=node.sh
. "$CL_LIB/node.sh"
# shellcheck source=addons.sh
. "$CL_LIB/addons.sh"
# shellcheck source=teardown.sh
. "$CL_LIB/teardown.sh"
# shellcheck source=up.sh
. "$CL_LIB/up.sh"
