# shellcheck shell=bash
# The monitoring stack a cluster test installs the way kube-prometheus-stack users have it (sourced; needs K, IMG,
# cl_wait and $E2E_DIR): the Prometheus Operator's CRDs and its upstream RBAC (from its Go module's example/, the
# module e2e/lib/crds.sh reads), the operator (images/prometheus-operator: the toolchain's build), and one
# Prometheus (images/prometheus: the toolchain's build of 3.16) that selects ServiceMonitors and PrometheusRules in every namespace
# by the labels the platform puts on them (monitoring.selectorLabels), evaluating rules every MON_INTERVAL, and
# kube-state-metrics (images/kube-state-metrics; upstream's examples/standard manifests from its module) with the
# ServiceMonitor kube-prometheus-stack gives it (honorLabels: a series keeps the namespace of the object it is
# about), and the kubelets' cAdvisor and /metrics endpoints (the operator's --kubelet-service Endpoints, the
# ServiceMonitor kube-prometheus-stack gives them; these nodes' kubelets take anonymous requests, so no token).
# Here cAdvisor sees pods but names no container (it looks for containerd at its default socket; each node's
# containerd listens elsewhere), so the kubelet's /metrics/resource is scraped as well: the same
# container_cpu_usage_seconds_total and container_memory_working_set_bytes, per container.
# Its namespace enforces Pod Security restricted, as the platform's does.
#
#   mon_install NAMESPACE LABEL=VALUE   installs it; 0 once Prometheus is Ready; sets MON_URL (its Service, which
#                                       the host reaches through kube-proxy) and MON_SECS
#   mon_remove                          deletes the namespace, the Prometheus and the cluster objects
#   mon COMMAND ARGS...                 e2e/monitoring/check.ts against MON_URL for the platform's namespace NS
#   mon_check COMMAND ARGS...           the same, its ok/FAIL line counted (pass/fail)
#   mon_query PROMQL [LABEL]            the instant query's series, one line each: its value, or LABEL=its value
#   mon_deadline SINCE SECONDS          the seconds left until SECONDS after SINCE (a now() time), at least 60: the
#                                       deadline of an alert check whose fault began (or ended) at SINCE and needs
#                                       SECONDS to fire (or to leave the alert's window)
MON_NS=
MON_URL=
MON_INTERVAL=${MON_INTERVAL:-5s}
KSM_MODULE=k8s.io/kube-state-metrics/v2@v2.19.1

mon_install() { # NAMESPACE LABEL=VALUE
  MON_NS=$1
  local sel=$2 t0=$SECONDS crds po ksm
  crds=$(dirname "$(bash "$E2E_DIR/lib/crds.sh" | head -n1)") || return 1
  po=$(dirname "$(dirname "$crds")")
  ksm=$(bash "$E2E_DIR/lib/crds.sh" --module "$KSM_MODULE")/examples/standard || return 1
  K create namespace "$MON_NS" >/dev/null 2>&1
  K label namespace "$MON_NS" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null || return 1
  K apply --server-side -f "$crds" >/dev/null || return 1
  K wait --for=condition=Established --timeout=60s -f "$crds" >/dev/null || return 1
  # upstream's RBAC, its namespace (default) replaced by ours
  for f in "$po"/example/rbac/prometheus-operator/prometheus-operator-{service-account,cluster-role,cluster-role-binding}.yaml \
    "$po"/example/rbac/prometheus/prometheus-{service-account,cluster-role,cluster-role-binding}.yaml; do
    echo "---"
    sed "s/namespace: default/namespace: $MON_NS/" "$f"
  done | K -n "$MON_NS" apply -f - >/dev/null || return 1
  # kube-state-metrics as upstream ships it, in our namespace, running the image built here
  for f in "$ksm"/{service-account,cluster-role,cluster-role-binding,deployment,service}.yaml; do
    echo "---"
    sed -e "s/namespace: kube-system/namespace: $MON_NS/" -e "s#image: registry.k8s.io/kube-state-metrics/.*#image: ${IMG[kube-state-metrics]}#" "$f"
  done | K -n "$MON_NS" apply -f - >/dev/null || return 1
  K -n "$MON_NS" apply -f - >/dev/null <<EOF || return 1
apiVersion: apps/v1
kind: Deployment
metadata: {name: prometheus-operator, labels: {app.kubernetes.io/name: prometheus-operator}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: prometheus-operator}}
  template:
    metadata: {labels: {app.kubernetes.io/name: prometheus-operator}}
    spec:
      serviceAccountName: prometheus-operator
      automountServiceAccountToken: true # upstream's ServiceAccount turns it off; its Deployment turns it on
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: prometheus-operator
          image: ${IMG[prometheus-operator]}
          args: [--prometheus-config-reloader=${IMG[prometheus-operator]}, --kubelet-service=kube-system/kubelet, --log-level=info]
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: rag-e2e}
spec:
  image: ${IMG[prometheus]}
  version: v3.16.0
  replicas: 1
  serviceAccountName: prometheus
  scrapeInterval: $MON_INTERVAL
  evaluationInterval: $MON_INTERVAL
  serviceMonitorSelector: {matchLabels: {${sel%%=*}: ${sel#*=}}}
  serviceMonitorNamespaceSelector: {}
  ruleSelector: {matchLabels: {${sel%%=*}: ${sel#*=}}}
  ruleNamespaceSelector: {}
  podMonitorSelector: {matchLabels: {e2e-none: none}}
  probeSelector: {matchLabels: {e2e-none: none}}
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: prometheus}
spec:
  selector: {operator.prometheus.io/name: rag-e2e}
  ports: [{name: web, port: 9090, targetPort: 9090}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: kube-state-metrics, labels: {${sel%%=*}: ${sel#*=}}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: kube-state-metrics}}
  endpoints: [{port: http-metrics, honorLabels: true}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: kubelet, labels: {${sel%%=*}: ${sel#*=}}}
spec:
  namespaceSelector: {matchNames: [kube-system]}
  selector: {matchLabels: {app.kubernetes.io/name: kubelet}}
  endpoints:
    - {port: https-metrics, scheme: https, path: /metrics/cadvisor, honorLabels: true, tlsConfig: {insecureSkipVerify: true}}
    - {port: https-metrics, scheme: https, path: /metrics/resource, honorLabels: true, tlsConfig: {insecureSkipVerify: true}}
    - {port: https-metrics, scheme: https, path: /metrics, honorLabels: true, tlsConfig: {insecureSkipVerify: true}}
EOF
  cl_wait 240 sh -c "kubectl -n $MON_NS get statefulset prometheus-rag-e2e >/dev/null 2>&1" || return 1
  K -n "$MON_NS" rollout status statefulset/prometheus-rag-e2e --timeout=180s >/dev/null || return 1
  K -n "$MON_NS" rollout status deployment/kube-state-metrics --timeout=120s >/dev/null || return 1
  MON_URL="http://$(K -n "$MON_NS" get svc prometheus -o jsonpath='{.spec.clusterIP}'):9090"
  cl_wait 60 curl -fsS --max-time 3 -o /dev/null "$MON_URL/-/ready" || return 1
  MON_SECS=$((SECONDS - t0))
}

mon_remove() {
  [ -n "$MON_NS" ] || return 0
  # the Prometheus first, while its operator still runs to let it go
  K -n "$MON_NS" delete prometheus rag-e2e --ignore-not-found --timeout=60s >/dev/null 2>&1
  K delete namespace "$MON_NS" --wait=false >/dev/null 2>&1
  K -n kube-system delete service kubelet --ignore-not-found >/dev/null 2>&1
  K delete clusterrolebinding prometheus prometheus-operator kube-state-metrics --ignore-not-found >/dev/null 2>&1
  K delete clusterrole prometheus prometheus-operator kube-state-metrics --ignore-not-found >/dev/null 2>&1
}

mon() { node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/monitoring/check.ts" "$1" --url "$MON_URL" --namespace "$NS" "${@:2}"; }
mon_check() { # COMMAND ARGS...: its ok/FAIL line counted
  local out
  out=$(mon "$@" 2>&1 | tail -n1)
  echo "$out" >>"$LOGS/monitoring-checks.log"
  case "$out" in "ok   - "*) pass "monitoring: ${out#ok   - }" ;; *) fail "monitoring: ${out#FAIL - }" ;; esac
  [[ $out == "ok   - "* ]]
}
mon_deadline() { awk -v e="$(elapsed "$1")" -v s="$2" 'BEGIN{d=int(s-e); print (d < 60 ? 60 : d)}'; }
mon_query() {
  curl -fsS --max-time 10 "$MON_URL/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys
for r in json.load(sys.stdin)["data"]["result"]: print((r["metric"].get(sys.argv[1], "") + "=" if sys.argv[1] else "") + r["value"][1])' "${2:-}" 2>/dev/null
}
