# shellcheck shell=bash
# The API slow for real (sourced by e2e/node/monitoring.sh, the first fault after the restarts): Redis stalls
# (CLIENT PAUSE ... ALL, what a Redis failover does to its clients; here for 10 s) while 20 questions arrive at once.
# The API waits its cache's 3 s command timeout, then answers without the cache (WORKERS questions at a time, the
# rest queue): every one answered, each slower than RagApiHighLatencyP99's 2 s. They are well over 1% of the API's
# client requests in the 5m window, so its p99 passes 2 s: the alert (for: 1 minute here) fires. It clears once they
# have left that window (checked before the outage and the HPA's load, in e2e/node/monitoring.sh).
lat_rpod=$(K -n "$NS" get pods -l app.kubernetes.io/name=redis -o jsonpath='{.items[0].metadata.name}')
lat_dir=$MON_DIR/latency
mkdir -p "$lat_dir"
if mon_check alert --alert RagApiHighLatencyP99 --state inactive --deadline 60; then
  t_slow=$(now)
  if K -n "$NS" exec "$lat_rpod" -c redis -- redis-cli --no-auth-warning client pause 10000 all >"$LOGS/monitoring-latency.log" 2>&1; then
    lat_pids=()
    for i in $(seq 1 20); do
      curl -sS --max-time 20 -o /dev/null -w '%{http_code} %{time_total}\n' -X POST -H 'content-type: application/json' \
        ${API_KEY:+-H "authorization: Bearer $API_KEY"} --data "{\"question\":\"Stalled cache $i: what colour is the lighthouse on Skerry Point?\"}" \
        "http://$API_IP:$API_PORT/v1/query" >"$lat_dir/$i" 2>/dev/null &
      lat_pids+=($!)
    done
    wait "${lat_pids[@]}" # these only: the tier has other children
    read -r answered slowest fastest < <(cat "$lat_dir"/* | awk '$1 == 200 {n++} {t = $2 + 0; if (t > max) max = t; if (min == "" || t < min) min = t} END {printf "%d %.1f %.1f\n", n, max, min}')
    if [ "$answered" = 20 ] && awk -v f="$fastest" 'BEGIN {exit !(f > 2)}'; then
      pass "monitoring: Redis paused for 10 s (CLIENT PAUSE ALL): 20 questions at once all answered without the cache, in ${fastest}s to ${slowest}s (each waits the cache's 3 s command timeout; $(K -n "$NS" get configmap -o jsonpath='{.items[*].data.WORKERS}' | awk '{print $1}') run at a time, the rest queue)"
      mon_check alert --alert RagApiHighLatencyP99 --state firing --deadline 150 --since "$t_slow" --after "Redis was paused and the 20 questions sent"
    else
      fail "monitoring: with Redis paused, $answered of 20 questions answered, in ${fastest}s to ${slowest}s (expected all, each over 2 s): $(sort "$lat_dir"/* | uniq -c | tr '\n' ' ')"
    fi
  else
    fail "monitoring: could not pause Redis ($lat_rpod)" "$LOGS/monitoring-latency.log"
  fi
  record_time "the API slowed by a stalled cache: p99 alert firing" "$(elapsed "$t_slow")"
fi
