# shellcheck shell=bash
# HA check 4, run last (sourced by e2e/ha/main.sh): PostgreSQL that fails over (postgres.mode ha, Patroni).
# 1. The running stack switched from the single instance to mode ha the way docs/operations.md ("Switch
#    PostgreSQL to mode ha") says: a dump now (the backup CronJob), the old StatefulSet unprotected, `pulumi up`
#    with postgres.mode ha, the dump restored into the new primary; every document answers again.
# 2. A planned switchover (patronictl): the other member becomes the primary, the former primary rejoins as its
#    synchronous standby, every document answers. Printed: seconds until both hold.
# 3. A standby behind in replay: RagPostgresReplicationLag firing, then clear (e2e/ha/pg-lag.sh).
# 4. Under a bounded write load (a document posted every 0.5 s to an API pod on node 1), the node of the primary
#    dies hard. Printed: seconds to a new primary, failed writes and why, acknowledged writes lost (must be 0),
#    seconds until the API wrote again (no container restarted).
# The node-loss check before this one took a node: 2 nodes are left, so the cluster gets 2 members (one each),
# the primary and its synchronous standby. Node 1 runs the test's clients and the host's route into the
# Services, so the primary is killed on the other node: when the switchover left it on node 1, a second
# switchover moves it back first. Either way the kill comes after a switchover (the case a CI run once failed:
# the vector store, a single replica, was on the killed node; it and Redis now leave that node first).

PG_LIVE=() # the nodes still up
for ((i = 1; i <= CL_NODES; i++)); do cl_node_ready "$i" && PG_LIVE+=("$i"); done
PG_ROLE=rag-platform/postgres-role # the label Patroni keeps on each member: master or replica
pg_primary() { kubectl -n "$NS" get pods -l "$PG_ROLE=master" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{"\n"}{end}' 2>/dev/null; }
pg_primary_off() { pg_primary | awk -v n="$1" '$2 != n' | grep -q .; } # NODE: a primary on another node
pg_ctl_() { kubectl -n "$NS" exec "$1" -c postgres -- patronictl -c /etc/patroni/patroni.yml "${@:2}"; }
# the steady state the kill is about: a member on another node is the primary's synchronous standby and runs. After
# a switchover the leader names it at its next loop (loop_wait 10 s); until then Patroni would refuse to promote it.
pg_sync_standby() {
  pg_ctl_ "$1" list -f json 2>/dev/null | python3 -c '
import json, sys
sys.exit(not any(m["Role"] == "Sync Standby" and m["State"] in ("running", "streaming") for m in json.load(sys.stdin)))'
}
# a planned switchover FROM -> TO; true once TO is the primary and FROM its running synchronous standby. In
# synchronous mode Patroni takes only the synchronous standby as the candidate ("412, candidate name does not
# match with sync_standby"): right after the members start, or after a switchover, that takes a loop or two.
pg_switchover() {
  cl_wait 60 pg_sync_standby "$1" && pg_ctl_ "$1" list >>"$LOGS/pg-switchover.log" 2>&1 &&
    pg_ctl_ "$1" switchover --leader "$1" --candidate "$2" --force >>"$LOGS/pg-switchover.log" 2>&1 &&
    cl_wait 60 sh -c "kubectl -n $NS get pod $2 -o jsonpath='{.metadata.labels.rag-platform/postgres-role}' | grep -qx master" &&
    cl_wait 60 pg_sync_standby "$2"
}
pg_other() { kubectl -n "$NS" get pods -l app.kubernetes.io/component=postgres --field-selector "spec.nodeName!=$1" -o jsonpath='{.items[0].metadata.name}'; }
probs=""
t_switch=$(now)
# 1a. a dump of the single instance now
kubectl -n "$NS" create job --from=cronjob/rag-postgres-backup rag-pg-switch-dump >"$LOGS/pg-switch.log" 2>&1 &&
  kubectl -n "$NS" wait --for=condition=complete job/rag-pg-switch-dump --timeout=300s >>"$LOGS/pg-switch.log" 2>&1 ||
  probs+="the dump before the switch did not complete (its pods: $(kubectl -n "$NS" get pods -l job-name=rag-pg-switch-dump -o wide --no-headers 2>&1 | tr -s ' \n' ' ' | cut -c1-300); log: $(kubectl -n "$NS" logs job/rag-pg-switch-dump --all-containers --tail=3 2>&1 | tr '\n' ' ' | cut -c1-300)); "
# 1b. protect keeps `up` from deleting the old StatefulSet (and its data with it): lift it for that one resource
old_urn=$( (cd "$PROG" && pulumi stack export --stack prod) 2>>"$LOGS/pg-switch.log" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["deployment"]["resources"]:
    if r["type"] == "kubernetes:apps/v1:StatefulSet" and r.get("outputs", {}).get("metadata", {}).get("name") == "rag-postgres":
        print(r["urn"])')
[ -n "$old_urn" ] && (cd "$PROG" && pulumi state unprotect --stack prod --yes "$old_urn") >>"$LOGS/pg-switch.log" 2>&1 || probs+="the single instance's StatefulSet could not be unprotected ($old_urn); "
# 1c. mode ha, two members (one node is gone), the Patroni image built here
# (with the exporters on, for the replication lag check (e2e/ha/pg-lag.sh): its alert at 1 MiB for 1 minute)
if [ -z "$probs" ] && config_pairs prod "postgres.mode ha" "postgres.instances ${#PG_LIVE[@]}" "postgres.patroniImage ${IMG[patroni]}" \
  "monitoring.exporters.enabled true" "monitoring.exporters.postgresImage ${IMG[postgres-exporter]}" \
  "monitoring.exporters.redisImage ${IMG[redis-exporter]}" "monitoring.scrapeInterval $MON_INTERVAL" \
  "monitoring.alerts.postgresReplicationLagBytes 1048576" "monitoring.alerts.forMinutes.RagPostgresReplicationLag 1" >>"$LOGS/pg-switch.log" 2>&1; then
  t_up=$(now)
  run "$LOGS/pg-switch-up.log" env STACK=prod P up "${PROD_POLICY[@]}" || probs+="pulumi up with postgres.mode ha failed; "
  record_time "HA PostgreSQL: pulumi up switching to mode ha" "$(elapsed "$t_up")"
  # 1d. the dump into the new primary
  t_restore=$(now)
  bash "$REPO/scripts/restore-postgres.sh" -n "$NS" -t 300 >"$LOGS/pg-switch-restore.log" 2>&1 || probs+="scripts/restore-postgres.sh failed; "
  record_time "HA PostgreSQL: restore into the new primary" "$(elapsed "$t_restore")"
fi
members=$(kubectl -n "$NS" get pods -l app.kubernetes.io/component=postgres -o jsonpath="{range .items[*]}{.metadata.name}@{.spec.nodeName}={.metadata.labels.$PG_ROLE} {end}")
if [ -z "$probs" ] && cl_wait 60 ha_docs_answer "after the switch to mode ha"; then
  pass "HA PostgreSQL: switched to mode ha as documented (dump, unprotect, up, restore) in $(elapsed "$t_switch")s: members $members; every document posted before answers"
  PG_SWITCHED=1
else
  fail "HA PostgreSQL: the switch to mode ha: ${probs:-the documents posted before do not answer}; members: $members" "$LOGS/pg-switch-up.log" 20
  PG_SWITCHED=0
fi

PG_SWITCHED_OVER=0
if [ $PG_SWITCHED = 1 ]; then
  read -r primary pnode < <(pg_primary)
  other=$(pg_other "$pnode")
  t_so=$(now)
  if pg_switchover "$primary" "$other" && ha_docs_answer "after the switchover"; then
    so_s=$(elapsed "$t_so")
    record_time "HA PostgreSQL: switchover until the former primary is the synchronous standby" "$so_s"
    pass "HA PostgreSQL switchover (patronictl): $other is the primary, the former primary $primary its synchronous standby again ${so_s}s after the check began (first a synchronous standby to hand over to, then the handover); every document answers"
    PG_SWITCHED_OVER=1
  else
    pg_ctl_ "$other" list >>"$LOGS/pg-switchover.log" 2>&1
    fail "HA PostgreSQL switchover: $other not the primary with $primary as its synchronous standby (each within 60 s: a synchronous standby to hand over to, the handover, the former primary back as synchronous standby), or documents not answered" "$LOGS/pg-switchover.log"
  fi
fi

# a standby behind in replay, seen by the platform's monitoring (issue 21)
# shellcheck source=pg-lag.sh
[ $PG_SWITCHED_OVER = 1 ] && . "$E2E_DIR/ha/pg-lag.sh"

if [ $PG_SWITCHED_OVER = 1 ]; then
  n1=$(cl_node_name 1)
  read -r primary pnode < <(pg_primary)
  if [ "$pnode" = "$n1" ]; then
    other=$(pg_other "$n1")
    pg_switchover "$primary" "$other" || probs+="the second switchover (the primary off node 1) did not complete; "
    read -r primary pnode < <(pg_primary)
  fi
  pg_ctl_ "$primary" list >>"$LOGS/pg-failover.log" 2>&1
  victim=""
  for i in "${PG_LIVE[@]}"; do [ "$(cl_node_name "$i")" = "$pnode" ] && victim=$i; done
  # the check is about PostgreSQL: the single-replica vector store and Redis leave the victim first (a write needs
  # the vector store; on a dead node it would wait for the node, which is the node-loss runbook, not a failover)
  [ -n "$victim" ] && [ "$(move_datastores_off "$pnode" "redis|vector-store")" != 0 ] && probs+="the vector store or Redis could not leave $pnode; "
  # the writer's API pod: Ready, on node 1 (it survives the kill)
  # (the switch rolled the API: an old pod still draining answers 503, then goes away)
  kubectl -n "$NS" rollout status deploy/rag-api --timeout=180s >>"$LOGS/pg-failover.log" 2>&1
  read -r wpod _ wip < <(api_pods | awk -v n="$n1" '$2 == n' | head -n1)
  restarts_before=$(restarts_total)
  pg_sync_standby "$primary" || probs+="no running synchronous standby before the kill; "
  if [ -z "$victim" ] || [ "$victim" = 1 ] || [ -z "$wip" ] || [ -n "$probs" ]; then
    fail "HA PostgreSQL failover: ${probs}victim node ${victim:-none} (primary $primary on $pnode), writer's API pod ${wpod:-none} on $n1" "$LOGS/pg-failover.log"
  else
    w_out=$WORK/pg-writes.txt w_stop=$WORK/pg-writes.stop
    rm -f "$w_out" "$w_stop"
    node "$E2E_DIR/ha/pg-writer.js" "http://$wip:8000/v1/documents" "$HA_KEY" 500 "$w_out" "$w_stop" &
    w_pid=$!
    sleep 10
    t_kill=$(now)
    kubectl -n "$NS" get pods -o wide >>"$LOGS/pg-failover.log" 2>&1
    cl_node_kill "$victim"
    # a new primary: another member labelled master and answering as one
    cl_wait 180 pg_primary_off "$pnode"
    t_primary=$(now)
    # the writer until 30 s after the first write acknowledged after the kill (or 120 s)
    kill_epoch=$(awk -v a="$t_kill" 'BEGIN{printf "%.3f", a}')
    cl_wait 120 sh -c "awk -v k=$kill_epoch '\$1 > k && \$3 >= 200 && \$3 < 300 {f=1} END {exit !f}' '$w_out'"
    sleep 30
    touch "$w_stop"
    wait "$w_pid"
    read -r sent acked failed back < <(awk -v k="$kill_epoch" '{n++} $3>=200&&$3<300 {a++} !($3>=200&&$3<300) {f++} $1>k && $3>=200 && $3<300 && (b=="" || $2<b) {b=$2} END {printf "%d %d %d %.1f\n", n, a, f, (b==""?-1:b-k)}' "$w_out")
    reasons=$(awk '!($3>=200&&$3<300) {c[$3" "$5]++} END {for (r in c) printf "%s%s x%d", (n++ ? ", " : ""), r, c[r]}' "$w_out")
    ids=$(awk '$3>=200&&$3<300 {print $4}' "$w_out" | sort -u)
    listed=$(ha_api GET "/v1/documents?limit=500" | python3 -c 'import json,sys; print("\n".join(str(d["id"]) for d in json.load(sys.stdin)["documents"]))' 2>/dev/null | sort -u)
    lost=$(comm -23 <(echo "$ids") <(echo "$listed") | grep -c .)
    [ -n "$listed" ] || lost="unknown (the documents could not be listed)"
    primary_s=$(awk -v a="$t_kill" -v b="$t_primary" 'BEGIN{printf "%.1f", b-a}')
    restarts=$(($(restarts_total) - restarts_before))
    record_time "HA PostgreSQL failover: seconds to a new primary" "$primary_s"
    record_time "HA PostgreSQL failover: seconds until the API wrote again" "$back"
    read -r newp newnode < <(pg_primary | awk -v d="$pnode" '$2 != d')
    if [ "$lost" = 0 ] && [ "$acked" -gt 0 ] && awk -v b="$back" 'BEGIN {exit !(b >= 0)}' && [ "$newnode" = "$n1" ] && [ "$restarts" = 0 ] && ha_docs_answer "after the primary's node died"; then
      pass "HA PostgreSQL failover ($pnode, the primary $primary's node, killed hard): new primary $newp after ${primary_s}s; $sent writes at 2/s: $acked acknowledged, $failed failed during the switch (${reasons:-none}), 0 acknowledged lost; the API wrote again ${back}s after the kill without a restart (its standby was synchronous when the node died); every document answers"
    else
      fail "HA PostgreSQL failover ($pnode): new primary ${newp:-none} on ${newnode:-?} after ${primary_s}s; writes $sent, acknowledged $acked, failed $failed (${reasons:-none}), acknowledged but lost $lost; wrote again after ${back}s (-1: not within 120 s); restarts $restarts" "$LOGS/pg-failover.log"
    fi
  fi
fi
