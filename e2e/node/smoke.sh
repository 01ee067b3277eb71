# shellcheck shell=bash
# The cluster's own checks before any stack (sourced by e2e/node.sh): the guard really drops, a restricted
# pod runs and answers, a pod reaches another through a Service name (CoreDNS + kube-proxy), then the host
# reaches a ClusterIP; with several nodes, a pod on one node reaches a pod on every other node.

# the guard really drops: a pod-range address outside every node's subnet routes to the default
# interface, and must never get there
d0=$(cl_guard_drops)
curl -s -o /dev/null --max-time 2 "http://$CL_POD_PREFIX.255.254/" 2>/dev/null
d1=$(cl_guard_drops)
if [ "$d1" -gt "$d0" ]; then
  pass "network guard: a packet to $CL_POD_PREFIX.255.254 (pod range, no node's subnet) was dropped before leaving ($((d1 - d0)) packet(s))"
else
  fail "network guard did not drop a packet to the pod range routed off the bridge"
fi

SMOKE_NS=e2e-smoke
K create namespace $SMOKE_NS >/dev/null
K label namespace $SMOKE_NS pod-security.kubernetes.io/enforce=restricted >/dev/null
restricted_pod() { # NAME IMAGE LABELS COMMAND(json array) [EXTRA container fields] [NODE]
  local node_field=""
  [ -n "${6:-}" ] && node_field="\"nodeName\":\"$6\","
  cat <<EOF
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":$3},
 "spec":{"automountServiceAccountToken":false,"restartPolicy":"Never","enableServiceLinks":false,
  $node_field
  "securityContext":{"runAsNonRoot":true,"runAsUser":65534,"runAsGroup":65534,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"main","image":"$2","imagePullPolicy":"Never","command":$4,
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
   "resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"cpu":"200m","memory":"64Mi"}}
   ${5:-}}]}}
EOF
}
# client pods run the node image built here (busybox-static's wget segfaults on this machine)
fetch_cmd() { # URL -> JSON command array: fetch URL (retrying for 30 s), print status and body
  python3 - "$1" <<'PY'
import json, sys
js = ("const u=process.argv[1];(async()=>{for(let i=0;i<30;i++){try{const r=await fetch(u,{signal:AbortSignal.timeout(4000)});"
      "const t=await r.text();console.log(r.status,t.slice(0,300));if(r.ok)process.exit(0)}catch(e){console.log(String(e.cause||e))}"
      "await new Promise(s=>setTimeout(s,1000))}process.exit(1)})()")
print(json.dumps(["node", "-e", js, sys.argv[1]]))
PY
}
pod_done() { kubectl -n "$1" get pod "$2" -o jsonpath='{.status.phase}' 2>/dev/null | grep -qE 'Succeeded|Failed'; }

restricted_pod web "${IMG[busybox]}" '{"app":"web"}' '["httpd","-f","-p","8080","-h","/etc"]' \
  ',"ports":[{"containerPort":8080}],"readinessProbe":{"httpGet":{"path":"/passwd","port":8080},"periodSeconds":2}' "$(cl_node_name "$CL_NODES")" >"$WORK/web.json"
t0=$(now)
if K -n $SMOKE_NS apply -f "$WORK/web.json" >"$LOGS/smoke.log" 2>&1 &&
  K -n $SMOKE_NS wait --for=condition=Ready pod/web --timeout=120s >>"$LOGS/smoke.log" 2>&1; then
  ip=$(K -n $SMOKE_NS get pod web -o jsonpath='{.status.podIP}')
  record_time "restricted pod Ready (create -> Ready)" "$(elapsed "$t0")"
  if curl -fsS --max-time 5 "http://$ip:8080/passwd" >/dev/null 2>>"$LOGS/smoke.log"; then
    pass "a restricted pod (non-root, read-only root FS, drop ALL, seccomp) is Ready through its httpGet probe and answers on its pod IP $ip (node $(cl_node_name "$CL_NODES"))"
  else
    fail "restricted pod Ready but its pod IP $ip does not answer from the host" "$LOGS/smoke.log"
  fi
else
  fail "restricted pod not Ready: $(K -n $SMOKE_NS describe pod web 2>&1 | tail -n 8 | tr '\n' ' ' | cut -c1-500)" "$LOGS/smoke.log"
fi
K -n $SMOKE_NS expose pod web --name web --port 80 --target-port 8080 >>"$LOGS/smoke.log" 2>&1
# a client on every node: pod -> Service by name, across nodes when there are several
ok_nodes="" bad_nodes=""
for ((i = 1; i <= CL_NODES; i++)); do
  restricted_pod "client-$i" "${IMG[node]}" '{"app":"client"}' "$(fetch_cmd "http://web.$SMOKE_NS.svc.cluster.local/passwd")" '' "$(cl_node_name "$i")" >"$WORK/client-$i.json"
  K -n $SMOKE_NS apply -f "$WORK/client-$i.json" >>"$LOGS/smoke.log" 2>&1
done
for ((i = 1; i <= CL_NODES; i++)); do
  if cl_wait 90 pod_done $SMOKE_NS "client-$i" && [ "$(K -n $SMOKE_NS get pod "client-$i" -o jsonpath='{.status.phase}')" = Succeeded ]; then
    ok_nodes+="$(cl_node_name "$i") "
  else
    bad_nodes+="$(cl_node_name "$i") ($(K -n $SMOKE_NS logs "client-$i" 2>&1 | tail -n 2 | tr '\n' ' ' | cut -c1-200)) "
  fi
done
if [ -z "$bad_nodes" ]; then
  pass "pod -> Service by name: web.$SMOKE_NS.svc.cluster.local resolved by CoreDNS and routed by kube-proxy (nftables) from a pod on every node: $ok_nodes"
else
  fail "pod -> Service by name failed from: $bad_nodes"
fi
SVC_IP=$(K -n $SMOKE_NS get svc web -o jsonpath='{.spec.clusterIP}')
if curl -fsS --max-time 5 "http://$SVC_IP/passwd" >/dev/null 2>>"$LOGS/smoke.log"; then
  pass "host -> Service ClusterIP $SVC_IP answers (through $(cl_node_name 1)'s kube-proxy; the guard keeps it on $CL_BRIDGE)"
else
  fail "host -> Service ClusterIP $SVC_IP does not answer" "$LOGS/smoke.log"
fi
K delete namespace $SMOKE_NS --wait=false >/dev/null 2>&1

# the API's HPA in the tier's namespace (NS), for the tiers after these checks: hpa FIELD (e.g.
# status.desiredReplicas), its CPU utilisation from metrics-server, and whether it has one yet
hpa() { kubectl -n "$NS" get hpa -l app.kubernetes.io/component=api -o jsonpath="{.items[0].$1}"; }
hpa_cpu() { hpa 'status.currentMetrics[?(@.resource.name=="cpu")].resource.current.averageUtilization'; }
hpa_measured() { [ -n "$(hpa_cpu)" ]; }
