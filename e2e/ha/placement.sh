# shellcheck shell=bash
# HA checks 1-2 (sourced by e2e/ha/main.sh): where the scheduler put the prod shape, then every node drained in
# turn under load.

# 1. placement: API replicas on three distinct nodes and zones, frontend on two nodes, PDBs in place
api_nodes=$(api_pods | awk '{print $2}' | sort)
api_zones=$(for n in $api_nodes; do zone_of "$n" && echo; done | sort -u | tr '\n' ' ')
fe_nodes=$(kubectl -n "$NS" get pods -l app.kubernetes.io/component=frontend --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u)
pdbs=$(kubectl -n "$NS" get pdb -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/component}:{.spec.maxUnavailable}{.spec.minAvailable}{" "}{end}')
if [ "$(echo "$api_nodes" | sort -u | wc -l)" = 3 ] && [ "$(echo "$api_nodes" | wc -l)" = 3 ] && [ "$(echo "$api_zones" | wc -w)" = 3 ] &&
  [ "$(echo "$fe_nodes" | wc -l)" = 2 ] && grep -q 'api:' <<<"$pdbs" && grep -q 'frontend:' <<<"$pdbs"; then
  pass "HA placement: API replicas on 3 distinct nodes ($(echo $api_nodes)) in zones $api_zones; frontend on 2 nodes ($(echo $fe_nodes)); PDBs (component:maxUnavailable) $pdbs"
else
  fail "HA placement: API on [$(echo $api_nodes)] zones [$api_zones], frontend on [$(echo $fe_nodes)], PDBs [$pdbs]"
fi

# 2. drains: under steady query load, each node drained in turn (PDB-respecting: the eviction API), uncordoned
# after. Ready API pods sampled throughout, never below the PDB's minimum. A drain evicts the stateless pods
# AND any single-replica datastore on the node (prod runs one PostgreSQL, one Redis, one vector store: issue
# 20's HA datastores are not built): queries fail cleanly (503 from the API) while the vector store restarts
# elsewhere. So, per node: a node without a datastore must cost 0 failed requests; a node with one must
# cost only 503s (no timeout, no reset: the API stays up and answers what it can), for the seconds printed.
pdb_min=$(kubectl -n "$NS" get pdb -l app.kubernetes.io/component=api -o jsonpath='{.items[0].status.desiredHealthy}')
load_start drain-load 10 1200
rm -f "$WORK/ep-drain.txt"
endpoints_sampler_start "$WORK/ep-drain.txt"
drain_report="" drain_ok=1 restarts0=$(restarts_total) windows=()
for ((i = 1; i <= CL_NODES; i++)); do
  n=$(cl_node_name "$i")
  ds=$(kubectl -n "$NS" get pods --field-selector "spec.nodeName=$n" -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/component}{" "}{end}' | tr ' ' '\n' | grep -E '^(postgres|redis|vector-store)$' | tr '\n' ' ')
  t0=$(now)
  # the load generator stands for a client outside the cluster: it is not evicted (--pod-selector)
  if run "$LOGS/ha-drain-$i.log" kubectl drain "$n" --ignore-daemonsets --delete-emptydir-data --timeout=300s \
    --pod-selector='app.kubernetes.io/name!=e2e-load'; then
    drain_report+="$n (${ds:-no datastore}) drained in ${LAST_SECS}s"
  else
    drain_ok=0
    drain_report+="$n FAILED ($(tail -n 2 "$LOGS/ha-drain-$i.log" | tr '\n' ' ' | cut -c1-200))"
  fi
  kubectl uncordon "$n" >/dev/null 2>&1
  # the next drain starts when everything evicted is Ready again elsewhere
  for o in $(kubectl -n "$NS" get deploy,statefulset -o name); do kubectl -n "$NS" rollout status "$o" --timeout=300s >/dev/null 2>&1; done
  drain_report+=", all Ready again after $(elapsed "$t0")s; "
  windows+=("$n|$t0|$(now)|$ds")
  sleep 3
done
sleep 5
load_stop drain-load
endpoints_sampler_stop
uncordoned=$(kubectl get nodes -o jsonpath='{range .items[*]}{.spec.unschedulable}{end}')
dmin=$(endpoints_min "$WORK/ep-drain.txt")
# per node: failed requests in its window, their kinds, and the seconds between the first and the last
cost=$(python3 - "$LOGS/load-drain-load.jsonl" "${windows[@]}" <<'PY'
import json, sys
fails = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "failure" in o:
        fails.append((o["t"] / 1000, str(o["failure"])))
ok = True
out = []
for w in sys.argv[2:]:
    node, a, b, ds = w.split("|")
    f = [x for x in fails if float(a) <= x[0] < float(b)]
    kinds = {}
    for _, k in f:
        kinds[k] = kinds.get(k, 0) + 1
    span = f"{f[-1][0] - f[0][0]:.1f}s" if f else "0s"
    if not ds.strip() and f:
        ok = False
    if ds.strip() and any(k != "HTTP 503" for k in kinds):
        ok = False
    out.append(f"{node}: {len(f)} failed {json.dumps(kinds) if kinds else ''} over {span}")
print(("OK " if ok else "BAD ") + "; ".join(out))
PY
)
dfailed=$(load_summary drain-load failed)
if [ $drain_ok = 1 ] && [ "${cost%% *}" = OK ] && [ "$dmin" -ge "$pdb_min" ] && [ -z "$uncordoned" ]; then
  pass "HA drains under load: $drain_report $(load_summary drain-load ok) queries ok, $dfailed failed (p50 $(load_summary drain-load p50) ms, p99 $(load_summary drain-load p99) ms); per node: ${cost#* } (0 where no datastore ran; only clean 503s while a single-replica datastore moved); Ready API endpoints never below $dmin (PDB minimum $pdb_min, $(wc -l <"$WORK/ep-drain.txt") samples); every node uncordoned; container restarts $((restarts0)) -> $(restarts_total)"
else
  fail "HA drains under load: $drain_report per node: ${cost#* }; min Ready API endpoints ${dmin:-?} (PDB minimum $pdb_min), unschedulable nodes left: ${uncordoned:-none}"
fi
