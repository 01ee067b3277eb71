# shellcheck shell=bash
# Stopping a cluster (sourced by common.sh): everything its state folder records, in an order that leaves
# nothing behind, and a check that reports anything that survived. Runs from the starting process (a test's
# trap) or from any other (`npm run cluster -- down`).

# every process in the cgroups under ROOT (pods, containers)
cl_cgroup_pids() {
  local c
  for c in /sys/fs/cgroup/*"$1"; do
    [ -d "$c" ] && find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}
cl_all_cgroup_pids() {
  local i
  for ((i = 1; i <= ${CL_NODES:-0}; i++)); do cl_cgroup_pids "$CL_CGROUP_PREFIX-n$i"; done
}

# the runc shims of node I's containerd: their pid files, and every process whose arguments name its socket
cl_node_shim_pids() {
  local d p sock
  d=$(cl_node_dir "$1")
  sock=$(cl_containerd_sock "$1")
  cat "$d"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid 2>/dev/null
  grep -lzxF -- "$sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
}

# network namespaces the CRI made for this cluster's pods (named in its nodes' containerd: the sandboxes' runtime
# specs and metadata, so all made since it started; a cluster beside this one has cni-* namespaces of its own), no
# process left in them
cl_pod_netns_named() {
  local i d
  for ((i = 1; i <= ${CL_NODES:-0}; i++)); do
    d=$(cl_node_dir "$i")/containerd
    grep -ahoE '/var/run/netns/cni-[0-9a-f-]+' "$d"/state/io.containerd.runtime.v2.task/*/*/config.json \
      "$d/root/io.containerd.metadata.v1.bolt/meta.db" 2>/dev/null
  done | sort -u
}
cl_stale_pod_netns() {
  local f ino live ours
  ours=$(cl_pod_netns_named)
  [ -n "$ours" ] || return 0
  live=$(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null | sed -nE 's/net:\[([0-9]+)\]/\1/p' | sort -u)
  for f in /var/run/netns/cni-*; do
    [ -e "$f" ] || continue
    grep -qxF "$f" <<<"$ours" || continue
    ino=$(stat -L -c %i "$f" 2>/dev/null) || continue
    grep -qx "$ino" <<<"$live" || echo "$f"
  done
}

cl_stop() {
  [ -n "${CL_DIR:-}" ] && [ -d "$CL_DIR" ] || return 0
  local i pids f m c
  # 1. every node's kubelet and kube-proxy first (the kubelet would restart containers), and other node agents
  cl_stop_procs $(for f in "$CL_DIR"/pids/n*-*; do [ -f "$f" ] && case "$f" in *-containerd) ;; *) basename "$f" ;; esac; done)
  # 2. every pod's processes, by the nodes' cgroups; then the shims and containerd
  for _ in 1 2 3; do
    pids=$(cl_all_cgroup_pids)
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.5
  done
  pids=$(for ((i = 1; i <= ${CL_NODES:-0}; i++)); do cl_node_shim_pids "$i"; done | sort -u)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && cl_kill_pids $pids
  cl_stop_procs $(for ((i = 1; i <= ${CL_NODES:-0}; i++)); do echo "n$i-containerd"; done)
  # 3. the control plane and the host's services (the API server's clients first, etcd last)
  cl_stop_procs $(for f in "$CL_DIR"/pids/*; do [ -f "$f" ] && case "$f" in */etcd) ;; *) basename "$f" ;; esac; done)
  cl_stop_procs etcd
  # 4. the pods' network namespaces, then every mount under the state folder, deepest first
  [ "${CL_NODES:-0}" -gt 0 ] && for f in $(cl_stale_pod_netns); do ip netns delete "$(basename "$f")" 2>/dev/null || { umount -l "$f" 2>/dev/null; rm -f "$f"; }; done
  for _ in 1 2 3; do
    m=$(findmnt -rn -o TARGET | grep -F "$CL_DIR/" | sort -r)
    [ -n "$m" ] || break
    while read -r f; do umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null; done <<<"$m"
  done
  # 5. cgroups, deepest first
  for ((i = 1; i <= ${CL_NODES:-0}; i++)); do
    for c in /sys/fs/cgroup/*"$CL_CGROUP_PREFIX-n$i"; do
      [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  # 6. the nodes' namespaces (their veths, nft tables and routes go with them), the bridge, the guard: only
  # when this cluster made them (cl_up records it; a control plane alone has no network of its own)
  if [ -f "$CL_DIR/network" ]; then
    for ((i = 1; i <= ${CL_NODES:-0}; i++)); do cl_netns_down "$i"; done
    ip link del "$CL_BRIDGE" 2>/dev/null
    nft delete table inet "$CL_NFT_TABLE" 2>/dev/null
    rm -f "$CL_DIR/network"
    [ "$(cut -d' ' -f1 "$(cl_owner_file)" 2>/dev/null)" = "$CL_DIR" ] && rm -f "$(cl_owner_file)"
  fi
  cl_sysctls_restore
  return 0
}

# cl_leftovers: prints whatever the cluster left behind (empty when the teardown was complete)
cl_leftovers() {
  local out="" i procs
  procs=$(cl_all_cgroup_pids | tr '\n' ' ')
  [ -n "${procs// /}" ] && out+="processes in the nodes' cgroups: $procs; "
  ls -d /sys/fs/cgroup/*"$CL_CGROUP_PREFIX"-n* >/dev/null 2>&1 && out+="cgroup dirs $CL_CGROUP_PREFIX-n*; "
  [ -n "${CL_DIR:-}" ] && findmnt -rn -o TARGET | grep -F "$CL_DIR/" >/dev/null && out+="mounts under $CL_DIR: $(findmnt -rn -o TARGET | grep -cF "$CL_DIR/"); "
  if [ -n "${CL_DIR:-}" ]; then
    # (the pattern's first character in brackets, so that grep's own command line does not match it)
    procs=$(grep -lz -- "[${CL_DIR:0:1}]${CL_DIR:1}/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')
    [ -n "${procs// /}" ] && out+="processes naming $CL_DIR: $procs; "
  fi
  ip link show "$CL_BRIDGE" >/dev/null 2>&1 && out+="bridge $CL_BRIDGE; "
  ip -br link | grep -E "^$CL_PREFIX-n[0-9]+" >/dev/null && out+="veths: $(ip -br link | grep -cE "^$CL_PREFIX-n[0-9]+"); "
  ip netns list 2>/dev/null | grep -E "^rag-$CL_NAME-n[0-9]+" >/dev/null && out+="node namespaces: $(ip netns list | grep -E "^rag-$CL_NAME-n" | awk '{print $1}' | tr '\n' ' '); "
  nft list tables 2>/dev/null | grep -F "$CL_NFT_TABLE" >/dev/null && out+="nft table $CL_NFT_TABLE; "
  [ -n "$(cl_stale_pod_netns)" ] && out+="pod netns: $(cl_stale_pod_netns | wc -l); "
  ip route | grep -E "^($CL_POD_PREFIX\.|$CL_SERVICE_CIDR)" >/dev/null && out+="routes: $(ip route | grep -cE "^($CL_POD_PREFIX\.|$CL_SERVICE_CIDR)"); "
  for i in kube-proxy; do nft list tables 2>/dev/null | grep -q "$i" && out+="host nft table $i; "; done
  # the NetworkPolicy engine's chains and sets live in the nodes' namespaces: none may be on the host
  if command -v iptables-save >/dev/null; then
    iptables-save 2>/dev/null | grep -qE '^:(KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-|KUBE-SRC-|KUBE-DST-)' && out+="host iptables chains of kube-router; "
  fi
  if command -v ipset >/dev/null; then
    ipset list -n 2>/dev/null | grep -qE '^KUBE-(SRC|DST)-|^kube-router' && out+="host ipsets of kube-router: $(ipset list -n | grep -cE '^KUBE-(SRC|DST)-|^kube-router'); "
  fi
  echo -n "$out"
}
