# shellcheck shell=bash
# Starting a whole cluster (sourced by common.sh).
#
# cl_up: with CL_NAME (cl_settings done), CL_DIR (its state folder, made here), CL_NODES (1..), CL_REPO (the
# repository, for images/build.sh), CL_IMAGES (image names of images/build.sh to import into every node;
# pause and busybox are always added), optionally CL_APPDIR (packaged app for the app images),
# CL_METRICS_SERVER=1, CL_SHARED_VOLUMES=1, CL_NETPOL=1 (NetworkPolicies enforced: addons.sh). Everything it makes is recorded under CL_DIR first, so a failure
# half-way is undone by cl_stop like a complete cluster.
cl_up() {
  local t0=$SECONDS
  declare -A refs=()
  local k v
  while read -r k v; do refs[$k]=$v; done < <(bash "$CL_REPO/images/build.sh" --refs)
  CL_PAUSE_IMAGE=${refs[pause]} CL_BUSYBOX_IMAGE=${refs[busybox]} CL_METRICS_SERVER_IMAGE=${refs[metrics-server]:-}
  local images="pause busybox ${CL_IMAGES:-}"
  [ "${CL_METRICS_SERVER:-0}" = 1 ] && images+=" metrics-server"
  mkdir -p "$CL_DIR/logs" "$CL_DIR/pids"
  CL_STARTED=$(date +%s)
  cl_save_env
  cl_sysctls_save
  touch "$CL_DIR/network"
  echo "$CL_DIR $$" >"$(cl_owner_file)"
  cl_guard_up || { echo "cluster: could not install the nftables guard $CL_NFT_TABLE" >&2; return 1; }
  cl_bridge_up || { echo "cluster: could not make the bridge $CL_BRIDGE" >&2; return 1; }
  cl_log "guard inet $CL_NFT_TABLE and bridge $CL_BRIDGE ($CL_GW) up; starting the control plane"
  cl_control_plane_start || { echo "cluster: the control plane did not start (logs in $CL_DIR/logs)" >&2; return 1; }
  cl_save_env
  cl_coredns_start
  cl_log "control plane up at $CL_API_URL ($((SECONDS - t0))s); starting $CL_NODES node(s) and importing images"
  # shellcheck disable=SC2086
  cl_nodes_start "$CL_NODES" $images || return 1
  cl_local_path_start
  if [ "${CL_NETPOL:-0}" = 1 ]; then
    cl_netpol_start || { echo "cluster: the NetworkPolicy engine did not start (logs/n*-kube-router.log)" >&2; return 1; }
    cl_cluster_dns_start || { echo "cluster: the cluster DNS pods did not start (logs/cluster-dns-apply.log)" >&2; return 1; }
    cl_log "NetworkPolicies enforced: kube-router's network-policy controller on $CL_NODES node(s); DNS: kube-system/kube-dns $CL_DNS_IP"
  fi
  if [ "${CL_METRICS_SERVER:-0}" = 1 ]; then
    cl_metrics_server_start || { echo "cluster: metrics-server not applied (logs/metrics-server-apply.log)" >&2; return 1; }
  fi
  cl_log "$CL_NODES node(s) Ready in $((SECONDS - t0))s"
  return 0
}
