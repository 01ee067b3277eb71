# shellcheck shell=bash
# Helpers of the HA tier (sourced by e2e/ha/main.sh): the load generator pods, the samplers that watch the
# API's ready endpoints and pods throughout a check, and reading their results.

LOAD_NS=ingress-nginx # the namespace the platform's NetworkPolicies admit (ingress controller stand-in)

# load_start NAME RATE DURATION [WORDS] [MAX_IN_FLIGHT] [PATH]: a load generator pod (e2e/ha/load.js in the node
# image) on node 1, sending to the API Service only; the test's nodes never drain or kill node 1's clients
load_start() {
  local name=$1 rate=$2 duration=$3 words=${4:-12} inflight=${5:-200} path=${6:-/v1/query}
  kubectl get ns "$LOAD_NS" >/dev/null 2>&1 || {
    kubectl create ns "$LOAD_NS" >/dev/null
    kubectl label ns "$LOAD_NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
  }
  kubectl -n "$LOAD_NS" create configmap e2e-load --from-file=load.js="$E2E_DIR/ha/load.js" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl -n "$LOAD_NS" delete pod "$name" --ignore-not-found --wait=true >/dev/null 2>&1
  kubectl -n "$LOAD_NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $name, labels: {app.kubernetes.io/name: e2e-load}}
spec:
  nodeName: $(cl_node_name 1)
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: load
    image: ${IMG[node]}
    imagePullPolicy: Never
    command: [node, /load/load.js]
    env:
    - {name: URL, value: "http://$API_HOST:$API_PORT$path"}
    - {name: RATE, value: "$rate"}
    - {name: DURATION, value: "$duration"}
    - {name: QUESTION_WORDS, value: "$words"}
    - {name: MAX_IN_FLIGHT, value: "$inflight"}
    - {name: TIMEOUT_MS, value: "30000"}
    - {name: STOP_FILE, value: /run/load/stop}
    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "1", memory: 256Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: script, mountPath: /load}, {name: run, mountPath: /run/load}]
  volumes: [{name: script, configMap: {name: e2e-load}}, {name: run, emptyDir: {}}]
EOF
  kubectl -n "$LOAD_NS" wait --for=condition=Ready "pod/$name" --timeout=60s >/dev/null 2>&1
}

# load_stop NAME: ask it to stop (it finishes its requests in flight), wait for it, keep its output in $LOGS
load_stop() {
  kubectl -n "$LOAD_NS" exec "$1" -- node -e 'require("fs").writeFileSync("/run/load/stop","")' >/dev/null 2>&1
  load_wait "$1"
}
load_wait() {
  cl_wait 120 sh -c "kubectl -n $LOAD_NS get pod $1 -o jsonpath='{.status.phase}' | grep -qE 'Succeeded|Failed'"
  kubectl -n "$LOAD_NS" logs "$1" >"$LOGS/load-$1.jsonl" 2>&1
  kubectl -n "$LOAD_NS" delete pod "$1" --wait=false >/dev/null 2>&1
}
# load_summary NAME FIELD: a field of the generator's summary (sent, ok, failed, p50, p99, seconds, reasons)
load_summary() {
  python3 - "$LOGS/load-$1.jsonl" "$2" <<'PY' 2>/dev/null
import json, sys
s = {}
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "summary" in o:
        s = o["summary"]
v = s.get(sys.argv[2], "?")
print(json.dumps(v) if isinstance(v, dict) else v)
PY
}
# load_failures_between NAME FROM TO: failures whose time (epoch s) is in [FROM, TO)
load_failures_between() {
  python3 - "$LOGS/load-$1.jsonl" "$2" "$3" <<'PY' 2>/dev/null
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "failure" in o and float(sys.argv[2]) <= o["t"] / 1000 < float(sys.argv[3]):
        n += 1
print(n)
PY
}

# the API's ready endpoints (EndpointSlices of its Service): "epoch count ip,ip,..." every second into FILE
endpoints_sampler_start() { # FILE
  local f=$1
  (while :; do
    printf '%s %s\n' "$(date +%s.%N)" "$(kubectl -n "$NS" get endpointslices -l "kubernetes.io/service-name=${API_HOST%%.*}" \
      -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{","}{end}' 2>/dev/null)" |
      awk '{n=split($2,a,","); print $1, n-1, $2}' >>"$f"
    sleep 1
  done) &
  SAMPLER_PID=$!
  BG_PIDS+=("$SAMPLER_PID")
}
endpoints_sampler_stop() { kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; }
endpoints_min() { awk 'NR==1||$2<m{m=$2} END{print m+0}' "$1"; }

# the API's running pods that are not being deleted (a pod of an old ReplicaSet stays Running while it drains)
api_pods() {
  kubectl -n "$NS" get pods -l "app.kubernetes.io/component=api" --field-selector=status.phase=Running \
    -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP} {.metadata.deletionTimestamp}{"\n"}{end}' | awk 'NF==3'
}
api_ready_count() { kubectl -n "$NS" get pods -l "app.kubernetes.io/component=api" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True; }
restarts_total() { kubectl -n "$NS" get pods -o jsonpath='{range .items[*]}{range .status.containerStatuses[*]}{.restartCount}{"\n"}{end}{end}' | awk '{s+=$1} END{print s+0}'; }
node_of() { kubectl -n "$NS" get pod "$1" -o jsonpath='{.spec.nodeName}'; }
zone_of() { kubectl get node "$1" -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}'; }
# Moves the single-replica datastores whose component matches REGEX off NODE before a check kills it (a
# StatefulSet pod on a dead node waits for the node; what that costs is in docs/operations.md): cordon, delete
# their pods, every StatefulSet rolled out elsewhere, uncordon. Prints how many such pods remain on NODE.
move_datastores_off() { # NODE REGEX
  local moved o
  moved=$(kubectl -n "$NS" get pods --field-selector "spec.nodeName=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.labels.app\.kubernetes\.io/component}{"\n"}{end}' | awk -v r="^($2)\$" '$2 ~ r {print $1}')
  if [ -n "$moved" ]; then
    kubectl cordon "$1" >/dev/null
    # shellcheck disable=SC2086
    kubectl -n "$NS" delete pod $moved --wait=true >/dev/null 2>&1
    sleep 3
    for o in $(kubectl -n "$NS" get statefulset -o name); do kubectl -n "$NS" rollout status "$o" --timeout=300s >/dev/null 2>&1; done
    kubectl uncordon "$1" >/dev/null
  fi
  kubectl -n "$NS" get pods --field-selector "spec.nodeName=$1" -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/component}{" "}{end}' | tr ' ' '\n' | grep -cE "^($2)\$"
}
