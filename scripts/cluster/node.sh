# shellcheck shell=bash
# One node (sourced by common.sh), the way kind makes one without Docker: its own network namespace (a
# veth to the bridge), its own containerd (socket, root, state under the node's folder; Debian's package),
# CNI (bridge + host-local on the node's pod subnet + portmap), a kubelet with its own cgroup subtree, and
# kube-proxy (nftables) in the namespace. Images are built here (images/build.sh) and imported: nothing is
# pulled (the guard would drop it anyway).

cl_node_dir() { echo "$CL_DIR/nodes/n$1"; }
cl_containerd_sock() { echo "$(cl_node_dir "$1")/containerd/containerd.sock"; }

cl_containerd_config() { # I
  local d sub
  d=$(cl_node_dir "$1")
  sub=$(cl_node_subnet "$1")
  mkdir -p "$d"/containerd "$d"/cni/net.d "$d"/cni/ipam
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
  sandbox_image = "$CL_PAUSE_IMAGE"
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
  # no masquerade: the pods' addresses are routed between the nodes and from the host
  cat >"$d/cni/net.d/10-rag.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rag-$CL_NAME",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$d/cni/ipam",
        "ranges": [[{ "subnet": "$sub" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# the kubelet's cgroupRoot must exist in every hierarchy (cpuset needs cpus/mems to be usable)
cl_node_cgroups() { # I
  local c root=${CL_CGROUP_PREFIX#/}-n$1
  for c in /sys/fs/cgroup/*/; do
    mkdir -p "$c$root" 2>/dev/null || continue
    if [ -f "$c/cpuset.cpus" ]; then
      cat "$c/cpuset.cpus" >"$c$root/cpuset.cpus"
      cat "$c/cpuset.mems" >"$c$root/cpuset.mems"
    fi
  done
}

cl_kubelet_config() { # I
  local d ip
  d=$(cl_node_dir "$1")
  ip=$(cl_node_ip "$1")
  mkdir -p "$d/kubelet" "$d/kubelet-certs" "$d/pod-logs"
  : >"$d/kubelet/resolv.conf"
  cat >"$d/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: $CL_CGROUP_PREFIX-n$1
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$d/containerd/containerd.sock
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
address: $ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDomain: cluster.local
clusterDNS: [${CL_DNS_IP:-$CL_GW}]
resolvConf: $d/kubelet/resolv.conf
podLogsDir: $d/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: ${CL_MAX_PODS:-60}
registerNode: true
syncFrequency: 10s
fileCheckFrequency: 10s
EOF
}

cl_kube_proxy_config() { # I
  local d ip
  d=$(cl_node_dir "$1")
  ip=$(cl_node_ip "$1")
  cat >"$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: $CL_POD_CIDR
hostnameOverride: $(cl_node_name "$1")
bindAddress: $ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$CL_NODE_NET"]
oomScoreAdj: 0
clientConnection:
  kubeconfig: $KUBECONFIG
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# cl_node_start I IMAGES...: containerd up and the images imported, then kubelet and kube-proxy. The node
# registers itself with the zone label (a, b, c in turn) and the node IP of its namespace.
cl_node_start() {
  local i=$1 ns d sock
  shift
  ns=$(cl_netns "$i")
  d=$(cl_node_dir "$i")
  sock=$(cl_containerd_sock "$i")
  cl_containerd_config "$i"
  cl_spawn "n$i-containerd" "$ns" containerd --config "$d/containerd/config.toml"
  cl_wait 30 ctr --address "$sock" version || { echo "node $i: containerd did not start" >&2; tail -n 20 "$CL_DIR/logs/n$i-containerd.log" >&2; return 1; }
  cl_node_import "$i" "$@" || return 1
  cl_node_cgroups "$i"
  cl_kubelet_config "$i"
  cl_spawn "n$i-kubelet" "$ns" kubelet --config "$d/kubelet/config.yaml" --kubeconfig "$KUBECONFIG" --root-dir "$d/kubelet" \
    --cert-dir "$d/kubelet-certs" --hostname-override "$(cl_node_name "$i")" --node-ip "$(cl_node_ip "$i")" \
    --node-labels "topology.kubernetes.io/zone=$(cl_zone "$i"),topology.kubernetes.io/region=rag-$CL_NAME" --v 2
  cl_kube_proxy_config "$i"
  cl_spawn "n$i-kube-proxy" "$ns" kube-proxy --config "$d/kube-proxy.yaml" --v 2
}

# cl_node_import I IMAGE...: images (names of images/build.sh) into node I's containerd; the pause image must
# be there (checked when the node starts; a later import into a running node, cluster.sh import, has no
# CL_PAUSE_IMAGE set and checks its build's exit code only)
cl_node_import() {
  local i=$1 sock have
  shift
  sock=$(cl_containerd_sock "$i")
  bash "$CL_REPO/images/build.sh" --import "$sock" ${CL_APPDIR:+--app "$CL_APPDIR"} "$@" \
    >>"$CL_DIR/logs/n$i-images.out" 2>>"$CL_DIR/logs/n$i-images.log" || {
    echo "node $i: images/build.sh --import $* failed (logs/n$i-images.log)" >&2
    tail -n 20 "$CL_DIR/logs/n$i-images.log" >&2
    return 1
  }
  [ -n "${CL_PAUSE_IMAGE:-}" ] || return 0
  have=$(ctr --address "$sock" -n k8s.io images ls -q)
  grep -qxF "$CL_PAUSE_IMAGE" <<<"$have" || { echo "node $i: the pause image $CL_PAUSE_IMAGE was not imported (logs/n$i-images.log)" >&2; tail -n 20 "$CL_DIR/logs/n$i-images.log" >&2; return 1; }
}

# cl_nodes_import IMAGE...: cl_node_import into every node at once; 1 when any of them failed
cl_nodes_import() {
  local i p pids=() rc=0
  for ((i = 1; i <= CL_NODES; i++)); do
    cl_node_import "$i" "$@" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

cl_node_ready() { # I
  [ "$(kubectl get node "$(cl_node_name "$1")" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# cl_nodes_start N IMAGE...: N nodes, their namespaces and images in parallel, then wait until all are Ready
cl_nodes_start() {
  local n=$1 i pids=() rc=0
  shift
  for ((i = 1; i <= n; i++)); do cl_netns_up "$i" "$n" || { echo "node $i: could not make its network namespace" >&2; return 1; }; done
  for ((i = 1; i <= n; i++)); do
    cl_node_start "$i" "$@" 2>"$CL_DIR/logs/n$i-start.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { rc=1; cat "$CL_DIR/logs/n$((i + 1))-start.err" >&2; }; done
  [ $rc = 0 ] || return 1
  for ((i = 1; i <= n; i++)); do
    if ! cl_wait 120 cl_node_ready "$i"; then
      echo "node $(cl_node_name "$i") not Ready after 120s; last lines of its kubelet log:" >&2
      tail -n 15 "$CL_DIR/logs/n$i-kubelet.log" >&2
      return 1
    fi
  done
}

# cl_node_kill I: the node dies hard: kubelet, kube-proxy, containerd, the shims and every container
# process killed at once (SIGKILL), and its link cut. Its namespace stays (the teardown removes it).
cl_node_kill() {
  local i=$1 pids
  cl_link "$i" down
  pids="$(cl_pid "n$i-kubelet") $(cl_pid "n$i-kube-proxy") $(cl_pid "n$i-containerd") $(cl_node_shim_pids "$i") $(cl_cgroup_pids "$CL_CGROUP_PREFIX-n$i")"
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null
  return 0
}
