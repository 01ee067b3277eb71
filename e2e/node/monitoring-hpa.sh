# shellcheck shell=bash
# The API's HPA at its maximum, for real (sourced by e2e/node/monitoring.sh; its `pulumi up` gave the API an HPA
# of 1 to 2 replicas at a 40% CPU target with a 20 s scale-down window, and monitoring.alerts.hpaAtMaxMinutes 1;
# metrics-server runs in the node tier's cluster): a CPU-heavy query load from the host (e2e/ha/load.js: long
# questions, each worded differently, so the API's cache answers none) raises the API to maxReplicas;
# RagHpaAtMaximum goes firing once its for: has passed, then clears after the load stops and the HPA scales the
# API back down. The pods the HPA added are the HPA's doing: the Deployment carries no replica count.
hpa_at() { [ "$(hpa status.currentReplicas)" = "$1" ]; } # N: the API's HPA has N replicas
hpa_min=$(hpa spec.minReplicas) hpa_max=$(hpa spec.maxReplicas)
t_hpa=$(now)
if [ -n "$hpa_max" ] && cl_wait 120 hpa_measured; then
  hpa_stop=$MON_DIR/hpa-load.stop
  rm -f "$hpa_stop"
  heavy_load_begin "monitoring: the HPA's load"
  # 80 questions of 120 words a second: about 2.7 mCPU per question a second (measured by the HA tier), some 215m
  # of the API's 250m request, over twice the 40% target (e2e/ha/scaling.sh keeps the measurements)
  URL="http://$API_IP:$API_PORT/v1/query" RATE=${E2E_HPA_RATE:-80} DURATION=480 QUESTION_WORDS=120 MAX_IN_FLIGHT=2400 \
    STOP_FILE=$hpa_stop AUTHORIZATION=${API_KEY:+Bearer $API_KEY} node "$E2E_DIR/ha/load.js" >"$LOGS/monitoring-hpa-load.jsonl" 2>&1 {HEAVY_LOAD_FD}>&- &
  hpa_load=$!
  t_load=$(date +%s)
  if cl_wait 240 hpa_at "$hpa_max"; then
    t_max=$(date +%s)
    pass "monitoring: the API's HPA at its maximum under load: $hpa_min -> $hpa_max replicas $((t_max - t_load))s after the load began (CPU $(hpa_cpu)% against a target of $(hpa 'spec.metrics[?(@.resource.name=="cpu")].resource.target.averageUtilization')%)"
    mon_check alert --alert RagHpaAtMaximum --state firing --deadline 180 --since "$t_max" --after "the HPA reached maxReplicas"
  else
    fail "monitoring: the API's HPA did not reach its maximum of $hpa_max under load in 240s (replicas $(hpa status.currentReplicas), CPU $(hpa_cpu)%): $(tail -n 2 "$LOGS/monitoring-hpa-load.jsonl" | cut -c1-200)"
  fi
  touch "$hpa_stop"
  wait "$hpa_load"
  heavy_load_end
  t_stop=$(date +%s)
  say "monitoring: the HPA's load: $(grep -o '"summary":.*' "$LOGS/monitoring-hpa-load.jsonl" | cut -c1-200)"
  mon_check alert --alert RagHpaAtMaximum --state inactive --deadline 240 --since "$t_stop" --after "the load stopped (the HPA back below its maximum)"
  record_time "the API's HPA at its maximum: alert firing, then cleared" "$(elapsed "$t_hpa")"
else
  fail "monitoring: the API's HPA has no CPU figure from metrics-server after 120s ($(hpa 'status.conditions[*].message' | cut -c1-300))"
fi
