# shellcheck shell=bash
# The cluster's network (sourced by common.sh): the guard first, then the bridge, then one network
# namespace per node with a veth to the bridge and the routes between the pods' subnets.

CL_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

# The machine's values, saved by the first cluster that starts and put back by the last one that stops: a cluster
# started beside a live one (another profile, e.g. the node and HA tiers in CI) finds them saved and set already.
CL_SYSCTLS_SAVED=/run/rag-cluster-sysctls.saved
cl_sysctls_save() {
  local k
  [ -f "$CL_SYSCTLS_SAVED" ] && cl_other_cluster_live && return 0
  for k in "${CL_SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k" 2>/dev/null)"; done >"$CL_SYSCTLS_SAVED"
}
cl_sysctls_restore() {
  local line
  [ -f "$CL_SYSCTLS_SAVED" ] || return 0
  cl_other_cluster_live && return 0
  while IFS= read -r line; do
    [ -n "${line#*=}" ] && sysctl -qw "$line" 2>/dev/null
  done <"$CL_SYSCTLS_SAVED"
  rm -f "$CL_SYSCTLS_SAVED"
}

# The guard: before any process starts. Hooks postrouting and forward, not output: in the output hook the
# out interface is the one routed before kube-proxy's DNAT. Postrouting sees the interface a packet really
# leaves by; forward catches whatever a node's namespace or a pod sends towards the host's other interfaces.
cl_guard_up() {
  nft -f - <<EOF
table inet $CL_NFT_TABLE {
  chain postrouting {
    type filter hook postrouting priority 0; policy accept;
    ip daddr { $CL_POD_CIDR, $CL_NODE_NET, $CL_SERVICE_CIDR } oifname != { "$CL_BRIDGE", "lo" } counter drop
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "$CL_BRIDGE" oifname != "$CL_BRIDGE" counter drop
    ip daddr { $CL_POD_CIDR, $CL_NODE_NET, $CL_SERVICE_CIDR } oifname != "$CL_BRIDGE" counter drop
  }
}
EOF
}
# packets the guard dropped so far
cl_guard_drops() {
  nft list table inet "$CL_NFT_TABLE" 2>/dev/null | grep -oE 'counter packets [0-9]+' | awk '{s+=$3} END {print s+0}'
}

cl_bridge_up() {
  ip link add "$CL_BRIDGE" type bridge &&
    ip addr add "$CL_GW/24" dev "$CL_BRIDGE" &&
    ip link set "$CL_BRIDGE" up &&
    # the service range: from the host through node 1, whose kube-proxy translates it (host -> ClusterIP)
    ip route replace "$CL_SERVICE_CIDR" via "$(cl_node_ip 1)" dev "$CL_BRIDGE" onlink
}

# cl_netns_up I N: node I's namespace (of N nodes): veth to the bridge, loopback, forwarding, routes to
# every other node's pods directly and from the host to this node's pods.
cl_netns_up() {
  local i=$1 n=$2 ns host peer j
  ns=$(cl_netns "$i")
  host=$CL_PREFIX-n$i
  peer=$CL_PREFIX-n${i}p
  ip netns add "$ns" || return 1
  echo "$ns" >>"$CL_DIR/netns"
  ip link add "$host" type veth peer name "$peer" &&
    ip link set "$peer" netns "$ns" &&
    ip link set "$host" master "$CL_BRIDGE" &&
    ip link set "$host" up || return 1
  ip -n "$ns" link set lo up &&
    ip -n "$ns" link set "$peer" name eth0 &&
    ip -n "$ns" addr add "$(cl_node_ip "$i")/24" dev eth0 &&
    ip -n "$ns" link set eth0 up &&
    ip -n "$ns" route add default via "$CL_GW" || return 1
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
  # NetworkPolicies enforced: frames between two pods on the node's CNI bridge must pass iptables too
  # (br_netfilter; the setting is per network namespace), or same-node traffic would not be filtered
  if [ "${CL_NETPOL:-0}" = 1 ]; then ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 || return 1; fi
  for ((j = 1; j <= n; j++)); do
    [ "$j" = "$i" ] && continue
    ip -n "$ns" route add "$(cl_node_subnet "$j")" via "$(cl_node_ip "$j")" dev eth0 || return 1
  done
  ip route replace "$(cl_node_subnet "$i")" via "$(cl_node_ip "$i")" dev "$CL_BRIDGE"
}

# cl_netns_down I: the namespace goes, and with it its veth end, its nft tables and its routes
cl_netns_down() {
  local ns
  ns=$(cl_netns "$1")
  ip link del "$CL_PREFIX-n$1" 2>/dev/null
  ip netns delete "$ns" 2>/dev/null
  ip route del "$(cl_node_subnet "$1")" 2>/dev/null
  return 0
}

# cl_link I up|down: cut (or restore) node I's only link to the rest of the cluster (node loss)
cl_link() { ip link set "$CL_PREFIX-n$1" "$2"; }

# CoreDNS on the gateway: cluster.local from the API server, nothing forwarded (every other name is
# NXDOMAIN, no query leaves the machine). Two server blocks: CoreDNS runs its plugins in a fixed
# compile-time order, template before kubernetes, so a catch-all template in the cluster.local block
# would answer first.
cl_coredns_start() {
  mkdir -p "$CL_DIR/coredns"
  cat >"$CL_DIR/coredns/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $CL_GW
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG
        pods insecure
        ttl 5
    }
}
.:53 {
    bind $CL_GW
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  cl_spawn coredns - coredns -conf "$CL_DIR/coredns/Corefile" -dns.port 53
}
