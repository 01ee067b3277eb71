# shellcheck shell=bash
# A Kubernetes node that really runs pods on this machine, next to the control plane of
# e2e/lib/cluster.sh: containerd (Debian package, its own socket/root/state under the work dir),
# runc, CNI bridge + host-local + portmap (+ loopback, which containerd runs itself) on a bridge of
# the test's own, kubelet, kube-scheduler, kube-proxy (nftables), CoreDNS on the bridge address and
# local-path-provisioner (out of cluster, for the dev StorageClass `rancher.io/local-path`).
#
# Network safety first: node_start installs, before anything else, an nftables table
# (`inet rag_e2e_guard`) that drops every packet to the pod range or the service range leaving
# through any interface other than the test bridge (hooks postrouting and forward). Test traffic never
# leaves the machine. node_stop removes everything it made (processes, pods' processes and cgroups,
# mounts under the work dir, network namespaces, bridge, nft tables, sysctls restored) and
# node_leftovers reports anything that survived.
#
# Use: node_check (can this machine run it?) ; node_start DIR ; ... ; node_stop ; node_leftovers
# Needs: cluster_start first (KUBECONFIG, CLUSTER_DIR), toolchain binaries on PATH.

NODE_BRIDGE=${NODE_BRIDGE:-rage2e0}
NODE_POD_CIDR=${NODE_POD_CIDR:-10.244.0.0/16}
NODE_POD_SUBNET=${NODE_POD_SUBNET:-10.244.0.0/24}
NODE_GW=${NODE_GW:-10.244.0.1}
NODE_SERVICE_CIDR=${NODE_SERVICE_CIDR:-10.96.0.0/16} # = kube-apiserver --service-cluster-ip-range
NODE_NAME=${NODE_NAME:-rag-e2e-node}
NODE_NFT_TABLE=rag_e2e_guard
NODE_CGROUP_ROOT=/rag-e2e
NODE_PIDS=()
NODE_DIR=
NODE_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
declare -A NODE_SYSCTL_SAVED=()
NODE_NETNS_BEFORE=
NODE_KUBEPROXY_TABLES_BEFORE=

# node_check: prints why the node cannot run here (and returns 1), or nothing.
node_check() {
  local b
  [ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "no cgroups (memory controller)"; return 1; }
  for b in containerd containerd-shim-runc-v2 runc ctr nft ip umoci; do
    command -v "$b" >/dev/null || { echo "no $b (run e2e/node/host-packages.sh)"; return 1; }
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || { echo "no CNI plugins in /usr/lib/cni"; return 1; }
  for b in kubelet kube-scheduler kube-proxy coredns local-path-provisioner; do
    command -v "$b" >/dev/null || { echo "$b was not built (scripts/toolchain.sh $b; see its log)"; return 1; }
  done
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && { echo "bridge $NODE_BRIDGE already exists (another run?)"; return 1; }
  nft list table inet "$NODE_NFT_TABLE" >/dev/null 2>&1 && { echo "nft table $NODE_NFT_TABLE already exists (another run?)"; return 1; }
  return 0
}

node_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# --- network safety: before anything starts -----------------------------------------------------
node_guard_up() {
  # postrouting, not output: in the output hook the out interface is the one routed BEFORE
  # kube-proxy's DNAT (a host -> ClusterIP packet still shows the default route's interface there);
  # postrouting sees the real one for local and forwarded packets alike. Loopback is fine (the API
  # server reaching the kubelet on the bridge address is local delivery through lo).
  nft -f - <<EOF
table inet $NODE_NFT_TABLE {
  comment "rag-platform e2e: pod and service traffic never leaves through anything but $NODE_BRIDGE"
  chain postrouting {
    type filter hook postrouting priority 100; policy accept;
    oifname "lo" accept
    ip daddr { $NODE_POD_CIDR, $NODE_SERVICE_CIDR } oifname != "$NODE_BRIDGE" counter drop
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr { $NODE_POD_CIDR, $NODE_SERVICE_CIDR } oifname != "$NODE_BRIDGE" counter drop
    iifname "$NODE_BRIDGE" oifname != "$NODE_BRIDGE" counter drop
  }
}
EOF
}

# node_guard_drops: packets the guard has dropped so far
node_guard_drops() {
  nft list table inet "$NODE_NFT_TABLE" 2>/dev/null | grep -oE 'counter packets [0-9]+' | awk '{s+=$3} END {print s+0}'
}

node_bridge_up() {
  ip link add "$NODE_BRIDGE" type bridge &&
    ip addr add "$NODE_GW/${NODE_POD_SUBNET#*/}" dev "$NODE_BRIDGE" &&
    ip link set "$NODE_BRIDGE" up
}

node_sysctls_save() {
  local k
  for k in "${NODE_SYSCTLS[@]}"; do NODE_SYSCTL_SAVED[$k]=$(sysctl -n "$k" 2>/dev/null); done
}
node_sysctls_restore() {
  local k
  for k in "${!NODE_SYSCTL_SAVED[@]}"; do
    [ -n "${NODE_SYSCTL_SAVED[$k]}" ] && sysctl -qw "$k=${NODE_SYSCTL_SAVED[$k]}" 2>/dev/null
  done
}

node_wait() { # SECONDS CMD...: poll until CMD succeeds
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

# --- containerd ---------------------------------------------------------------------------------
node_containerd_config() {
  local d=$NODE_DIR
  cat >"$d/containerd/config.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$d/containerd/containerd.sock"
[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"
[debug]
  address = "$d/containerd/debug.sock"
  level = "info"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$d/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
    max_conf_num = 1
EOF
  # CNI: the test's own bridge; no masquerade (nothing leaves the machine); host-local with the
  # node's fixed range; portmap for hostPorts. containerd adds the loopback plugin itself.
  cat >"$d/cni/net.d/10-rag-e2e.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rag-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$d/cni/ipam",
        "ranges": [[{ "subnet": "$NODE_POD_SUBNET", "gateway": "$NODE_GW" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# node_cgroup_pids: every process in the node's cgroups (pods, containers)
node_cgroup_pids() {
  local c
  for c in /sys/fs/cgroup/*"$NODE_CGROUP_ROOT"; do
    [ -d "$c" ] && find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# --- start ----------------------------------------------------------------------------------------
node_start() { # DIR
  NODE_DIR=$1
  local d=$NODE_DIR
  mkdir -p "$d"/{containerd,cni/net.d,cni/ipam,kubelet,kubelet-certs,local-path,pod-logs,coredns,lpp}
  NODE_NETNS_BEFORE=$(ls /var/run/netns 2>/dev/null | tr '\n' ' ')
  NODE_KUBEPROXY_TABLES_BEFORE=$(nft list tables 2>/dev/null | grep -c 'kube-proxy')
  NODE_NFT_TABLES_BEFORE=$(nft list tables 2>/dev/null | tr '\n' ';')
  node_sysctls_save
  # 1. safety table, 2. bridge: before any process starts
  node_guard_up || { echo "node: could not install the nft guard table" >&2; return 1; }
  node_bridge_up || { echo "node: could not create bridge $NODE_BRIDGE" >&2; return 1; }

  # 3. containerd
  node_containerd_config
  containerd --config "$d/containerd/config.toml" >"$d/containerd.log" 2>&1 &
  NODE_PIDS+=($!)
  NODE_CONTAINERD_PID=$!
  export CONTAINERD_ADDRESS=$d/containerd/containerd.sock CONTAINERD_NAMESPACE=k8s.io
  node_wait 30 ctr --address "$CONTAINERD_ADDRESS" version || { echo "node: containerd did not start" >&2; tail -20 "$d/containerd.log" >&2; return 1; }

  # 4. images (built or cached by images/build.sh)
  # (an image that fails to build is reported by the caller's own images check; the node needs
  # only the pause and busybox images to start)
  bash "$NODE_REPO/images/build.sh" --import "$CONTAINERD_ADDRESS" ${NODE_APPDIR:+--app "$NODE_APPDIR"} $NODE_IMAGES >"$d/images.out" 2>"$d/images.log"
  local need have
  # (the list is read whole first: `ctr ... | grep -q` under pipefail fails when grep stops reading early)
  have=$(ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images ls -q)
  for need in "$NODE_PAUSE_IMAGE" "$NODE_BUSYBOX_IMAGE"; do
    if ! grep -qxF "$need" <<<"$have"; then
      echo "node: image $need not imported (see $d/images.log)" >&2
      tail -20 "$d/images.log" >&2
      return 1
    fi
  done

  # 5. CoreDNS on the bridge address: cluster.local from the API server, nothing forwarded
  # (two server blocks: CoreDNS runs its plugins in a fixed compile-time order, template before
  # kubernetes, so a catch-all template in the cluster.local block would answer first)
  cat >"$d/coredns/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_GW
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG e2e
        pods insecure
        ttl 5
    }
}
.:53 {
    bind $NODE_GW
    errors
    # no forward plugin: names outside cluster.local get NXDOMAIN, no query leaves the machine
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  coredns -conf "$d/coredns/Corefile" -dns.port 53 >"$d/coredns.log" 2>&1 &
  NODE_PIDS+=($!)

  # 6. kubelet: its cgroupRoot must exist in every hierarchy (cpuset needs cpus/mems to be usable)
  local c
  for c in /sys/fs/cgroup/*/; do
    mkdir -p "$c${NODE_CGROUP_ROOT#/}" 2>/dev/null || continue
    if [ -f "$c/cpuset.cpus" ]; then
      cat "$c/cpuset.cpus" >"$c${NODE_CGROUP_ROOT#/}/cpuset.cpus"
      cat "$c/cpuset.mems" >"$c${NODE_CGROUP_ROOT#/}/cpuset.mems"
    fi
  done
  local kport hport
  kport=$(node_free_port)
  hport=$(node_free_port)
  : >"$d/kubelet/resolv.conf"
  cat >"$d/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: $NODE_CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$CONTAINERD_ADDRESS
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
address: $NODE_GW
port: $kport
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $hport
clusterDomain: cluster.local
clusterDNS: [$NODE_GW]
resolvConf: $d/kubelet/resolv.conf
podLogsDir: $d/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: 60
registerNode: true
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
EOF
  kubelet --config "$d/kubelet/config.yaml" --kubeconfig "$KUBECONFIG" --root-dir "$d/kubelet" \
    --cert-dir "$d/kubelet-certs" --hostname-override "$NODE_NAME" --node-ip "$NODE_GW" \
    --v 2 >"$d/kubelet.log" 2>&1 &
  NODE_PIDS+=($!)

  # 7. scheduler, kube-proxy (nftables)
  kube-scheduler --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --leader-elect=false --secure-port 0 \
    >"$d/kube-scheduler.log" 2>&1 &
  NODE_PIDS+=($!)
  cat >"$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: $NODE_POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_GW
healthzBindAddress: 127.0.0.1:$(node_free_port)
metricsBindAddress: 127.0.0.1:$(node_free_port)
nodePortAddresses: ["$NODE_POD_SUBNET"]
masqueradeAll: true
oomScoreAdj: 0
clientConnection:
  kubeconfig: $KUBECONFIG
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  kube-proxy --config "$d/kube-proxy.yaml" --v 2 >"$d/kube-proxy.log" 2>&1 &
  NODE_PIDS+=($!)

  # 8. node Ready
  if ! node_wait 90 sh -c "kubectl get node $NODE_NAME -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"; then
    echo "node: $NODE_NAME not Ready after 90s; last lines of kubelet.log:" >&2
    tail -n 15 "$d/kubelet.log" >&2
    return 1
  fi

  # 9. local-path-provisioner, out of cluster (its helper pods run on the node)
  kubectl create namespace local-path-storage >/dev/null 2>&1
  kubectl -n local-path-storage create serviceaccount local-path-provisioner >/dev/null 2>&1
  cat >"$d/lpp/config.json" <<EOF
{ "nodePathMap": [ { "node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$d/local-path"] } ] }
EOF
  printf '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n' >"$d/lpp/setup"
  printf '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n' >"$d/lpp/teardown"
  cat >"$d/lpp/helperPod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  containers:
  - name: helper-pod
    image: $NODE_BUSYBOX_IMAGE
    imagePullPolicy: Never
EOF
  kubectl -n local-path-storage create configmap local-path-config --from-file="$d/lpp/config.json" \
    --from-file="$d/lpp/setup" --from-file="$d/lpp/teardown" --from-file="$d/lpp/helperPod.yaml" >/dev/null 2>&1
  local-path-provisioner --debug start --kubeconfig "$KUBECONFIG" --config "$d/lpp/config.json" \
    --provisioner-name rancher.io/local-path --namespace local-path-storage \
    --configmap-name local-path-config --helper-image "$NODE_BUSYBOX_IMAGE" \
    --service-account-name local-path-provisioner --helper-pod-file "$d/lpp/helperPod.yaml" \
    >"$d/local-path-provisioner.log" 2>&1 &
  NODE_PIDS+=($!)
  return 0
}

# --- stop -----------------------------------------------------------------------------------------
node_kill_pids() { # PID...: TERM, wait up to 5s, KILL
  local p
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null
  for _ in $(seq 1 50); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  kill -9 "$@" 2>/dev/null
  for p in "$@"; do wait "$p" 2>/dev/null; done
  return 0
}

node_shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -xF -- "$NODE_DIR/containerd/containerd.sock" >/dev/null && echo "${p#/proc/}"
  done
}

node_stop() {
  [ -n "$NODE_DIR" ] || return 0
  local d=$NODE_DIR i pids shims
  # kubelet first (it would restart containers), then the rest of our processes but containerd
  local others=()
  for ((i = ${#NODE_PIDS[@]} - 1; i >= 0; i--)); do
    [ "${NODE_PIDS[$i]}" = "${NODE_CONTAINERD_PID:-}" ] || others+=("${NODE_PIDS[$i]}")
  done
  node_kill_pids "${others[@]}"
  # every process of every pod: by cgroup (the kubelet's cgroupRoot is ours alone)
  for _ in 1 2 3; do
    pids=$(node_cgroup_pids)
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.5
  done
  # the runc shims of our containerd: their pid files under our state dir, and every process whose
  # arguments are exactly `-address <our socket>` (a shim whose bundle is already gone)
  shims=$({
    cat "$d"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid 2>/dev/null
    node_shim_pids
  } | sort -u)
  # shellcheck disable=SC2086
  [ -n "$shims" ] && node_kill_pids $shims
  [ -n "${NODE_CONTAINERD_PID:-}" ] && node_kill_pids "$NODE_CONTAINERD_PID"
  NODE_PIDS=()
  # network namespaces the CRI made (bind mounts in /var/run/netns)
  local ns
  for ns in $(ls /var/run/netns 2>/dev/null); do
    case " $NODE_NETNS_BEFORE " in *" $ns "*) continue ;; esac
    case "$ns" in cni-*) ip netns delete "$ns" 2>/dev/null || { umount -l "/var/run/netns/$ns" 2>/dev/null; rm -f "/var/run/netns/$ns"; } ;; esac
  done
  # every mount under the work dir (pod volumes, overlay rootfs, shm), deepest first
  local m
  for _ in 1 2 3; do
    m=$(findmnt -rn -o TARGET | grep -F "$d/" | sort -r)
    [ -n "$m" ] || break
    while read -r t; do umount "$t" 2>/dev/null || umount -l "$t" 2>/dev/null; done <<<"$m"
  done
  # cgroups, deepest first
  local c
  for c in /sys/fs/cgroup/*"$NODE_CGROUP_ROOT"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  # network: bridge (and any veth left), kube-proxy's tables (unless they existed before), our guard
  ip link del "$NODE_BRIDGE" 2>/dev/null
  if [ "${NODE_KUBEPROXY_TABLES_BEFORE:-0}" = 0 ]; then
    nft delete table ip kube-proxy 2>/dev/null
    nft delete table ip6 kube-proxy 2>/dev/null
  fi
  nft delete table inet "$NODE_NFT_TABLE" 2>/dev/null
  # iptables(-nft) tables that did not exist before the run and hold nothing but the kubelet's
  # KUBE-* chains (KUBE-FIREWALL, canaries), CNI-* chains and the base chains jumping to them
  local t
  while read -r t; do
    [ -n "$t" ] || continue
    case ";$NODE_NFT_TABLES_BEFORE" in *";$t;"*) continue ;; esac
    if ! nft list $t 2>/dev/null | grep -E '^\s*chain ' | awk '{print $2}' |
      grep -vqE '^(KUBE-|CNI-)|^(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING)$'; then
      nft delete $t 2>/dev/null
    fi
  done < <(nft list tables 2>/dev/null)
  node_sysctls_restore
  return 0
}

# node_leftovers: prints whatever the node left behind (empty when the teardown was complete)
node_leftovers() {
  local d=$NODE_DIR out=""
  [ -n "$(node_cgroup_pids)" ] && out+="processes in cgroups $NODE_CGROUP_ROOT: $(node_cgroup_pids | tr '\n' ' '); "
  ls -d /sys/fs/cgroup/*"$NODE_CGROUP_ROOT" >/dev/null 2>&1 && out+="cgroup dirs $NODE_CGROUP_ROOT; "
  [ -n "$d" ] && findmnt -rn -o TARGET | grep -F "$d/" >/dev/null && out+="mounts: $(findmnt -rn -o TARGET | grep -cF "$d/"); "
  local procs
  procs=$(node_shim_pids; for p in /proc/[0-9]*; do tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -- "^$d/" >/dev/null && echo "${p#/proc/}"; done)
  [ -n "$d" ] && [ -n "$procs" ] && out+="processes: $(echo "$procs" | sort -u | tr '\n' ' '); "
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && out+="bridge $NODE_BRIDGE; "
  ip -br link | grep "^veth" >/dev/null && out+="veth: $(ip -br link | grep -c '^veth'); "
  nft list tables 2>/dev/null | grep -E "$NODE_NFT_TABLE|kube-proxy" >/dev/null && out+="nft: $(nft list tables | grep -E "$NODE_NFT_TABLE|kube-proxy" | tr '\n' ' '); "
  iptables-save 2>/dev/null | grep -E "KUBE-|CNI-" >/dev/null && out+="iptables KUBE-/CNI- rules; "
  ls /var/run/netns 2>/dev/null | grep "^cni-" >/dev/null && out+="netns: $(ls /var/run/netns | grep -c '^cni-'); "
  echo -n "$out"
}
