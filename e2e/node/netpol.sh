# shellcheck shell=bash
# NetworkPolicies enforced (sourced by e2e/node/platform.sh after `pulumi up` of the dev stack, when the cluster
# runs with CL_NETPOL=1): the connection matrix of e2e/netpol/ (every cell of the intended table probed from a
# pod carrying the source's labels or namespace, and an address outside the cluster that no policy names), then
# the test's own client on the host let in.
#
# The host (the bridge address $CL_GW) is no pod and no ingress controller: the checks that follow call the API
# and the frontend from it through their Services (documents, queries, the rolling update's sampler, the chat
# page). With the platform's default-deny, those requests are refused like any stranger's, so the test adds ONE
# policy of its own, `e2e-host-client`: from $CL_GW/32 to the API and frontend pods, as an operator would for an
# external load balancer. It is applied after the matrix, so it takes no part in it.

# the `outside` column and every probe's gate: a listener on the bridge address that no policy names
OUTSIDE_ADDR=$CL_GW:16390
python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True: s.accept()[0].close()' "$CL_GW" 16390 >"$LOGS/outside-listener.log" 2>&1 &
BG_PIDS+=($!)
t0=$(now)
INGRESS_ON=false
[ -n "$(K -n "$NS" get ingress -o name 2>/dev/null)" ] && INGRESS_ON=true
if node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/netpol/matrix.ts" --namespace "$NS" --image "${IMG[node]}" \
  --ingress-namespace ingress-nginx --stranger-namespace e2e-stranger --ingress-enabled "$INGRESS_ON" --outside "$OUTSIDE_ADDR" >"$LOGS/netpol-matrix.log" 2>&1; then
  record_time "connection matrix (NetworkPolicies enforced)" "$(elapsed "$t0")"
  grep '^#' "$LOGS/netpol-matrix.log"
  pass "$(grep -m1 '^ok   - ' "$LOGS/netpol-matrix.log" | sed 's/^ok   - //')"
else
  record_time "connection matrix (NetworkPolicies enforced, FAILED)" "$(elapsed "$t0")"
  grep '^#' "$LOGS/netpol-matrix.log"
  fail "$(grep -m1 '^FAIL - ' "$LOGS/netpol-matrix.log" | sed 's/^FAIL - //' || echo "connection matrix: no verdict")" "$LOGS/netpol-matrix.log" 10
fi

K -n "$NS" apply -f - >"$LOGS/netpol-host-client.log" 2>&1 <<EOF || fail "e2e-host-client NetworkPolicy" "$LOGS/netpol-host-client.log"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: e2e-host-client, labels: {app.kubernetes.io/managed-by: e2e}}
spec:
  podSelector:
    matchExpressions: [{key: app.kubernetes.io/name, operator: In, values: [api, frontend]}]
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: $CL_GW/32}}]}]
EOF
# the engine applies it within a moment: wait until the host reaches the API Service
_api_svc=$(K -n "$NS" get svc -l app.kubernetes.io/name=api -o jsonpath='{range .items[?(@.spec.clusterIP!="None")]}{.spec.clusterIP}:{.spec.ports[0].port}{"\n"}{end}' 2>/dev/null | head -n1)
cl_wait 30 curl -fsS --max-time 2 -o /dev/null "http://$_api_svc/ready" ||
  fail "the host ($CL_GW) does not reach the API Service $_api_svc after e2e-host-client was applied"
