# shellcheck shell=bash
# HA check 4 (sourced by e2e/ha/main.sh): a dependency goes away. With queries and document listings
# running, each datastore's pod is killed in turn: the API keeps answering what it can still answer (a
# query needs the vector store, not PostgreSQL; a listing needs PostgreSQL, not the vector store; Redis is a
# cache), and returns to full service without a restart when the datastore is back. Per datastore: failed
# requests of each kind, the seconds from the kill until every kind succeeds again, and the quiet stretch after.

datastore_pod() { # COMPONENT -> its pod
  kubectl -n "$NS" get pods -l "app.kubernetes.io/component=$1" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null
}
# last failure time (epoch s) in a load log at or after FROM, or FROM when none
last_failure_after() {
  python3 - "$LOGS/load-$1.jsonl" "$2" <<'PY' 2>/dev/null
import json, sys
last = float(sys.argv[2])
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "failure" in o and o["t"] / 1000 >= float(sys.argv[2]):
        last = max(last, o["t"] / 1000)
print(f"{last:.1f}")
PY
}

restarts0=$(restarts_total)
ds_report="" ds_ok=1
for ds in postgres redis vector-store; do
  pod=$(datastore_pod "$ds")
  [ -n "$pod" ] || { ds_report+="$ds: no pod found; "; ds_ok=0; continue; }
  # the loads run 10 s before the kill and 20 s past the pod's Ready (at most 180 s), and must end on at
  # least 10 s without a failure: the API is back to full service by itself
  load_start "q-$ds" 8 180
  load_start "l-$ds" 4 180 12 200 "/v1/documents?limit=5"
  sleep 10
  t_kill=$(date +%s.%N)
  kubectl -n "$NS" delete pod "$pod" --grace-period=0 --force >/dev/null 2>&1
  cl_wait 150 kubectl -n "$NS" wait --for=condition=Ready "pod/$pod" --timeout=5s
  t_ready=$(date +%s.%N)
  sleep 20
  t_end=$(date +%s.%N)
  load_stop "q-$ds"
  load_stop "l-$ds"
  qf=$(load_summary "q-$ds" failed) lf=$(load_summary "l-$ds" failed)
  read -r back quiet < <(awk -v a="$t_kill" -v e="$t_end" -v q="$(last_failure_after "q-$ds" "$t_kill")" -v l="$(last_failure_after "l-$ds" "$t_kill")" \
    'BEGIN{m=(q>l?q:l); printf "%.1f %.1f\n", (m>a?m-a:0), e-m}')
  ds_report+="$ds: queries $(load_summary "q-$ds" ok) ok / $qf failed, listings $(load_summary "l-$ds" ok) ok / $lf failed, pod Ready again after $(awk -v a="$t_kill" -v b="$t_ready" 'BEGIN{printf "%.1f", b-a}')s, last failed request ${back}s after the kill (then ${quiet}s without one); "
  record_time "HA: $ds killed: seconds until requests succeed again" "$back"
  awk -v s="$quiet" 'BEGIN{exit !(s >= 10)}' || ds_ok=0
  # what must keep working: queries without PostgreSQL, listings without the vector store, both without Redis
  case "$ds" in
    postgres) [ "$qf" = 0 ] || ds_ok=0 ;;
    vector-store) [ "$lf" = 0 ] || ds_ok=0 ;;
    redis) [ "$qf" = 0 ] && [ "$lf" = 0 ] || ds_ok=0 ;;
  esac
done
restarts1=$(restarts_total)
if [ $ds_ok = 1 ] && [ "$restarts1" = "$restarts0" ] && ha_docs_answer "after the datastores came back"; then
  pass "HA a datastore goes away (pod killed under load): $ds_report the API kept answering what did not need the lost datastore and is back to full service with no container restart; every document still answers"
else
  fail "HA a datastore goes away: $ds_report container restarts $restarts0 -> $restarts1"
fi
