# shellcheck shell=bash
# A datastore outside the cluster, NetworkPolicies enforced (issue 23 item 4; sourced by e2e/node/platform-ops.sh
# before destroy, when the cluster runs with CL_NETPOL=1). A real Redis on the host stands in for a managed one,
# on an address of the test's own bridge ($CL_GW:16379, password from a file, never on a command line); two more
# listen beside it: the same host on another port, and another address of the bridge on the same port. The dev
# stack is switched to `redis.mode: external` (host the IP literal, the password from a Secret of the namespace
# by `redis.existingSecret`) with `pulumi up`, then:
#   - the platform converges: the in-cluster Redis and its Service are gone, every pod Ready, no restart;
#   - the API really uses it: the same question asked twice is answered from its cache, whose key is in the
#     host's Redis, and the server lists a client from the pod range;
#   - the connection matrix with the three external columns: only the API and the indexer reach the datastore's
#     address and port; the other port and the other address are refused to every pod of the namespace.

EXT_DIR=$WORK/external-redis
EXT_PORT=16379
EXT_OTHER_PORT=16380
EXT_OTHER_IP=$CL_NODE_PREFIX.2
mkdir -p "$EXT_DIR"
chmod 700 "$EXT_DIR"
head -c 24 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9' >"$EXT_DIR/password"
ext_redis() { # NAME BIND PORT: a redis-server of the test, its pid in BG_PIDS (the teardown stops it)
  {
    echo "bind $2"
    echo "port $3"
    echo "requirepass $(cat "$EXT_DIR/password")"
    echo 'save ""'
    echo "appendonly no"
    echo "protected-mode no"
    echo "dir $EXT_DIR"
    echo "logfile $LOGS/external-$1.log"
  } >"$EXT_DIR/$1.conf"
  chmod 600 "$EXT_DIR/$1.conf"
  redis-server "$EXT_DIR/$1.conf" &
  BG_PIDS+=($!)
}
ext_cli() { REDISCLI_AUTH=$(cat "$EXT_DIR/password") redis-cli --no-auth-warning -h "$CL_GW" -p "$EXT_PORT" "$@"; }

t0=$(now)
probs=""
# the stack's config goes back afterwards: destroy works from the state, and the kubectl comparison after it
# renders a stack whose config is copied from dev's, which must be the dev stack the rest of the test deployed
cp "$PROG/Pulumi.dev.yaml" "$EXT_DIR/Pulumi.dev.yaml.before"
ip addr add "$EXT_OTHER_IP/32" dev "$CL_BRIDGE" 2>/dev/null
ext_redis main "$CL_GW" "$EXT_PORT"
ext_redis other-port "$CL_GW" "$EXT_OTHER_PORT"
ext_redis other-host "$EXT_OTHER_IP" "$EXT_PORT"
cl_wait 10 ext_cli ping || probs+="the host's Redis did not start ($LOGS/external-main.log); "
K -n "$NS" create secret generic e2e-external-redis --from-file=password="$EXT_DIR/password" >/dev/null 2>&1 ||
  probs+="could not create Secret e2e-external-redis; "
if [ -z "$probs" ] &&
  config_pairs "${STACK:-dev}" "redis.mode external" "redis.host $CL_GW" "redis.port $EXT_PORT" \
    "redis.existingSecret.name e2e-external-redis" "redis.existingSecret.key password" >"$LOGS/config-external.log" 2>&1; then
  if run "$LOGS/up-external.log" P up "${POLICY_ARGS[@]}"; then
    record_time "pulumi up: Redis switched to an external one" "$LAST_SECS"
    ext_up_s=$LAST_SECS
    [ -z "$(K -n "$NS" get statefulset,service -l app.kubernetes.io/name=redis -o name 2>/dev/null)" ] ||
      probs+="the in-cluster Redis is still there: $(K -n "$NS" get statefulset,service -l app.kubernetes.io/name=redis -o name | tr '\n' ' '); "
    check_workloads "after the switch to an external Redis" >/dev/null || probs+="workloads not converged: $(ns_pods_summary); "
    # the cache: the second answer to the same question is a cache hit, and the key is in the host's Redis
    q="Outside the cluster: what colour is the lighthouse on Skerry Point?"
    keys0=$(ext_cli dbsize 2>/dev/null || echo 0)
    cl_wait 60 query_cites "$q" || probs+="the query no longer cites the document; "
    a2=$(api POST /v1/query "{\"question\":\"$q\"}" 2>&1)
    keys1=$(ext_cli dbsize 2>/dev/null || echo 0)
    cached=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("cached"))' "$a2" 2>/dev/null)
    [ "${keys1:-0}" -gt "${keys0:-0}" ] || probs+="no key written to the host's Redis (dbsize $keys0 -> $keys1); "
    [ "$cached" = True ] || probs+="the repeated question was not answered from the cache (cached: ${cached:-?}); "
    clients=$(ext_cli client list 2>/dev/null | grep -oE "addr=$CL_POD_PREFIX\.[0-9]+\.[0-9]+" | sort -u | tr '\n' ' ')
    [ -n "$clients" ] || probs+="no client from the pod range $CL_POD_PREFIX.0.0/16 on the host's Redis; "
  else
    record_time "pulumi up: Redis switched to an external one (FAILED)" "$LAST_SECS"
    probs+="pulumi up with redis.mode external failed ($(grep -m1 -iE 'error' "$LOGS/up-external.log" | cut -c1-200)); "
  fi
else
  probs+="stack config for the external Redis ($(tail -n1 "$LOGS/config-external.log" 2>/dev/null | cut -c1-200)); "
fi
if [ -z "$probs" ]; then
  pass "Redis outside the cluster (the host's redis-server on $CL_GW:$EXT_PORT, redis.mode external): pulumi up ${ext_up_s}s removed the in-cluster Redis, every pod Ready; the API's cache lives there (dbsize $keys0 -> $keys1, the repeated question answered from it; clients ${clients% })"
  ok_external=1
else
  fail "Redis outside the cluster: $probs" "$LOGS/up-external.log" 15
  ok_external=0
fi

# the matrix with the external columns (allowed cells of in-cluster targets are re-checked on the new pods too)
if [ "$ok_external" = 1 ]; then
  t1=$(now)
  if node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/netpol/matrix.ts" --namespace "$NS" --image "${IMG[node]}" \
    --ingress-namespace ingress-nginx --stranger-namespace e2e-stranger --ingress-enabled "$INGRESS_ON" --outside "$OUTSIDE_ADDR" \
    --external-datastore redis --external "$CL_GW:$EXT_PORT" --external-port "$CL_GW:$EXT_OTHER_PORT" \
    --external-host "$EXT_OTHER_IP:$EXT_PORT" >"$LOGS/netpol-matrix-external.log" 2>&1; then
    record_time "connection matrix, Redis outside the cluster" "$(elapsed "$t1")"
    grep '^#' "$LOGS/netpol-matrix-external.log"
    pass "$(grep -m1 '^ok   - ' "$LOGS/netpol-matrix-external.log" | sed 's/^ok   - connection matrix/connection matrix with Redis outside the cluster/')"
  else
    record_time "connection matrix, Redis outside the cluster (FAILED)" "$(elapsed "$t1")"
    grep '^#' "$LOGS/netpol-matrix-external.log"
    fail "$(grep -m1 '^FAIL - ' "$LOGS/netpol-matrix-external.log" | sed 's/^FAIL - //' || echo "connection matrix with an external Redis: no verdict")" "$LOGS/netpol-matrix-external.log" 10
  fi
else
  fail "connection matrix with Redis outside the cluster: not run (the switch failed)"
fi
cp "$EXT_DIR/Pulumi.dev.yaml.before" "$PROG/Pulumi.dev.yaml"
record_time "external datastore phase (switch, checks, matrix)" "$(elapsed "$t0")"

# back to the in-cluster Redis with an up that is killed part-way, recovered and run again (e2e/node/interrupted.sh)
if [ "$ok_external" = 1 ]; then
  # shellcheck source=interrupted.sh
  . "$E2E_DIR/node/interrupted.sh"
else
  fail "interrupted pulumi up: not run (the stack never left its in-cluster Redis)"
fi
