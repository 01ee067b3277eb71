# shellcheck shell=bash
# The datastores taken away (sourced by e2e/node/monitoring.sh: monitoring on, kube-state-metrics scraped, a
# document cited), and each alert the outage should raise seen firing (the phase's stack config gives the alerts
# whose default for: outlasts CI a for: of 1 minute, monitoring.alerts.forMinutes):
#   - the vector store scaled to 0: every question answered 503, RagApiErrorRatio pending, then firing. The
#     questions are spread over 20 s (several scrapes): rate() sees no increase in a series' first sample, so a
#     burst that creates the 5xx series at once would leave the ratio at 0 (Prometheus' counter semantics);
#   - PostgreSQL scaled to 0 as well, and the backup and re-indexing CronJobs run now (Jobs named as the CronJobs
#     name their runs): neither can connect, each Job gives up at its backoffLimit, and RagPostgresBackupFailed
#     and RagIndexerJobFailed fire;
#   - Redis scaled to 0 with PostgreSQL (the answer cache only: the Jobs do not use it);
#   - no StatefulSet of the three with a ready replica past the down alerts' for: 2m: RagVectorStoreDown,
#     RagPostgresDown and RagRedisDown firing;
#   - all back and the failed Jobs deleted: the five alerts inactive, and the document cited again; Redis' earlier
#     restarts and evictions out of their 5m windows: RagPodRestarting and RagRedisEvictingKeys inactive.
sts=$(K -n "$NS" get statefulset -o name)
vs=$(grep -m1 vector-store <<<"$sts") pgs=$(grep -m1 postgres <<<"$sts") rds=$(grep -m1 redis <<<"$sts")
icron=$(K -n "$NS" get cronjob -o name | grep indexer | head -n1) icron=${icron#*/}
bjob=rag-postgres-backup-$(date +%s) ijob=$icron-$(date +%s)
t_err=$(now)
no_pod() { ! K -n "$NS" get pod "$1" >/dev/null 2>&1; }  # POD: not there
gone() { cl_wait 90 no_pod "${1#*/}-0"; }                 # STATEFULSET: its pod deleted
# cron_run CRONJOB JOB LOG EDIT: one run of the CronJob's own template now, as a Job named the way the CronJob
# names its runs (<cronjob>-<digits>, what the Job alerts match); EDIT: Python statements on j (the Job) and pod
cron_run() {
  K -n "$NS" create job --from="cronjob/$1" "$2" --dry-run=client -o json 2>"$3" |
    python3 -c "import json,sys
j = json.load(sys.stdin); pod = j['spec']['template']['spec']
$4
json.dump(j, sys.stdout)" | K -n "$NS" create -f - >>"$3" 2>&1
}
# job_failed JOB LOG WHAT ALERT: the Job gave up (its failed condition), its log's first line of its own, the alert firing
job_failed() {
  if K -n "$NS" wait --for=condition=failed "job/$1" --timeout=240s >>"$2" 2>&1; then
    local attempts limit
    K -n "$NS" logs "job/$1" --all-containers >>"$2" 2>&1
    read -r attempts limit < <(K -n "$NS" get job "$1" -o jsonpath='{.status.failed} {.spec.backoffLimit}')
    pass "monitoring: with PostgreSQL and the vector store gone, $3 $1 gave up $(elapsed "$t_pg")s after PostgreSQL went, after $attempts failed attempt(s) (backoffLimit $limit): '$(grep -m1 -E '^backup:|"level":"(error|fatal)"' "$2" | cut -c1-160)'"
    mon_check alert --alert "$4" --state firing --deadline 120 --since "$t_pg" --after "PostgreSQL was scaled to 0"
  else
    fail "monitoring: $3 $1 did not fail with PostgreSQL gone ($(K -n "$NS" get job "$1" -o jsonpath='{.status}' 2>&1 | cut -c1-200))" "$2" 10
  fi
}
if [ -n "$vs" ] && [ -n "$pgs" ] && [ -n "$rds" ] && [ -n "$icron" ] && K -n "$NS" scale "$vs" --replicas=0 >/dev/null && gone "$vs"; then
  codes=$(for i in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -X POST -H 'content-type: application/json' -H "authorization: Bearer $API_KEY" \
      --data "{\"question\":\"Outage $i: what colour is the lighthouse on Skerry Point?\"}" "http://$API_IP:$API_PORT/v1/query"
    sleep 1
  done | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
  if [[ $codes == 5* ]] && [[ $codes != *" 2"* ]]; then
    pass "monitoring: the vector store taken away (${vs#*/} scaled to 0): 20 questions answered HTTP ${codes% }"
  else
    fail "monitoring: with the vector store gone the API answered HTTP ${codes% } (expected only 5xx)"
  fi
  mon_check alert --alert RagApiErrorRatio --state pending --deadline 60 --since "$t_err" --after "the store was scaled to 0"
  t_pg=$(now)
  if K -n "$NS" scale "$pgs" "$rds" --replicas=0 >/dev/null && gone "$pgs" && gone "$rds"; then
    # both CronJobs' own templates run now, their waits cut: the backup's wait for PostgreSQL from 60 tries to 5
    # (PG_WAIT_TRIES), the indexer's retries from 4 attempts of a minute each to 1 (backoffLimit 0)
    cron_run rag-postgres-backup "$bjob" "$LOGS/monitoring-backup-job.log" 'for c in pod["containers"] + pod.get("initContainers", []):
    c["env"] = [e for e in c.get("env", []) if e["name"] != "PG_WAIT_TRIES"] + [{"name": "PG_WAIT_TRIES", "value": "5"}]'
    cron_run "$icron" "$ijob" "$LOGS/monitoring-indexer-job.log" 'j["spec"]["backoffLimit"] = 0'
    # while the Jobs try: the 503s (the only API traffic since) hold the error ratio above its threshold
    mon_check alert --alert RagApiErrorRatio --state firing --deadline 90 --since "$t_err" --after "the store was scaled to 0"
    job_failed "$bjob" "$LOGS/monitoring-backup-job.log" "the backup Job" RagPostgresBackupFailed
    job_failed "$ijob" "$LOGS/monitoring-indexer-job.log" "the re-indexing Job" RagIndexerJobFailed
  else
    fail "monitoring: could not take PostgreSQL and Redis away (${pgs#*/}, ${rds#*/}): $(ns_pods_summary)"
  fi
  mon_check alert --alert RagVectorStoreDown --state firing --deadline 240 --since "$t_err" --after "the store was scaled to 0"
  mon_check alert --alert RagPostgresDown --state firing --deadline 240 --since "$t_pg" --after "PostgreSQL was scaled to 0"
  mon_check alert --alert RagRedisDown --state firing --deadline 120 --since "$t_pg" --after "Redis was scaled to 0"
  t_back=$(now)
  K -n "$NS" scale "$pgs" "$rds" --replicas=1 >/dev/null
  K -n "$NS" scale "$vs" --replicas=1 >/dev/null
  K -n "$NS" delete job "$bjob" "$ijob" --wait=true --timeout=60s >/dev/null 2>&1
  if K -n "$NS" rollout status "$pgs" --timeout=180s >/dev/null && K -n "$NS" rollout status "$rds" --timeout=180s >/dev/null &&
    K -n "$NS" rollout status "$vs" --timeout=180s >/dev/null &&
    cl_wait 90 query_cites "After the outage, which colour is the Skerry Point lighthouse?"; then
    pass "monitoring: PostgreSQL, Redis and the vector store back (scaled 0 -> 1, $(elapsed "$t_err")s after the outage began), the document cited again"
  else
    fail "monitoring: the datastores did not come back after the outage: $(ns_pods_summary)"
  fi
  for a in RagPostgresDown RagRedisDown RagVectorStoreDown RagPostgresBackupFailed RagIndexerJobFailed; do
    mon_check alert --alert "$a" --state inactive --deadline 90 --since "$t_back" --after "all three were scaled back and the failed Jobs deleted"
  done
  say "monitoring: RagApiErrorRatio stays firing until answered questions outweigh the 503s in its 5m window (checked after the HPA's load)"
  [ -n "${t_restart:-}" ] && mon_check alert --alert RagPodRestarting --state inactive --deadline 240 --since "$t_restart" --after "Redis' first shutdown (the restarts leave the 5m window)"
  [ -n "${t_fill:-}" ] && mon_check alert --alert RagRedisEvictingKeys --state inactive --deadline 240 --since "$t_fill" --after "Redis' fill (the evictions leave the 5m window)"
else
  fail "monitoring: could not take the datastores away (${vs:-no vector-store StatefulSet} ${pgs:-no PostgreSQL StatefulSet} ${rds:-no Redis StatefulSet} ${icron:-no indexer CronJob})"
  [ -n "$vs" ] && K -n "$NS" scale "$vs" --replicas=1 >/dev/null 2>&1
fi
record_time "datastores gone: down, Job and error-ratio alerts firing, all back" "$(elapsed "$t_err")"
