# shellcheck shell=bash
# A cluster left behind by a run that ended without stopping it (killed, or its session cut) must not block
# every later run (sourced by e2e/node.sh before its cluster starts): cl_check removes such a cluster when none
# of its processes is alive, and refuses while one is. A profile of its own (bridge ragrc0, ranges no other
# cluster uses); only its guard, bridge and state folder are made, so this costs well under a second.

# reclaim_make DIR STARTER_PID: the leftovers of a cluster started by STARTER_PID, with one recorded process
reclaim_make() {
  (
    CL_BRIDGE=ragrc0 CL_PREFIX=rc CL_POD_PREFIX=10.250 CL_NODE_PREFIX=10.251.0 CL_SERVICE_CIDR=10.98.0.0/16
    cl_settings rc
    CL_DIR=$1 CL_NODES=0
    mkdir -p "$CL_DIR/pids"
    cl_save_env
    touch "$CL_DIR/network"
    echo "$CL_DIR $2" >"$(cl_owner_file)"
    echo "$2" >"$CL_DIR/pids/etcd"
    cl_guard_up && cl_bridge_up
  )
}
# reclaim_check: cl_check for that profile (prints its verdict)
reclaim_check() {
  (
    CL_BRIDGE=ragrc0 CL_PREFIX=rc CL_POD_PREFIX=10.250 CL_NODE_PREFIX=10.251.0 CL_SERVICE_CIDR=10.98.0.0/16
    cl_settings rc
    cl_check 2>&1
  )
}
reclaim_present() { ip link show ragrc0 >/dev/null 2>&1 || nft list table inet rag_rc_guard >/dev/null 2>&1 || [ -e /run/rag-cluster-rc.owner ]; }

RECLAIM_DIR=$(mktemp -d)
# 1. a live cluster: its starting process still runs -> refused, nothing removed
sleep 300 &
RECLAIM_LIVE=$!
if reclaim_make "$RECLAIM_DIR/live" "$RECLAIM_LIVE"; then
  out=$(reclaim_check)
  rc=$?
  if [ $rc -ne 0 ] && grep -q "rc cluster is running" <<<"$out" && ip link show ragrc0 >/dev/null 2>&1; then
    pass "cl_check refuses to start beside a live cluster of the same profile (${out:0:160})"
  else
    fail "cl_check with a live cluster of the profile: rc $rc, '$out', bridge $(ip link show ragrc0 >/dev/null 2>&1 && echo kept || echo removed)"
  fi
else
  fail "could not make the leftovers of a test cluster (bridge ragrc0)"
fi
kill "$RECLAIM_LIVE" 2>/dev/null
wait "$RECLAIM_LIVE" 2>/dev/null
# 2. the same cluster once its processes are gone (the run was killed) -> removed, and the start goes on
out=$(reclaim_check)
rc=$?
if [ $rc -eq 0 ] && ! reclaim_present && grep -q "none of its processes is alive; removing it" <<<"$out"; then
  pass "a cluster left by a killed run (no process alive) is removed by the next start: bridge, guard and owner record gone"
else
  fail "stale cluster not reclaimed: rc $rc, '$out'; still present: $(ip -br link show ragrc0 2>/dev/null) $(nft list tables | grep rag_rc_guard) $(cat /run/rag-cluster-rc.owner 2>/dev/null)"
fi
# (whatever a failure left)
ip link del ragrc0 2>/dev/null
nft delete table inet rag_rc_guard 2>/dev/null
rm -rf /run/rag-cluster-rc.owner "$RECLAIM_DIR"
unset -f reclaim_make reclaim_check reclaim_present
