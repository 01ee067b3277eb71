# shellcheck shell=bash
# The shell e2e tests' reporting (sourced): one `ok   - ` / `FAIL - ` line per check, a timing table and the
# closing `N passed, N failed` that .ci/run sums. `run LOG CMD...` runs a step with its output in LOG, in the
# background + wait, so that a signal runs the caller's teardown trap at once; LAST_SECS is its duration.
PASSED=0
FAILED=0
FAILURES=()
declare -A TIMES=()
TIME_ORDER=()
E2E_LABEL=${E2E_LABEL:-e2e}
say() { printf '[%s %s] %s\n' "$E2E_LABEL" "$(date +%H:%M:%S)" "$*"; }
# each check's line records the seconds since the one before it: the summary names the longest stretches
CHECK_AT=$SECONDS
GAPS=()
check_gap() { GAPS+=("$((SECONDS - CHECK_AT)) ${1:0:100}"); CHECK_AT=$SECONDS; }
pass() { PASSED=$((PASSED + 1)); check_gap "$1"; printf 'ok   - %s\n' "$1"; }
fail() {
  FAILED=$((FAILED + 1))
  check_gap "$1"
  FAILURES+=("$1")
  printf 'FAIL - %s\n' "$1"
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "----- last lines of $2"; tail -n "${3:-30}" "$2" | cut -c1-300; echo "-----"; }
  return 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
record_time() { [ -n "${TIMES[$1]+x}" ] || TIME_ORDER+=("$1"); TIMES[$1]=$2; }
run() { # LOG CMD...
  local logf=$1 t0 rc
  shift
  t0=$(now)
  echo "\$ $*" >"$logf"
  timeout "${E2E_STEP_TIMEOUT:-1200}" "$@" >>"$logf" 2>&1 &
  wait $!
  rc=$?
  LAST_SECS=$(elapsed "$t0")
  echo "[exit $rc after ${LAST_SECS}s]" >>"$logf"
  return $rc
}
# heavy_load_begin WHAT / heavy_load_end: one CPU-heavy query load on this machine at a time. CI runs the node and
# HA tiers side by side on 2 cores; the node tier's HPA load (80 questions a second) and the HA tier's scale load
# (140 a second) at once starved both (a clean-clone CI: 356 of the HA load's requests not sent, 2,510 of the node
# load's 7,059 timed out). A lock file both take: the second waits (WHAT and the wait are printed); the lock goes
# with the holder's exit too. Processes started while it is held inherit its descriptor: close it for them
# ({HEAVY_LOAD_FD}>&-) or they keep the lock after heavy_load_end.
HEAVY_LOAD_LOCK=${HEAVY_LOAD_LOCK:-/run/rag-e2e-heavy-load.lock}
HEAVY_LOAD_FD=
heavy_load_begin() {
  local t
  t=$(now)
  exec {HEAVY_LOAD_FD}>>"$HEAVY_LOAD_LOCK"
  if flock -w "${E2E_HEAVY_LOAD_WAIT:-1200}" "$HEAVY_LOAD_FD"; then
    say "$1: the machine's heavy-load lock taken after $(elapsed "$t")s"
  else
    say "$1: the machine's heavy-load lock still held by another run after $(elapsed "$t")s; going on without it"
  fi
}
heavy_load_end() {
  [ -n "$HEAVY_LOAD_FD" ] || return 0
  exec {HEAVY_LOAD_FD}>&-
  HEAVY_LOAD_FD=
}
# peak memory in use on the machine (MemTotal - MemAvailable), sampled by a background loop
MEM_PEAK_FILE=
mem_sampler_start() {
  MEM_PEAK_FILE=$1
  echo 0 >"$MEM_PEAK_FILE"
  (while sleep 2; do
    used=$(awk '/MemTotal/{t=$2} /MemAvailable/{a=$2} END{print int((t-a)/1024)}' /proc/meminfo)
    [ "$used" -gt "$(cat "$MEM_PEAK_FILE")" ] && echo "$used" >"$MEM_PEAK_FILE"
  done) &
  MEM_SAMPLER_PID=$!
}
mem_peak_mib() { cat "$MEM_PEAK_FILE" 2>/dev/null || echo 0; }
summary() {
  echo
  if [ ${#TIME_ORDER[@]} -gt 0 ]; then
    echo "Timings (seconds):"
    for k in "${TIME_ORDER[@]}"; do printf '  %-66s %8s\n' "$k" "${TIMES[$k]}"; done
  fi
  if [ ${#GAPS[@]} -gt 0 ]; then
    echo "The longest stretches (seconds from the check line before to the check named):"
    printf '%s\n' "${GAPS[@]}" | sort -rn | head -n 6 | awk '{n = $1; sub(/^[0-9]+ /, ""); printf "  %6s  %s\n", n, $0}'
  fi
  [ -n "$MEM_PEAK_FILE" ] && echo "Peak memory in use on the machine: $(mem_peak_mib) MiB of $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) MiB"
  echo "Logs: ${WORK:-none}$([ "${E2E_KEEP:-0}" = 1 ] || echo ' (deleted; E2E_KEEP=1 keeps them)')"
  if [ $FAILED -gt 0 ]; then
    echo "Failed checks:"
    for f in "${FAILURES[@]}"; do echo "  - $f"; done
  fi
  echo "$PASSED passed, $FAILED failed"
}
