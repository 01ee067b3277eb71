# shellcheck shell=bash
# The scale simulation's helpers (sourced by e2e/scale.sh after e2e/lib/cluster.sh): check counters and the
# timing table, and what the simulation adds to cluster.sh's control plane: the real kube-scheduler, KWOK
# (simulated nodes and pods; no kubelet, no network, no container) and the CSI provisioner stand-in
# (e2e/scale/provisioner.ts). Everything listens on loopback or nowhere: the scheduler with --secure-port 0,
# KWOK without --server-address or --node-port (no server at all).

PASSED=0
FAILED=0
FAILURES=()
declare -A TIMES=()
TIME_ORDER=()
SIM_PIDS=()
say() { printf '[scale-e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$1"; }
fail() {
  FAILED=$((FAILED + 1))
  FAILURES+=("$1")
  printf 'FAIL - %s\n' "$1"
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "----- last lines of $2"; tail -n "${3:-30}" "$2" | cut -c1-400; echo "-----"; }
  return 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
created() { grep -oE '"create":[0-9]+' "$1" | tail -n1 | sed 's/"create":\(.*\)/\1 resources created/'; } # LOG of P up
record_time() { [ -n "${TIMES[$1]+x}" ] || TIME_ORDER+=("$1"); TIMES[$1]=$2; }
run() { # LOG CMD...: the command's output in LOG; LAST_SECS set; in the background + wait so a signal tears down at once
  local logf=$1 t0 rc
  shift
  t0=$(now)
  echo "\$ $*" >"$logf"
  timeout "${E2E_STEP_TIMEOUT:-1800}" "$@" >>"$logf" 2>&1 &
  wait $!
  rc=$?
  LAST_SECS=$(elapsed "$t0")
  echo "[exit $rc after ${LAST_SECS}s]" >>"$logf"
  return $rc
}
# check ARGS...: e2e/scale/checks.ts ARGS; its ok/FAIL lines counted, `time` lines to the table, the rest printed;
# fails when a FAIL line came or none at all
check() {
  local line seen=0 bad=0
  while IFS= read -r line; do
    case $line in
    "ok   - "*) seen=1; pass "${line#ok   - }" ;;
    "FAIL - "*) seen=1; bad=1; fail "${line#FAIL - }" ;;
    time$'\t'*)
      IFS=$'\t' read -r _ label secs <<<"$line"
      record_time "$label" "$secs"
      ;;
    *) printf '%s\n' "$line" ;;
    esac
  done < <(node -r "$REPO/node_modules/ts-node/register/transpile-only" "$E2E_DIR/scale/checks.ts" "$@" 2>>"$LOGS/checks.stderr")
  # a check that died before its verdict must not pass silently
  [ $seen = 1 ] || { bad=1; fail "e2e/scale/checks.ts $1 printed no verdict" "$LOGS/checks.stderr"; }
  return $bad
}
summary() {
  echo
  if [ ${#TIME_ORDER[@]} -gt 0 ]; then
    echo "Timings (seconds):"
    for k in "${TIME_ORDER[@]}"; do printf '  %-72s %8s\n' "$k" "${TIMES[$k]}"; done
  fi
  [ -n "${PEAK_MEMORY:-}" ] && echo "Peak memory (VmHWM): $PEAK_MEMORY"
  echo "Logs: ${WORK:-none}$([ "${E2E_KEEP:-0}" = 1 ] || echo ' (deleted; E2E_KEEP=1 keeps them)')"
  if [ $FAILED -gt 0 ]; then
    echo "Failed checks:"
    for f in "${FAILURES[@]}"; do echo "  - $f"; done
  fi
  echo "$PASSED passed, $FAILED failed"
}

# sim_start DIR: kube-scheduler, KWOK and the provisioner stand-in against $KUBECONFIG (cluster_start first)
sim_start() {
  local d=$1
  mkdir -p "$d"
  SIM_DIR=$d
  kube-scheduler --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --leader-elect=false --secure-port 0 \
    >"$d/kube-scheduler.log" 2>&1 &
  SIM_PIDS+=($!)
  # KWOK: only the nodes annotated kwok.x-k8s.io/node=fake; stages from the module (scripts/toolchain.sh writes
  # them to kwok-stages.yaml: node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete);
  # node leases of 40 s as kwokctl sets them, so the node lifecycle controller keeps the nodes Ready; a /16
  # for pod IPs (the default /24 runs out at 254 pods); the nodes' InternalIP on loopback, so that even a stray
  # kubelet request (logs, exec: none is made) could not leave the machine.
  kwok --kubeconfig "$KUBECONFIG" --config "$TOOLCHAIN_BIN/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 --cidr 10.0.0.0/16 --node-ip 127.0.0.2 \
    >"$d/kwok.log" 2>&1 &
  SIM_PIDS+=($!)
  rm -f "$d/provisioner.stop"
  node -r "$REPO/node_modules/ts-node/register/transpile-only" "$E2E_DIR/scale/provisioner.ts" \
    "$d/provisioner.stop" "$d/provisioner.log" ebs.csi.aws.com efs.csi.aws.com >"$d/provisioner.out" 2>&1 &
  SIM_PIDS+=($!)
}

# peak resident memory of the control plane and the simulation's processes, by process
sim_peak_memory() {
  local pid name hwm out=""
  for pid in "${CLUSTER_PIDS[@]}" "${SIM_PIDS[@]}"; do
    [ -r "/proc/$pid/status" ] || continue
    name=$(awk '/^Name:/{print $2}' "/proc/$pid/status")
    hwm=$(awk '/^VmHWM:/{printf "%d", $2/1024}' "/proc/$pid/status")
    out+="$name ${hwm} MiB, "
  done
  echo "${out%, }"
}

sim_stop() {
  local pid
  [ -n "${SIM_DIR:-}" ] && touch "$SIM_DIR/provisioner.stop"
  for pid in "${SIM_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SIM_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SIM_PIDS=()
}
