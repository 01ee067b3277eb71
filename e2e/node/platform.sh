# shellcheck shell=bash
# The dev stack on the node (sourced by e2e/node.sh, after the node is Ready): the repository's real
# program and policy pack, copied to the work dir (Pulumi.<stack>.yaml in the repository is never
# touched), local file backend; images pointed at the ones built here through stack config only.

# the Pulumi side of the toolchain (a warm cache: nothing to do)
if ! run "$LOGS/toolchain-pulumi.log" bash "$REPO/scripts/toolchain.sh" pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random plugins; then
  fail "scripts/toolchain.sh (pulumi and plugins)" "$LOGS/toolchain-pulumi.log"
fi
mkdir -p "$WORK/pulumi-home" "$WORK/state"
ln -s "$PULUMI_HOME/plugins" "$WORK/pulumi-home/plugins"
export PULUMI_HOME=$WORK/pulumi-home PULUMI_BACKEND_URL=file://$WORK/state
export PULUMI_SKIP_CONFIRMATIONS=true PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_NODEJS_TRANSPILE_ONLY=${E2E_TRANSPILE_ONLY:-true} NO_COLOR=1 FORCE_COLOR=0
# the dev stack's passphrase: the one scripts/pulumi.sh supplies (Pulumi.dev.yaml holds its salt)
DEV_PASS=$(sed -nE 's/^DEV_PASSPHRASE="?([^"]*)"?$/\1/p' "$REPO/scripts/pulumi.sh" | head -n1)
export PULUMI_CONFIG_PASSPHRASE=${E2E_DEV_PASSPHRASE:-${DEV_PASS:-e2e-dev-passphrase}}
unset PULUMI_ACCESS_TOKEN
PROG=$WORK/project
mkdir -p "$PROG"
tar -C "$REPO" --exclude=./node_modules --exclude=./.git --exclude=./.pulumi --exclude=./.pulumi-state \
  --exclude=./rendered --exclude=./.e2e --exclude=./app/node_modules --exclude=./app/dist -cf - . | tar -C "$PROG" -xf -
ln -s "$REPO/node_modules" "$PROG/node_modules"
PROJECT=$(sed -n 's/^name:[[:space:]]*//p' "$PROG/Pulumi.yaml" | head -n1 | tr -d '"'"'"' ')
# P STEP ARGS...: the Pulumi steps on the Automation API (e2e/stack.ts), on the copy, stack $STACK (default
# dev); a script so that `timeout` can run it
mkdir -p "$WORK/bin"
cat >"$WORK/bin/P" <<EOF
#!/usr/bin/env bash
exec node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/stack.ts" "\$@"
EOF
chmod +x "$WORK/bin/P"
export PATH="$WORK/bin:$PATH" E2E_PROG=$PROG
POLICY_ARGS=(--policy-pack "$PROG/policy")
[ -f "$PROG/policy/config/dev.json" ] && POLICY_ARGS+=(--policy-pack-config "$PROG/policy/config/dev.json")

# stack config: images built here, Chroma as the vector store; nothing else changes
configure_stack() { # STACK
  local s=$1
  STACK=$s P config "$PROJECT:postgres.image" "${IMG[postgres]}" --path &&
    STACK=$s P config "$PROJECT:redis.image" "${IMG[redis]}" --path &&
    STACK=$s P config "$PROJECT:vectorStore.engine" chroma --path &&
    STACK=$s P config "$PROJECT:vectorStore.image" "${IMG[chroma]}" --path &&
    STACK=$s P config "$PROJECT:api.image" "${IMG[rag-api]}" --path &&
    STACK=$s P config "$PROJECT:frontend.image" "${IMG[rag-frontend]}" --path &&
    STACK=$s P config "$PROJECT:indexer.image" "${IMG[rag-indexer]}" --path
}

NS=
ns_pods_summary() { K -n "$NS" get pods --no-headers 2>&1 | awk '{print $1" "$2" "$3" restarts="$4}' | tr '\n' ';' | cut -c1-700; }

# every Deployment/StatefulSet rolled out, every long-running pod Ready, Jobs complete, no restart
# (with "restarts-ok": restarts are listed, not failed: during a secret rotation the issue asks only that
# every pod ENDS Ready on the new credentials; the initial up requires none)
check_workloads() { # LABEL [restarts-ok]
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
  local restarts
  restarts=$(K -n "$NS" get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.containerStatuses[*]}{.restartCount}{" "}{end}{range .status.initContainerStatuses[*]}{.restartCount}{" "}{end}{"\n"}{end}' |
    awk '{for(i=2;i<=NF;i++) if ($i>0) {print $1; break}}' | tr '\n' ' ')
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

# an in-namespace client pod (restricted, the node image) that fetches a URL and exits; prints its output
IN_POD_N=0
in_pod_fetch() { # URL -> output, status = pod succeeded
  IN_POD_N=$((IN_POD_N + 1))
  local name=e2e-client-$IN_POD_N
  restricted_pod "$name" "${IMG[node]}" '{"app.kubernetes.io/name":"e2e-client"}' "$(fetch_cmd "$1")" '' >"$WORK/$name.json"
  K -n "$NS" apply -f "$WORK/$name.json" >/dev/null 2>&1 || return 1
  node_wait 120 sh -c "kubectl -n $NS get pod $name -o jsonpath='{.status.phase}' | grep -qE 'Succeeded|Failed'"
  K -n "$NS" logs "$name" 2>&1
  local phase
  phase=$(K -n "$NS" get pod "$name" -o jsonpath='{.status.phase}')
  K -n "$NS" delete pod "$name" --wait=false >/dev/null 2>&1
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

# ---------------------------------------------------------------------------------------------
if [ -z "${IMG[rag-api]:-}" ] || [ -z "$APPDIR" ]; then
  fail "the reference app is not packaged (no app/scripts/package.sh): the platform's app images cannot be built; the stack is not deployed"
  return 0 2>/dev/null || exit 1
fi

# No ingress controller runs on this node: a stand-in publishes the bridge address in every
# Ingress's status (what a controller does), or the provider's Ingress await never completes.
ingress_status_standin() {
  while [ ! -f "$WORK/ingress-standin.stop" ]; do
    for i in $(kubectl get ingress -A -o jsonpath='{range .items[?(@.status.loadBalancer.ingress)]}{end}{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null); do
      kubectl -n "${i%%/*}" patch ingress "${i#*/}" --subresource=status --type=merge \
        -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$NODE_GW\"}]}}}" >/dev/null 2>&1
    done
    sleep 2
  done
}
ingress_status_standin &
INGRESS_STANDIN_PID=$!

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

# pod -> Service (DNS + kube-proxy), BEFORE any host -> Service request
API_PORT=$(K -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.ports[0].port}' 2>/dev/null)
API_IP=$(K -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.clusterIP}' 2>/dev/null)
if [ -n "$API_HOST" ] && out=$(in_pod_fetch "http://$API_HOST:$API_PORT/ready"); then
  pass "from a pod in $NS, the API answers /ready through its Service name $API_HOST:$API_PORT: $(echo "$out" | tail -n1 | cut -c1-160)"
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
if [ -n "$DOC_ID" ] && node_wait 30 query_cites; then
  pass "a document posted through the API Service (write key derived from API_SIGNING_KEY) is cited by the answer to a query"
  QUERY_OK=1
else
  QUERY_OK=0
  fail "post + query: post=$(echo "$post" | cut -c1-200) query=$(tail -n1 "$LOGS/queries.log" 2>/dev/null | cut -c1-300)"
fi

# data survives the datastores' pods being deleted
if [ "$QUERY_OK" = 1 ]; then
  ds=$(datastore_pods | tr '\n' ' ')
  # shellcheck disable=SC2086
  K -n "$NS" delete pod $ds --wait=true --timeout=120s >"$LOGS/delete-datastores.log" 2>&1
  ready=1
  for p in $ds; do
    node_wait 300 kubectl -n "$NS" wait --for=condition=Ready "pod/$p" --timeout=5s || ready=0
  done
  if [ $ready = 1 ] && node_wait 90 query_cites "Which colour is the Skerry Point lighthouse painted?"; then
    pass "data survives: pods $ds deleted, Ready again, the same query still cites the document"
  else
    fail "after deleting the datastore pods the query no longer answers" "$LOGS/queries.log" 3
  fi
else
  fail "data survives datastore pod deletion: not checked (no document could be posted and cited)"
fi

# rolling update of the API with /ready sampled throughout
sampler() {
  local ok=0 bad=0
  while [ ! -f "$WORK/sampler.stop" ]; do
    if curl -fsS --max-time 2 -o /dev/null "http://$API_IP:$API_PORT/ready"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    sleep 0.2
  done
  echo "$ok $bad" >"$WORK/sampler.out"
}
if [ $UP_OK = 1 ]; then
  rm -f "$WORK/sampler.stop"
  sampler &
  SAMPLER_PID=$!
  P config "$PROJECT:app.logLevel" info --path >/dev/null 2>&1
  run "$LOGS/up-rollout.log" P up "${POLICY_ARGS[@]}"
  rc=$?
  record_time "pulumi up (API rolling update)" "$LAST_SECS"
  sleep 3
  touch "$WORK/sampler.stop"
  wait "$SAMPLER_PID" 2>/dev/null
  SAMPLER_PID=
  read -r okn badn <"$WORK/sampler.out" 2>/dev/null
  rolled=$(K -n "$NS" get deploy "${API_HOST%%.*}" -o jsonpath='{.status.observedGeneration}' 2>/dev/null)
  if [ $rc = 0 ] && [ "${badn:-1}" = 0 ] && [ "${okn:-0}" -gt 0 ] && [ "${rolled:-1}" -gt 1 ]; then
    pass "rolling update of the API (app.logLevel changed): ${okn} /ready samples through the Service during the rollout, 0 failed"
  else
    fail "rolling update: up exit $rc, generation ${rolled:-?}, /ready samples ok=${okn:-?} failed=${badn:-?}" "$LOGS/up-rollout.log" 15
  fi

  # secret rotation: every credential must be the new one IN USE, not only in the Secret
  # (--plaintext: the CLI takes a key named like "secret..." for a secret value and refuses it otherwise)
  P config "$PROJECT:secretsRotation" "e2e-rotated-$$" --plaintext >"$LOGS/config-rotation.log" 2>&1 ||
    fail "secret rotation: pulumi config set secretsRotation" "$LOGS/config-rotation.log"
  old_key=$API_KEY
  old_pg=$(secret_value POSTGRES_PASSWORD)
  if run "$LOGS/up-rotate.log" P up "${POLICY_ARGS[@]}"; then
    record_time "pulumi up (secret rotation)" "$LAST_SECS"
    # the platform Secret is autonamed: a rotation replaces it under a new name (the stack output)
    old_secret=$SECRET_NAME
    P outputs >"$WORK/outputs.json" 2>/dev/null
    SECRET_NAME=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("secretName",""))' "$WORK/outputs.json" 2>/dev/null)
    [ -n "$SECRET_NAME" ] && [ "$SECRET_NAME" != "$old_secret" ] || probs_secret="the Secret was not replaced under a new name ($old_secret -> ${SECRET_NAME:-none}); "
    API_KEY=$(api_key 2>/dev/null)
    new_pg=$(secret_value POSTGRES_PASSWORD)
    new_redis=$(secret_value REDIS_PASSWORD)
    sleep 5
    probs="${probs_secret:-}"
    [ "$API_KEY" != "$old_key" ] && [ "$new_pg" != "$old_pg" ] || probs+="the Secret did not change; "
    check_workloads "after secret rotation" restarts-ok >"$LOGS/rotation-workloads.txt" || probs+="$(cut -c1-300 "$LOGS/rotation-workloads.txt"); "
    pgpod=$(datastore_pods | grep -i postgres | head -n1)
    pguser=$(K -n "$NS" get pod "$pgpod" -o jsonpath='{.spec.containers[0].env[?(@.name=="POSTGRES_USER")].value}' 2>/dev/null)
    pgdb=$(K -n "$NS" get pod "$pgpod" -o jsonpath='{.spec.containers[0].env[?(@.name=="POSTGRES_DB")].value}' 2>/dev/null)
    K -n "$NS" exec "$pgpod" -- env PGPASSWORD="$new_pg" psql -h 127.0.0.1 -U "$pguser" -d "$pgdb" -tAc 'select 1' >"$LOGS/rotation-pg.log" 2>&1 ||
      probs+="PostgreSQL refuses the new password over TCP ($(tail -n1 "$LOGS/rotation-pg.log" | cut -c1-120)); "
    K -n "$NS" exec "$pgpod" -- env PGPASSWORD="$old_pg" psql -h 127.0.0.1 -U "$pguser" -d "$pgdb" -tAc 'select 1' >>"$LOGS/rotation-pg.log" 2>&1 &&
      probs+="PostgreSQL still accepts the OLD password; "
    rpod=$(K -n "$NS" get pods -o name | grep -i redis | head -n1)
    [ "$(K -n "$NS" exec "${rpod#pod/}" -- env REDISCLI_AUTH="$new_redis" redis-cli -h 127.0.0.1 ping 2>&1)" = PONG ] ||
      probs+="Redis does not accept the new password; "
    post2=$(api POST /v1/documents "{\"title\":\"$DOC_TITLE-after-rotation\",\"text\":\"After the rotation the keeper still logs the weather.\"}" 2>&1)
    echo "$post2" | grep -q '"id"' || probs+="the API refuses the new write key: $(echo "$post2" | cut -c1-120); "
    node_wait 60 query_cites "When was the lighthouse on Skerry Point built, and what colour is it?" || probs+="the old document no longer answers; "
    if [ -z "$probs" ]; then
      pass "secret rotation: PostgreSQL accepts the new password and refuses the old one, Redis the new one, the API the new write key; every pod Ready; the old document still answers"
    else
      fail "secret rotation: $probs" "$LOGS/queries.log" 2
    fi
  else
    record_time "pulumi up (secret rotation, FAILED)" "$LAST_SECS"
    fail "pulumi up after changing secretsRotation" "$LOGS/up-rotate.log" 30
  fi
fi

# backup and restore round trip (issue 12): the backup CronJob run now, a dump on its claim, the documents
# table dropped, the documented restore (scripts/restore-postgres.sh), the document listed and cited again
doc_listed() { api GET /v1/documents 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sys.argv[1] in [str(x["id"]) for x in d["documents"]] else 1)' "$DOC_ID" 2>/dev/null; }
if [ "${QUERY_OK:-0}" = 1 ] && [ $UP_OK = 1 ]; then
  bjob=e2e-backup-$$
  probs=""
  t0=$(now)
  K -n "$NS" create job --from=cronjob/rag-postgres-backup "$bjob" >"$LOGS/backup-job.log" 2>&1 || probs+="kubectl create job --from=cronjob/rag-postgres-backup failed; "
  K -n "$NS" wait --for=condition=complete "job/$bjob" --timeout=300s >>"$LOGS/backup-job.log" 2>&1 || probs+="the backup Job did not complete; "
  backup_s=$(elapsed "$t0")
  record_time "backup Job (pg_dump to the claim)" "$backup_s"
  K -n "$NS" logs "job/$bjob" --all-containers >>"$LOGS/backup-job.log" 2>&1
  wrote=$(grep -oE 'wrote [^ ]+ \([0-9]+ bytes\)' "$LOGS/backup-job.log" | head -n1)
  dumpfile=$(echo "$wrote" | awk '{print $2}' | xargs -r basename)
  [ -n "$dumpfile" ] || probs+="the backup Job reported no dump; "
  doc_listed || probs+="document $DOC_ID not listed before the drop; "
  pgpod=$(datastore_pods | grep -i postgres | head -n1)
  pguser=$(K -n "$NS" get pod "$pgpod" -o jsonpath='{.spec.containers[0].env[?(@.name=="POSTGRES_USER")].value}' 2>/dev/null)
  pgdb=$(K -n "$NS" get pod "$pgpod" -o jsonpath='{.spec.containers[0].env[?(@.name=="POSTGRES_DB")].value}' 2>/dev/null)
  K -n "$NS" exec "$pgpod" -- psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$pguser" -d "$pgdb" -c 'DROP TABLE documents CASCADE' >"$LOGS/backup-drop.log" 2>&1 ||
    probs+="could not drop the documents table; "
  doc_listed && probs+="document $DOC_ID still listed after DROP TABLE documents; "
  after_drop=$(api GET /v1/documents 2>&1 | tr -d '\n' | cut -c1-100)
  t0=$(now)
  # the documented restore, as docs/operations.md gives it (the newest dump on the claim)
  bash "$REPO/scripts/restore-postgres.sh" -n "$NS" -t 300 >"$LOGS/backup-restore.log" 2>&1 || probs+="scripts/restore-postgres.sh failed; "
  restore_s=$(elapsed "$t0")
  record_time "restore (pg_restore --clean --if-exists from the claim)" "$restore_s"
  grep -q "$dumpfile" "$LOGS/backup-restore.log" 2>/dev/null || probs+="the restore pod did not see $dumpfile on the claim; "
  grep -q "restore: done ($dumpfile)" "$LOGS/backup-restore.log" 2>/dev/null || probs+="the restore did not restore $dumpfile; "
  node_wait 30 doc_listed || probs+="document $DOC_ID not listed after the restore; "
  node_wait 60 query_cites "After the restore: what colour is the Skerry Point lighthouse?" || probs+="the query no longer cites the document; "
  K -n "$NS" delete job "$bjob" --wait=true --timeout=60s >/dev/null 2>&1
  if [ -z "$probs" ]; then
    pass "backup round trip: CronJob run now ($wrote on the claim, ${backup_s}s), documents table dropped (GET /v1/documents: ${after_drop:-?}), restored with scripts/restore-postgres.sh (${restore_s}s): document $DOC_ID listed again and the query cites it"
  else
    fail "backup round trip: $probs" "$LOGS/backup-restore.log" 15
  fi
else
  fail "backup round trip: not run (no document could be posted and cited, or pulumi up failed)"
fi

if [ $UP_OK != 1 ]; then
  fail "rolling update with /ready sampled: not run (pulumi up failed)"
  fail "secret rotation: not run (pulumi up failed)"
fi

# destroy: nothing left
if run "$LOGS/destroy-dev.log" P destroy; then
  record_time "pulumi destroy dev" "$LAST_SECS"
  node_wait 120 sh -c "[ -z \"\$(kubectl get pods,pvc -A --no-headers 2>/dev/null | grep -E '^$NS ')\" ] && [ -z \"\$(kubectl get pv --no-headers 2>/dev/null)\" ]"
  left=$(
    K -n "$NS" get pods,pvc --no-headers 2>/dev/null
    K get pv --no-headers 2>/dev/null
  )
  if [ -z "$left" ]; then
    pass "pulumi destroy leaves no pod, claim or volume (reclaim Delete; local-path removed the directories: $(find "$WORK/node/local-path" -mindepth 1 -maxdepth 1 | wc -l) left)"
  else
    fail "after pulumi destroy: $(echo "$left" | awk '{print $1}' | tr '\n' ' ')"
  fi
else
  fail "pulumi destroy dev" "$LOGS/destroy-dev.log" 30
fi

# timings: the same objects with kubectl apply --server-side + kubectl wait
RENDER=$WORK/rendered
if run "$LOGS/init-render.log" env STACK=render P init render --copy-config-from dev &&
  run "$LOGS/config-render.log" env STACK=render P config "$PROJECT:renderYamlToDirectory" "$RENDER" &&
  # the same namespace as dev (a stack's namespace defaults to rag-<stack>)
  run "$LOGS/config-render-ns.log" env STACK=render P config "$PROJECT:namespace" "$NS" &&
  run "$LOGS/up-render.log" env STACK=render P up; then
  K wait --for=delete "ns/$NS" --timeout=120s >/dev/null 2>&1
  t0=$(now)
  nsfiles=$(grep -l '^kind: Namespace' "$RENDER"/1-manifest/*.yaml 2>/dev/null)
  # shellcheck disable=SC2046
  if { [ -z "$nsfiles" ] || K apply --server-side --field-manager e2e $(printf -- '-f %s ' $nsfiles) >"$LOGS/kubectl-apply.log" 2>&1; } &&
    K apply --server-side --field-manager e2e -R -f "$RENDER" >>"$LOGS/kubectl-apply.log" 2>&1; then
    apply_s=$(elapsed "$t0")
    ok=1
    for o in $(K -n "$NS" get deploy,statefulset -o name); do K -n "$NS" rollout status "$o" --timeout=600s >>"$LOGS/kubectl-wait.log" 2>&1 || ok=0; done
    K -n "$NS" wait --for=condition=complete job --all --timeout=600s >>"$LOGS/kubectl-wait.log" 2>&1 || ok=0
    K -n "$NS" wait --for=condition=Ready pod --field-selector=status.phase=Running --all --timeout=300s >>"$LOGS/kubectl-wait.log" 2>&1 || ok=0
    total=$(elapsed "$t0")
    record_time "kubectl apply --server-side (create)" "$apply_s"
    record_time "kubectl apply --server-side + wait Ready/complete" "$total"
    if [ $ok = 1 ]; then
      pass "rendered manifests: kubectl apply --server-side + wait for rollout/Ready/complete in ${total}s (pulumi up: ${TIMES["pulumi up dev (create, readiness waits)"]:-n/a}s)"
    else
      fail "rendered manifests applied with kubectl did not all become Ready" "$LOGS/kubectl-wait.log" 15
    fi
    K delete -R -f "$RENDER" --wait=true --timeout=180s >"$LOGS/kubectl-delete.log" 2>&1
  else
    fail "kubectl apply --server-side of the rendered manifests" "$LOGS/kubectl-apply.log" 20
  fi
else
  fail "pulumi up with renderYamlToDirectory" "$LOGS/up-render.log" 20
fi
