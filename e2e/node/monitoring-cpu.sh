# shellcheck shell=bash
# RagHighCpuAgainstLimit caused for real (sourced by e2e/node/monitoring.sh): a container held at its CPU limit.
# None of the platform's own can be held there without disturbing what the other checks measure: a loop in a
# datastore's container shares that container's quota and slows the datastore, the exporters' images have no
# shell, and the API's limit is a whole core of this 2-core machine. So a pod of the namespace's own loops busily
# under a 20m limit (request = limit); the alert reads it exactly as it reads the platform's containers: the
# kubelet's container_cpu_usage_seconds_total (its /metrics/resource here) joined to kube-state-metrics'
# kube_pod_container_resource_limits by namespace, pod and container. Its 5m rate passes 90% of the limit ~270 s
# after the loop starts (the window fills), then for: 1 minute (monitoring.alerts.forMinutes here): firing ~335 s
# after. cpu_burn_start runs right after the monitoring `pulumi up`, cpu_burn_check once the checks between have
# filled that time; the pod is deleted and the alert must go inactive.
CPU_POD=e2e-cpu-burn
t_cpu=

cpu_burn_start() {
  K -n "$NS" apply -f - >"$LOGS/monitoring-cpu.log" 2>&1 <<EOF || { fail "monitoring: the CPU-bound pod was not admitted" "$LOGS/monitoring-cpu.log" 5; return 1; }
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$CPU_POD","labels":{"app.kubernetes.io/name":"$CPU_POD"}},
 "spec":{"automountServiceAccountToken":false,"restartPolicy":"Never","enableServiceLinks":false,"terminationGracePeriodSeconds":1,
  "securityContext":{"runAsNonRoot":true,"runAsUser":65534,"runAsGroup":65534,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"burn","image":"${IMG[busybox]}","imagePullPolicy":"Never","command":["sh","-c","while :; do :; done"],
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
   "resources":{"requests":{"cpu":"20m","memory":"16Mi"},"limits":{"cpu":"20m","memory":"16Mi"}}}]}}
EOF
  if K -n "$NS" wait --for=condition=Ready "pod/$CPU_POD" --timeout=60s >>"$LOGS/monitoring-cpu.log" 2>&1; then
    t_cpu=$(now)
    say "monitoring: $CPU_POD loops under a 20m CPU limit (RagHighCpuAgainstLimit checked once its 5m window has filled)"
  else
    fail "monitoring: $CPU_POD not Ready: $(K -n "$NS" get pod "$CPU_POD" --no-headers 2>&1)"
  fi
}

cpu_burn_check() {
  if [ -n "$t_cpu" ]; then
    local sel="namespace=\"$NS\",pod=\"$CPU_POD\",container=\"burn\"" used limit
    used=$(mon_query "rate(container_cpu_usage_seconds_total{$sel}[1m])")
    limit=$(mon_query "kube_pod_container_resource_limits{$sel,resource=\"cpu\"}")
    say "monitoring: $CPU_POD used ${used:-?} cores over the last minute against a limit of ${limit:-?} (kube-state-metrics), $(elapsed "$t_cpu")s after it started"
    mon_check alert --alert RagHighCpuAgainstLimit --match "pod=$CPU_POD" --state firing \
      --deadline "$(mon_deadline "$t_cpu" 420)" --since "$t_cpu" --after "a container began to loop at its 20m limit"
  fi
  local t_gone
  K -n "$NS" delete pod "$CPU_POD" --ignore-not-found --wait=true --timeout=60s >>"$LOGS/monitoring-cpu.log" 2>&1
  t_gone=$(now)
  [ -n "$t_cpu" ] && mon_check alert --alert RagHighCpuAgainstLimit --match "pod=$CPU_POD" --state inactive --deadline 90 \
    --since "$t_gone" --after "the pod was deleted"
  t_cpu=
}
