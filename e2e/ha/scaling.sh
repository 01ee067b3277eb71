# shellcheck shell=bash
# HA check 5 (sourced by e2e/ha/main.sh): the HPA scaling for real (metrics-server's CPU figures), up under a
# bounded CPU-heavy query load and back down after it, with 0 failed requests throughout (a low-rate probe runs
# from before the load until after the scale-down). The rolling update under load is the upgrade
# (e2e/ha/upgrade.sh).

api_hpa_min=$(hpa spec.minReplicas)
api_hpa_max=$(hpa spec.maxReplicas)
cl_wait 120 hpa_measured ||
  fail "HA autoscaling: the API's HPA has no CPU figure from metrics-server after 120s ($(hpa status.conditions[*].message | cut -c1-300))"
heavy_load_begin "HA autoscaling" # until the scale-down's probe ends (e2e/lib/harness.sh)
load_start scale-probe 4 900
t_load=$(date +%s)
hpa_log=$WORK/hpa.txt
: >"$hpa_log"
# the heavy load: long questions at a rate the three pods cannot absorb below their 70% target (measured: 40/s
# held 3 pods at 20% of a 250m request, 150/s at 55%; with 150m requests 200/s is about 120%). While the new
# pods start (their migrate step and Node's start-up take the same 2 cores) latency rises for a while: at 200/s
# and 170/s the client reached a bound of 400 requests in flight (3,179-5,942 not sent, counted as failed).
# 150/s (about 90% of the request) with a bound of 1,200 (8 s of load) rode that out once (first scale-up 31 s),
# then not in a CI run where the first scale-up came after 44 s (271 not sent). 140/s (about 84% of the request,
# above the 70% target and the HPA's 10% tolerance) with a bound of 2,700 (19 s of load) passed twice, then a
# run whose first scale-up came after 47 s reached it (1,208 not sent). The bound is now what the timeout allows:
# each request has 30 s to answer, so with rate x 30 s in flight the oldest is timing out anyway (Little's law);
# a bound below that failed requests that could still have been answered in time. A request not sent, or not
# answered within 30 s, still counts as failed.
scale_rate=${E2E_SCALE_RATE:-140}
load_start scale-load "$scale_rate" 240 120 $((scale_rate * 30))
# the pods the HPA added took traffic: their own request counter (/metrics on the pod IP, the container's port)
api_cport=$(kubectl -n "$NS" get deploy -l app.kubernetes.io/component=api -o jsonpath='{.items[0].spec.template.spec.containers[0].ports[0].containerPort}')
new_pods_served() { # sets new_served (name:queries of each pod created since the load began) and new_idle
  local name ip created n
  new_served="" new_idle=""
  while read -r name _ ip; do
    created=$(date -d "$(kubectl -n "$NS" get pod "$name" -o jsonpath='{.metadata.creationTimestamp}')" +%s)
    [ "$created" -gt "$t_load" ] || continue
    n=$(curl -s --max-time 5 "http://$ip:$api_cport/metrics" | awk '/^http_requests_total\{/ && /query/ {s+=$NF} END{print s+0}')
    if [ "${n%.*}" -gt 0 ]; then new_served+="$name:$n "; else new_idle+="$name "; fi
  done < <(api_pods)
}
# the load holds until every pod the HPA added serves queries (from 20 s after the first scale-up, at most 90 s)
first_up="" peak=$api_hpa_min new_served="" new_idle=""
for ((s = 0; s < 240; s += 3)); do
  cur=$(hpa status.currentReplicas)
  echo "$(($(date +%s) - t_load)) replicas=$cur desired=$(hpa status.desiredReplicas) cpu=$(hpa 'status.currentMetrics[0].resource.current.averageUtilization')%" >>"$hpa_log"
  [ -n "$cur" ] && [ "$cur" -gt "$peak" ] && peak=$cur
  [ -z "$first_up" ] && [ -n "$cur" ] && [ "$cur" -gt "$api_hpa_min" ] && first_up=$(($(date +%s) - t_load))
  if [ -n "$first_up" ] && [ $(($(date +%s) - t_load)) -ge $((first_up + 20)) ]; then
    new_pods_served
    [ -n "$new_served" ] && [ -z "$new_idle" ] && break
    [ $(($(date +%s) - t_load)) -gt $((first_up + 90)) ] && break
  fi
  sleep 3
done
[ -n "$new_served" ] && [ -z "$new_idle" ] || new_pods_served # the loop ended another way: the latest count
load_stop scale-load
t_stop=$(date +%s)
down_s=""
for ((s = 0; s < 420; s += 5)); do
  cur=$(hpa status.currentReplicas)
  echo "$(($(date +%s) - t_load)) replicas=$cur desired=$(hpa status.desiredReplicas) cpu=$(hpa 'status.currentMetrics[0].resource.current.averageUtilization')% (load stopped)" >>"$hpa_log"
  if [ "$cur" = "$api_hpa_min" ]; then down_s=$(($(date +%s) - t_stop)); break; fi
  sleep 5
done
sleep 10
load_stop scale-probe
heavy_load_end
pf=$(load_summary scale-probe failed) lf=$(load_summary scale-load failed)
record_time "HA autoscaling: seconds to the first scale-up" "${first_up:-none}"
record_time "HA autoscaling: seconds from the load's end back to minReplicas" "${down_s:-none}"
if [ -n "$first_up" ] && [ "$peak" -gt "$api_hpa_min" ] && [ -n "$new_served" ] && [ -z "$new_idle" ] && [ -n "$down_s" ] && [ "$pf" = 0 ] && [ "$lf" = 0 ]; then
  pass "HA autoscaling: heavy query load ($(load_summary scale-load ok) queries, p50 $(load_summary scale-load p50) ms): the API's HPA scaled $api_hpa_min -> $peak (max $api_hpa_max) ${first_up}s after the load began; the new pods served queries ($new_served); ${down_s}s after the load stopped it was back at $api_hpa_min; 0 failed requests ($(load_summary scale-probe ok) probe queries from before the load to after the scale-down, 0 failed of the load itself)"
else
  fail "HA autoscaling: first scale-up ${first_up:-never}, peak $peak (min $api_hpa_min), new pods serving [${new_served}] idle [${new_idle}], back to min after ${down_s:-never}s, failed: probe ${pf:-?} ($(load_summary scale-probe reasons)), load ${lf:-?} ($(load_summary scale-load reasons))" "$hpa_log" 20
fi
