# shellcheck shell=bash
# Live monitoring (issue 21; sourced by e2e/node/platform-ops.sh, the dev stack deployed and a document cited):
# the monitoring stack installed as kube-prometheus-stack users have it (e2e/lib/monitoring.sh), the stack switched
# to `monitoring.enabled` with the datastore exporters (images built here from their Go modules) and a 5 s scrape
# interval through stack config (and a re-indexing CronJob, scheduled once a year, for RagIndexerJobFailed; an HPA
# of 1 to 2 API replicas for RagHpaAtMaximum; a for: of 1 minute for the alerts whose default outlasts CI), then,
# against that Prometheus (e2e/monitoring/check.ts):
#   - every ServiceMonitor target of the platform, kube-state-metrics and the kubelet is up, the exporters' own
#     pg_up/redis_up are 1 (their credentials, from the platform's Secret by key reference, let them in), and the
#     same connections without the credentials are refused (so up is the credentials' doing, not an open door);
#   - every rule of the PrometheusRule loads and evaluates with no error;
#   - every dashboard query of the parts that run here returns a series (the rest listed with the reason);
#   - a container held at its CPU limit (a pod of the namespace's own, 20m, looping; e2e/node/monitoring-cpu.sh):
#     RagHighCpuAgainstLimit firing once its 5m window has filled (started first, checked after the wipe),
#     inactive once the pod is gone; a claim of the namespace's own (a local volume on a 32 MiB tmpfs) filled to
#     94% (e2e/node/monitoring-volume.sh): RagVolumeAlmostFull firing (started and checked with the CPU's),
#     inactive once the claim is gone;
#   - the vector store's volume wiped (e2e/node/wipe.sh): RagVectorIndexIncomplete firing, rebuilt, inactive;
#   - Redis really filled past its maxmemory: RagRedisMemoryNearLimit and RagRedisEvictingKeys fire, the memory
#     alert clears once the keys are gone, the evictions alert once they leave its 5m window (after the outage);
#   - PostgreSQL held at 90% of max_connections (one dblink session) while Redis is filled
#     (e2e/node/monitoring-pg.sh): RagPostgresConnectionsNearMax fires, then clears once they close;
#   - Redis shut down twice: RagPodRestarting firing, and clear once the restarts leave its 5m window;
#   - Redis stalled (CLIENT PAUSE) under 20 questions at once: each answered after the cache's 3 s timeout, and
#     RagApiHighLatencyP99 fires; it clears once they leave its 5m window, checked before the outage and the
#     HPA's load (each can fire it with slow questions of its own) (e2e/node/monitoring-latency.sh);
#   - the vector store, PostgreSQL and Redis taken away, a backup and a re-indexing run against them
#     (e2e/node/monitoring-outage.sh): RagApiErrorRatio, RagPostgresBackupFailed, RagIndexerJobFailed,
#     RagVectorStoreDown, RagPostgresDown and RagRedisDown firing, all cleared once they are back (RagApiErrorRatio once the
#     questions answered since outweigh the 503s or the 503s leave its 5m window: after the HPA's load);
#   - the API's HPA driven to its maximum by a query load: RagHpaAtMaximum firing, clear once it scales back down
#     (e2e/node/monitoring-hpa.sh).
# The stack's config goes back afterwards; the next `pulumi up` (e2e/node/external.sh) removes what monitoring
# added. The monitoring namespace is removed at the end.

# shellcheck source=../lib/monitoring.sh
. "$E2E_DIR/lib/monitoring.sh"
tier_images_wait # Prometheus, its operator, kube-state-metrics and the exporters in every node (e2e/node.sh)
# shellcheck source=monitoring-cpu.sh
. "$E2E_DIR/node/monitoring-cpu.sh"
# shellcheck source=monitoring-volume.sh
. "$E2E_DIR/node/monitoring-volume.sh"
# shellcheck source=monitoring-pg.sh
. "$E2E_DIR/node/monitoring-pg.sh"
MON_DIR=$WORK/monitoring
mkdir -p "$MON_DIR"
cp "$PROG/Pulumi.dev.yaml" "$MON_DIR/Pulumi.dev.yaml.before"
t_mon=$(now)

if mon_install monitoring release=kube-prometheus-stack 2>"$LOGS/monitoring-install.log"; then
  pass "monitoring stack: Prometheus Operator $(prometheus-operator --version 2>&1 | grep -oE 'v[0-9.]+' | head -n1) (CRDs and RBAC from its module) and Prometheus $(K -n monitoring get prometheus rag-e2e -o jsonpath='{.spec.version}') Ready in ${MON_SECS}s in namespace monitoring (Pod Security restricted enforced), selecting release=kube-prometheus-stack in every namespace"
  record_time "monitoring stack installed (operator + Prometheus Ready)" "$MON_SECS"
  mon_config=(
    "monitoring.enabled true" "monitoring.scrapeInterval $MON_INTERVAL" "monitoring.alerts.restartsIn5m 1"
    "indexer.schedule 0 3 1 1 *"
    "monitoring.exporters.postgresImage ${IMG[postgres-exporter]}" "monitoring.exporters.redisImage ${IMG[redis-exporter]}"
    # the API's HPA (dev has none) for RagHpaAtMaximum: 1 to 2 replicas, a 40% CPU target, 20 s to scale down
    "api.autoscaling.enabled true" "api.autoscaling.maxReplicas 2" "api.autoscaling.cpuUtilization 40"
    "api.autoscaling.behavior.scaleDown.stabilizationWindowSeconds 20"
  )
  # every alert this phase causes fires after 1 minute (monitoring.alerts.forMinutes) where its default for:, 5 to
  # 15 minutes, would outlast what CI can wait: each is seen firing, not only pending
  for a in RagHpaAtMaximum RagApiErrorRatio RagPostgresBackupFailed RagIndexerJobFailed RagRedisMemoryNearLimit \
    RagRedisEvictingKeys RagPostgresConnectionsNearMax RagApiHighLatencyP99 RagVectorIndexIncomplete RagHighCpuAgainstLimit \
    RagVolumeAlmostFull; do mon_config+=("monitoring.alerts.forMinutes.$a 1"); done
  if config_pairs "${STACK:-dev}" "${mon_config[@]}" >"$LOGS/config-monitoring.log" 2>&1 && run "$LOGS/up-monitoring.log" P up "${POLICY_ARGS[@]}"; then
    record_time "pulumi up: monitoring on (ServiceMonitors, rules, dashboard, exporters)" "$LAST_SECS"
    pass "pulumi up with monitoring.enabled (${LAST_SECS}s): $(K -n "$NS" get servicemonitors -o name | sed 's#.*/##' | tr '\n' ' ')ServiceMonitors, $(K -n "$NS" get prometheusrules -o name | sed 's#.*/##') PrometheusRule, exporters $(K -n "$NS" get pods -o jsonpath='{range .items[*]}{range .spec.containers[*]}{.name}{" "}{end}{end}' | tr ' ' '\n' | grep -- '-exporter$' | sort -u | tr '\n' ' ')"
    check_workloads "after monitoring was switched on" >/dev/null || fail "workloads after monitoring on: $(ns_pods_summary)"
    # two faults of test-owned objects, checked below once their alerts have had the time they need
    cpu_burn_start
    vol_fill_start
    # traffic for the API's series (requests, latency), then every target, rule and panel
    for i in 1 2 3; do api POST /v1/query "{\"question\":\"Monitoring $i: what colour is the lighthouse on Skerry Point?\"}" >/dev/null 2>&1; done
    mon_check targets --also "$MON_NS" --deadline 120 &&
      say "monitoring: no ServiceMonitor for the vector store here (Chroma serves no metrics; Qdrant's, with its key, is rendered in prod) nor for model serving (prod only, GPUs)"
    ups=$(mon_query "{__name__=~\"pg_up|redis_up\",namespace=\"$NS\"}" __name__ | tr '\n' ' ')
    if [[ $ups == *pg_up=1* && $ups == *redis_up=1* && $ups != *=0* ]]; then
      pass "monitoring: the exporters reach their datastores with the platform's credentials (secretKeyRef): $ups"
    else
      fail "monitoring: exporters' own health: ${ups:-no pg_up/redis_up series}"
    fi
    # ... and up because of them: the exporters' connection (TCP to 127.0.0.1 in the pod) without the credentials
    # is refused, and each exporter's password is a reference to the very Secret key its datastore reads
    pgpod=$(postgres_pod)
    rpod=$(K -n "$NS" get pods -l app.kubernetes.io/name=redis -o jsonpath='{.items[0].metadata.name}')
    # shellcheck disable=SC2016 # expanded in the container
    pg_no=$(K -n "$NS" exec "$pgpod" -c postgres -- sh -c 'PGPASSWORD=not-the-credential PGPASSFILE=/dev/null psql -w -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select 1"' 2>&1 | grep -m1 -E 'FATAL|rror|^1$')
    r_no=$(K -n "$NS" exec "$rpod" -c redis -- env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 ping 2>&1 | grep -m1 -E 'NOAUTH|PONG|ERR|rror')
    ref() { K -n "$NS" get pod "$1" -o jsonpath="{.spec.containers[?(@.name==\"$2\")].env[?(@.name==\"$3\")].valueFrom.secretKeyRef}"; }
    pg_ref=$(ref "$pgpod" postgres POSTGRES_PASSWORD) pge_ref=$(ref "$pgpod" postgres-exporter DATA_SOURCE_PASS)
    r_ref=$(ref "$rpod" redis REDIS_PASSWORD) re_ref=$(ref "$rpod" redis-exporter REDIS_PASSWORD)
    if [[ $pg_no == *"password authentication failed"* && $r_no == *NOAUTH* && -n $pg_ref && $pg_ref == "$pge_ref" && -n $r_ref && $r_ref == "$re_ref" ]]; then
      pass "monitoring: without the credentials the exporters' connections are refused (PostgreSQL: '${pg_no#*FATAL:  }'; Redis: '$r_no'); the exporters' passwords reference their datastores' own keys ($(echo "$pge_ref" | grep -o '"key":"[^"]*"'), $(echo "$re_ref" | grep -o '"key":"[^"]*"'))"
    else
      fail "monitoring: credentials: PostgreSQL without them '${pg_no:0:160}', Redis without them '${r_no:0:80}'; refs postgres=$pg_ref exporter=$pge_ref redis=$r_ref exporter=$re_ref"
    fi
    mon_check rules --deadline 60
    # a container restarting: Redis shut down twice (the kubelet restarts it, 10 s then 20 s of back-off), past the
    # stack's monitoring.alerts.restartsIn5m (set to 1 above: page on a second restart within 5 minutes; the
    # default, 3, would take a third and fourth back-off of 40 s and 80 s); RagPodRestarting (for: 0m) fires, and
    # clears once the restarts leave its 5m window (checked after the outage below)
    restarts() { K -n "$NS" get pod "$rpod" -o jsonpath='{.status.containerStatuses[?(@.name=="redis")].restartCount}'; }
    restarted() { [ "$(restarts)" -ge "$1" ]; } # N: Redis' container has restarted N times or more
    r0=$(restarts) t_restart=$(now)
    for i in 1 2; do
      K -n "$NS" exec "$rpod" -c redis -- redis-cli --no-auth-warning shutdown nosave >/dev/null 2>&1
      cl_wait 90 restarted $((${r0:-0} + i)) &&
        K -n "$NS" wait --for=condition=Ready "pod/$rpod" --timeout=90s >/dev/null || break
    done
    r1=$(restarts)
    if [ -n "$r0" ] && [ "${r1:-0}" -ge $((r0 + 2)) ]; then
      pass "monitoring: Redis shut down twice (SHUTDOWN NOSAVE), restarted by the kubelet each time: restartCount $r0 -> $r1, Ready again $(elapsed "$t_restart")s after the first"
      mon_check alert --alert RagPodRestarting --state firing --deadline 60 --since "$t_restart" --after "the first shutdown"
    else
      fail "monitoring: Redis did not restart twice (restartCount ${r0:-?} -> ${r1:-?}): $(ns_pods_summary)"
    fi
    sleep 12 # two more samples for the panels' rate() windows
    mon_check panels

    # the API slowed by a stalled cache: RagApiHighLatencyP99 firing (e2e/node/monitoring-latency.sh); first, so
    # that its slow answers leave the alert's 5m window while the phases below run (in CI none of those lifted the
    # p99 past 2 s: the alert was seen clear 313 s after the slow answers, those phases' questions still in its window)
    # shellcheck source=monitoring-latency.sh
    . "$E2E_DIR/node/monitoring-latency.sh"

    # PostgreSQL's connections near max_connections, held while Redis is filled (e2e/node/monitoring-pg.sh)
    pg_conns_start
    # Redis past its maxmemory: the fill is real; maxmemory is lowered for it at runtime (16 MB, then restored),
    # so that 20 MB of keys do it rather than 200 MB in a container limited to 256 Mi
    rcli() { K -n "$NS" exec "$rpod" -c redis -- redis-cli --no-auth-warning "$@"; }
    maxmem=$(rcli config get maxmemory | tail -n1)
    t_fill=$(now)
    rfill() { # 5 x 400 keys of 10 KiB
      local b
      for b in 0 1 2 3 4; do
        rcli eval "for i=tonumber(ARGV[1]),tonumber(ARGV[1])+399 do redis.call('SET','e2e:fill:'..i,string.rep('x',10240)) end return 1" 0 $((b * 400)) >/dev/null || return 1
      done
    }
    if rcli config set maxmemory 16mb >/dev/null && rfill; then
      evicted=$(rcli info stats | sed -n 's/^evicted_keys:\([0-9]*\).*/\1/p' | tr -d '\r')
      pass "monitoring: Redis filled past its maxmemory (2,000 keys of 10 KiB into 16 MB) in $(elapsed "$t_fill")s: $evicted keys evicted"
      mon_check alert --alert RagRedisMemoryNearLimit --state firing --deadline 120 --since "$t_fill" --after "the fill began"
      mon_check alert --alert RagRedisEvictingKeys --state firing --deadline 60 --since "$t_fill" --after "the fill began"
      t_unfill=$(now)
      rcli eval "for i=0,1999 do redis.call('DEL','e2e:fill:'..i) end return 1" 0 >/dev/null
      rcli config set maxmemory "$maxmem" >/dev/null
      mon_check alert --alert RagRedisMemoryNearLimit --state inactive --deadline 60 --since "$t_unfill" --after "the keys were deleted and maxmemory restored"
      record_time "Redis filled: both alerts firing, then the memory alert cleared" "$(elapsed "$t_fill")"
    else
      fail "monitoring: could not fill Redis ($rpod)"
      rcli config set maxmemory "$maxmem" >/dev/null 2>&1
    fi

    pg_conns_check

    # the vector store's volume wiped: the index incomplete, RagVectorIndexIncomplete firing, rebuilt, inactive
    # shellcheck source=wipe.sh
    WIPE_ALERT=1 && . "$E2E_DIR/node/wipe.sh"
    cpu_burn_check # started right after the monitoring `pulumi up`: its 5m window has filled by now
    vol_fill_check
    # RagApiHighLatencyP99 clear once the 20 slow answers have left its 5m window (the deadline reaches past it),
    # before the outage and the HPA's load: either can hold the alert for itself, with questions of its own
    # slower than 2.5 s (after the outage, ci66: p99 4.58 s; the load's p99 at the client was 0.06-0.26 s with
    # the node tier alone, 0.9-2.4 s in CIs where the HA tier's work shared the 2 cores)
    [ -n "${t_slow:-}" ] && mon_check alert --alert RagApiHighLatencyP99 --state inactive --deadline "$(mon_deadline "$t_slow" 400)" --since "$t_slow" \
      --after "the 20 slow questions (out of the 5m window)"
    # the datastores taken away, the alerts kube-state-metrics' series raise (e2e/node/monitoring-outage.sh)
    # shellcheck source=monitoring-outage.sh
    . "$E2E_DIR/node/monitoring-outage.sh"
    # the API's HPA raised to its maximum by load (e2e/node/monitoring-hpa.sh); last, since its thousands of
    # answered questions stay in RagApiErrorRatio's 5m window and would hide the outage's 503s from it
    # shellcheck source=monitoring-hpa.sh
    . "$E2E_DIR/node/monitoring-hpa.sh"
    # the outage's 503s against the questions answered since (the HPA's load): RagApiErrorRatio clear. The deadline
    # reaches past the 5m window after the fault (at least 60 s): the faster the phases before, the earlier this
    # check, and the load alone may not outweigh the fault's samples while they are still in the window
    [ -n "${t_back:-}" ] && mon_check alert --alert RagApiErrorRatio --state inactive --deadline "$(mon_deadline "$t_back" 400)" --since "$t_back" \
      --after "both datastores were back (the 503s outweighed by the questions answered since, the HPA's load among them, or out of the 5m window)"
  else
    fail "pulumi up with monitoring.enabled" "$LOGS/up-monitoring.log" 30
    WIPE_ALERT=0 && . "$E2E_DIR/node/wipe.sh"
  fi
else
  fail "monitoring stack: not Ready ($(tail -n 3 "$LOGS/monitoring-install.log" | tr '\n' ' ' | cut -c1-300)); pods: $(K -n monitoring get pods --no-headers 2>&1 | tr '\n' ';' | cut -c1-300)"
  WIPE_ALERT=0 && . "$E2E_DIR/node/wipe.sh" # the wipe's own checks, without the alert
fi
cp "$MON_DIR/Pulumi.dev.yaml.before" "$PROG/Pulumi.dev.yaml"
mon_remove
record_time "monitoring phase (install, up, checks)" "$(elapsed "$t_mon")"
