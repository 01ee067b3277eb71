# shellcheck shell=bash
# The dev stack on the node (sourced by e2e/node.sh, after the node is Ready): the repository's real
# program and policy pack, copied to the work dir (Pulumi.<stack>.yaml in the repository is never
# touched), local file backend; images pointed at the ones built here through stack config only.

# shellcheck source=../lib/pulumi-env.sh
. "$E2E_DIR/lib/pulumi-env.sh"

NS=
ns_pods_summary() { K -n "$NS" get pods --no-headers 2>&1 | awk '{print $1" "$2" "$3" restarts="$4}' | tr '\n' ';' | cut -c1-700; }

restarts_by_pod() { # each pod's name and its containers' restarts, summed (init containers too)
  K -n "$NS" get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.containerStatuses[*]}{.restartCount}{" "}{end}{range .status.initContainerStatuses[*]}{.restartCount}{" "}{end}{"\n"}{end}' |
    awk '{n = 0; for (i = 2; i <= NF; i++) n += $i; print $1, n}'
}

# every Deployment/StatefulSet rolled out, every long-running pod Ready, Jobs complete, no restart
# (with "restarts-ok": restarts are listed, not failed: during a secret rotation the issue asks only that
# every pod ENDS Ready on the new credentials; the initial up requires none)
# (with "since:BASELINE", BASELINE an earlier restarts_by_pod: only the restarts after it count)
check_workloads() { # LABEL [restarts-ok | since:BASELINE]
  local label=$1 mode=${2:-} bad="" note="no container restarted" o
  [ "$(K -n "$NS" get deploy,statefulset --no-headers 2>/dev/null | wc -l)" -gt 0 ] || bad+="no Deployment or StatefulSet in $NS; "
  for o in $(K -n "$NS" get deploy,statefulset -o name 2>/dev/null); do
    K -n "$NS" rollout status "$o" --timeout=10s >/dev/null 2>&1 || bad+="$o not rolled out; "
  done
  local notready
  notready=$(K -n "$NS" get pods -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | awk '$2!="True"{print $1}' | tr '\n' ' ')
  [ -n "$notready" ] && bad+="not Ready: $notready; "
  local failedpods
  failedpods=$(K -n "$NS" get pods --field-selector=status.phase=Failed -o name 2>/dev/null | tr '\n' ' ')
  [ -n "$failedpods" ] && bad+="failed pods: $failedpods; "
  # a failed pod's last log lines, each container (the pod is gone once the stack is destroyed)
  for o in $failedpods; do
    K -n "$NS" logs "$o" --all-containers --tail=5 --prefix >>"$LOGS/failed-pods.log" 2>&1
    bad+="($o: $(K -n "$NS" logs "$o" --all-containers --tail=2 2>&1 | tr '\n' ' ' | cut -c1-300)) "
  done
  local restarts baseline=""
  [[ $mode == since:* ]] && baseline=${mode#since:} note="no container restarted since its baseline"
  restarts=$(awk 'NR == FNR {n[$1] = $2; next} $2 > ($1 in n ? n[$1] : 0) {print $1}' <(echo "$baseline") <(restarts_by_pod) | tr '\n' ' ')
  if [ -n "$restarts" ] && [ "$mode" = restarts-ok ]; then
    note="restarted while the credentials changed (allowed here): $restarts"
  elif [ -n "$restarts" ]; then
    bad+="restarted: $restarts; "
  fi
  for o in $(K -n "$NS" get jobs -o name 2>/dev/null); do
    [ "$(K -n "$NS" get "$o" -o jsonpath='{.status.succeeded}')" = 1 ] || bad+="$o not complete; "
  done
  if [ -z "$bad" ]; then
    pass "$label: $(K -n "$NS" get deploy,statefulset --no-headers 2>/dev/null | wc -l) Deployments/StatefulSets rolled out, $(K -n "$NS" get pods --field-selector=status.phase=Running --no-headers 2>/dev/null | wc -l) pods Ready through their own probes, $(K -n "$NS" get jobs --no-headers 2>/dev/null | wc -l) Job(s) complete, $note"
    return 0
  fi
  fail "$label: $bad pods: $(ns_pods_summary)"
  return 1
}

# a client pod (restricted, the node image) that fetches a URL and exits; prints its output. It runs in the
# ingress controller's namespace (the stack's networkPolicy.ingressControllerNamespace, default ingress-nginx):
# the platform's NetworkPolicies admit the API's clients from there, as the ingress controller is
CLIENT_NS=ingress-nginx
IN_POD_N=0
in_pod_fetch() { # URL -> output, status = pod succeeded
  IN_POD_N=$((IN_POD_N + 1))
  local name=e2e-client-$IN_POD_N
  K get namespace "$CLIENT_NS" >/dev/null 2>&1 || K create namespace "$CLIENT_NS" >/dev/null 2>&1
  restricted_pod "$name" "${IMG[node]}" '{"app.kubernetes.io/name":"e2e-client"}' "$(fetch_cmd "$1")" '' >"$WORK/$name.json"
  K -n "$CLIENT_NS" apply -f "$WORK/$name.json" >/dev/null 2>&1 || return 1
  cl_wait 120 sh -c "kubectl -n $CLIENT_NS get pod $name -o jsonpath='{.status.phase}' | grep -qE 'Succeeded|Failed'"
  K -n "$CLIENT_NS" logs "$name" 2>&1
  local phase
  phase=$(K -n "$CLIENT_NS" get pod "$name" -o jsonpath='{.status.phase}')
  K -n "$CLIENT_NS" delete pod "$name" --wait=false >/dev/null 2>&1
  [ "$phase" = Succeeded ]
}

API_KEY=
api_key() {
  local sk
  sk=$(K -n "$NS" get secret "$SECRET_NAME" -o jsonpath='{.data.API_SIGNING_KEY}' | base64 -d)
  printf '%s' "rag-api-key:v1" | openssl dgst -sha256 -hmac "$sk" -r | awk '{print $1}'
}
secret_value() { K -n "$NS" get secret "$SECRET_NAME" -o jsonpath="{.data.$1}" | base64 -d; }
api() { # METHOD PATH [JSON] -> body; via the Service's ClusterIP from the host (after pod->Service passed)
  curl -sS --max-time 20 -X "$1" -H 'content-type: application/json' ${API_KEY:+-H "authorization: Bearer $API_KEY"} \
    ${3:+--data "$3"} "http://$API_IP:$API_PORT$2"
}
QUESTION="What colour is the lighthouse on Skerry Point?"
# (each check asks in its own words: the API caches answers in Redis, and a cached answer would
# prove nothing about PostgreSQL and the vector store)
query_cites() { # [QUESTION] -> 0 when the answer cites the document posted ($DOC_ID)
  local out q=${1:-$QUESTION}
  out=$(api POST /v1/query "{\"question\":\"$q\"}" 2>&1)
  echo "$out" >>"$LOGS/queries.log"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if sys.argv[2] in [str(c) for c in r.get("citations",[])] else 1)' "$out" "$DOC_ID" 2>/dev/null
}
datastore_pods() { # the StatefulSet pods of PostgreSQL and the vector store
  K -n "$NS" get pods -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].kind}{"\n"}{end}' |
    awk '$2=="StatefulSet"{print $1}' | grep -v redis
}
postgres_pod() { datastore_pods | grep -i postgres | head -n1; }

# ---------------------------------------------------------------------------------------------
if [ -z "${IMG[rag-api]:-}" ] || [ -z "$APPDIR" ]; then
  fail "the reference app is not packaged (no app/scripts/package.sh): the platform's app images cannot be built; the stack is not deployed"
  return 0 2>/dev/null || exit 1
fi


UP_OK=0
if run "$LOGS/init-dev.log" P init dev && configure_stack dev >"$LOGS/config-dev.log" 2>&1; then
  say "pulumi up dev (no skipAwait; log: $LOGS/up-dev.log)"
  if run "$LOGS/up-dev.log" P up "${POLICY_ARGS[@]}"; then
    UP_OK=1
    record_time "pulumi up dev (create, readiness waits)" "$LAST_SECS"
    pass "pulumi up dev without skipAwait (${LAST_SECS}s, $(grep -oE '\+ [0-9]+ created' "$LOGS/up-dev.log" | head -n1))"
  else
    record_time "pulumi up dev (create, FAILED)" "$LAST_SECS"
    fail "pulumi up dev without skipAwait" "$LOGS/up-dev.log" 40
  fi
else
  fail "stack init/config dev" "$LOGS/config-dev.log"
fi
P outputs >"$WORK/outputs.json" 2>/dev/null
NS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("namespace",""))' "$WORK/outputs.json" 2>/dev/null)
NS=${NS:-rag-dev}
SECRET_NAME=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("secretName",""))' "$WORK/outputs.json" 2>/dev/null)
API_HOST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["services"]["api"])' "$WORK/outputs.json" 2>/dev/null)
K -n "$NS" get pods -o wide >"$LOGS/pods-after-up.txt" 2>&1
check_workloads "after pulumi up" || true

# the migrate step: any container (init or not, in a pod or a Job's pod) whose name, command or
# args mention migrate must have run to completion with exit code 0
mig=$(K -n "$NS" get pods -o json 2>/dev/null | python3 -c '
import json, sys
found, bad = [], []
for p in json.load(sys.stdin)["items"]:
    specs = {c["name"]: c for c in p["spec"].get("initContainers", []) + p["spec"]["containers"]}
    for st in p["status"].get("initContainerStatuses", []) + p["status"].get("containerStatuses", []):
        c = specs.get(st["name"], {})
        if "migrat" in " ".join([c.get("name", "")] + c.get("command", []) + c.get("args", [])):
            t = (st.get("state", {}).get("terminated") or st.get("lastState", {}).get("terminated") or {})
            (found if t.get("exitCode") == 0 else bad).append(p["metadata"]["name"] + "/" + st["name"])
print("ok " + " ".join(found) if found and not bad else "bad found=%s failed=%s" % (found, bad))
')
if [ "${mig%% *}" = ok ]; then
  pass "the migrate step completed (exit 0): ${mig#ok }"
else
  fail "migrate step: none completed in $NS (${mig#bad }); the platform must run app/dist/migrate.js before the API serves"
fi

# Pod Security: the namespace enforces restricted, every pod was admitted, a root pod is refused
refused=$(K -n "$NS" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.involvedObject.name}: {.message}{"\n"}{end}' 2>/dev/null)
enforce=$(K get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' 2>/dev/null)
rootout=$(K -n "$NS" run e2e-root-probe --image="${IMG[busybox]}" --restart=Never --overrides='{"spec":{"securityContext":{"runAsUser":0}}}' -- true 2>&1)
if [ "$enforce" = restricted ] && [ -z "$refused" ] && echo "$rootout" | grep -q 'violates PodSecurity "restricted'; then
  pass "every pod in $NS admitted by Pod Security restricted enforcement ($(K -n "$NS" get pods --no-headers 2>/dev/null | wc -l) pods, no FailedCreate; a root pod is refused)"
else
  K -n "$NS" delete pod e2e-root-probe --ignore-not-found >/dev/null 2>&1
  fail "Pod Security in $NS: enforce=$enforce, FailedCreate: ${refused:-none}, root pod: $(echo "$rootout" | head -n1 | cut -c1-200)"
fi

# NetworkPolicies enforced (E2E_NETPOL=1): the connection matrix, and the test's own client on the host let in
# (e2e/node/netpol.sh)
if [ "${CL_NETPOL:-0}" = 1 ]; then
  # shellcheck source=netpol.sh
  . "$E2E_DIR/node/netpol.sh"
fi

# pod -> Service (DNS + kube-proxy), BEFORE any host -> Service request
API_PORT=$(K -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.ports[0].port}' 2>/dev/null)
API_IP=$(K -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.clusterIP}' 2>/dev/null)
if [ -n "$API_HOST" ] && out=$(in_pod_fetch "http://$API_HOST:$API_PORT/ready"); then
  pass "from a pod in $CLIENT_NS (the ingress controller's namespace), the API answers /ready through its Service name $API_HOST:$API_PORT: $(echo "$out" | tail -n1 | cut -c1-160)"
else
  fail "pod -> API Service ($API_HOST:$API_PORT) /ready: $(echo "${out:-}" | tail -n 3 | tr '\n' ' ' | cut -c1-300)"
fi

# a document, then a question whose answer cites it
DOC_TITLE="e2e-skerry-point-$$"
DOC_TEXT="The lighthouse on Skerry Point is painted ultramarine blue with a single white band. It was built in 1874 and its keeper logs the weather every six hours."
API_KEY=$(api_key 2>/dev/null)
post=$(api POST /v1/documents "{\"title\":\"$DOC_TITLE\",\"text\":\"$DOC_TEXT\"}" 2>&1)
echo "$post" >"$LOGS/post.log"
DOC_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["document"]["id"])' "$post" 2>/dev/null)
if [ -n "$DOC_ID" ] && cl_wait 30 query_cites; then
  pass "a document posted through the API Service (write key derived from API_SIGNING_KEY) is cited by the answer to a query"
  QUERY_OK=1
else
  QUERY_OK=0
  fail "post + query: post=$(echo "$post" | cut -c1-200) query=$(tail -n1 "$LOGS/queries.log" 2>/dev/null | cut -c1-300)"
fi

# the chat page in headless Chromium (e2e/browser/chat.ts): through the frontend's Service, with the driver's
# stand-in for the Ingress sending /api to the API; it posts a document through the page, asks about it, sees the
# answer and its citation, and checks a wrong key and an empty question are refused with nothing stored
ARTIFACTS=${E2E_ARTIFACTS:-$REPO/.e2e/artifacts}
FE_HOST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["services"]["frontend"])' "$WORK/outputs.json" 2>/dev/null)
FE_IP=$(K -n "$NS" get svc "${FE_HOST%%.*}" -o jsonpath='{.spec.clusterIP}' 2>/dev/null)
FE_PORT=$(K -n "$NS" get svc "${FE_HOST%%.*}" -o jsonpath='{.spec.ports[0].port}' 2>/dev/null)
if [ -n "$FE_IP" ] && RAG_API_KEY=$API_KEY run "$LOGS/browser.log" node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/browser/chat.ts" \
  --url "http://$FE_IP:$FE_PORT" --api "http://$API_IP:$API_PORT" --artifacts "$ARTIFACTS/browser"; then
  pass "the chat page in headless Chromium: $(grep -c '^ok' "$LOGS/browser.log") driver checks passed ($(grep -oE 'question to answer on the page\s+[0-9.]+' "$LOGS/browser.log" | awk '{print $NF"s to the answer"}')); screenshots in $ARTIFACTS/browser"
else
  fail "the chat page in headless Chromium" "$LOGS/browser.log" 20
fi

# data survives the datastores' pods being deleted; each stops on its stop signal (PostgreSQL's SIGINT, Chroma's
# SIGTERM through dumb-init), not at its terminationGracePeriodSeconds by the kubelet's SIGKILL
stop_pod() { # POD: deleted and gone; prints "POD SECONDS GRACE"
  local g t
  g=$(K -n "$NS" get pod "$1" -o jsonpath='{.spec.terminationGracePeriodSeconds}' 2>/dev/null)
  t=$(now)
  K -n "$NS" delete pod "$1" --wait=true --timeout=150s >>"$LOGS/delete-datastores.log" 2>&1
  echo "$1 $(elapsed "$t") ${g:-?}"
}
if [ "$QUERY_OK" = 1 ]; then
  ds=$(datastore_pods | tr '\n' ' ')
  : >"$LOGS/delete-datastores.log"
  stops=$(for p in $ds; do stop_pod "$p" & done; wait)
  stopped=$(awk '{printf "%s in %ss of its %ss grace, ", $1, $2, $3}' <<<"$stops")
  if [ -n "$stops" ] && awk '$3 == "?" || $2 + 0 >= $3 + 0 {bad = 1} END {exit bad}' <<<"$stops"; then
    pass "datastore pods stopped by their stop signal, not killed at the grace period's end: ${stopped%, }"
  else
    fail "datastore pods not stopped by their stop signal (gone only once the grace period ended: the kubelet's SIGKILL): ${stopped%, }"
  fi
  ready=1
  for p in $ds; do
    cl_wait 300 kubectl -n "$NS" wait --for=condition=Ready "pod/$p" --timeout=5s || ready=0
  done
  if [ $ready = 1 ] && cl_wait 90 query_cites "Which colour is the Skerry Point lighthouse painted?"; then
    pass "data survives: pods $ds deleted, Ready again, the same query still cites the document"
  else
    fail "after deleting the datastore pods the query no longer answers" "$LOGS/queries.log" 3
  fi
else
  fail "data survives datastore pod deletion: not checked (no document could be posted and cited)"
fi

# shellcheck source=platform-ops.sh
. "$E2E_DIR/node/platform-ops.sh"
