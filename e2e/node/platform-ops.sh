# shellcheck shell=bash
# The dev stack's day-2 checks (sourced by e2e/node/platform.sh): a rolling update with /ready sampled, secret
# rotation, a backup and restore round trip, destroy, and the same objects rendered and applied with kubectl.

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
  BG_PIDS+=("$SAMPLER_PID")
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
    pgpod=$(postgres_pod)
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
    cl_wait 60 query_cites "When was the lighthouse on Skerry Point built, and what colour is it?" || probs+="the old document no longer answers; "
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
# backup_now JOB LOG WHAT: the backup CronJob run now as Job JOB (its timing row "backup Job (WHAT)"), every
# container's log in LOG, the seconds in BACKUP_SECS; a failure is added to probs
backup_now() {
  local t
  t=$(now)
  K -n "$NS" create job --from=cronjob/rag-postgres-backup "$1" >"$2" 2>&1 || probs+="kubectl create job --from=cronjob/rag-postgres-backup failed; "
  K -n "$NS" wait --for=condition=complete "job/$1" --timeout=300s >>"$2" 2>&1 || probs+="the backup Job ($3) did not complete; "
  BACKUP_SECS=$(elapsed "$t")
  record_time "backup Job ($3)" "$BACKUP_SECS"
  K -n "$NS" logs "job/$1" --all-containers >>"$2" 2>&1
}
doc_listed() { api GET /v1/documents 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sys.argv[1] in [str(x["id"]) for x in d["documents"]] else 1)' "$DOC_ID" 2>/dev/null; }
if [ "${QUERY_OK:-0}" = 1 ] && [ $UP_OK = 1 ]; then
  bjob=e2e-backup-$$
  probs=""
  backup_now "$bjob" "$LOGS/backup-job.log" "pg_dump to the claim"
  backup_s=$BACKUP_SECS
  wrote=$(grep -oE 'wrote [^ ]+ \([0-9]+ bytes\)' "$LOGS/backup-job.log" | head -n1)
  dumpfile=$(echo "$wrote" | awk '{print $2}' | xargs -r basename)
  [ -n "$dumpfile" ] || probs+="the backup Job reported no dump; "
  doc_listed || probs+="document $DOC_ID not listed before the drop; "
  pgpod=$(postgres_pod)
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
  cl_wait 30 doc_listed || probs+="document $DOC_ID not listed after the restore; "
  cl_wait 60 query_cites "After the restore: what colour is the Skerry Point lighthouse?" || probs+="the query no longer cites the document; "
  K -n "$NS" delete job "$bjob" --wait=true --timeout=60s >/dev/null 2>&1
  if [ -z "$probs" ]; then
    pass "backup round trip: CronJob run now ($wrote on the claim, ${backup_s}s), documents table dropped (GET /v1/documents: ${after_drop:-?}), restored with scripts/restore-postgres.sh (${restore_s}s): document $DOC_ID listed again and the query cites it"
  else
    fail "backup round trip: $probs" "$LOGS/backup-restore.log" 15
  fi
else
  fail "backup round trip: not run (no document could be posted and cited, or pulumi up failed)"
fi
# the same with the off-site copy: a real S3 server, the upload, a restore from S3 into an empty database
if [ "${QUERY_OK:-0}" = 1 ] && [ $UP_OK = 1 ]; then
  tier_images_wait # the S3 client's image (aws-cli), and the monitoring stack's for the phase after
  # shellcheck source=s3.sh
  . "$E2E_DIR/node/s3.sh"
else
  fail "off-site backup round trip with a real S3 server: not run (no document could be posted and cited, or pulumi up failed)"
fi

if [ $UP_OK != 1 ]; then
  fail "rolling update with /ready sampled: not run (pulumi up failed)"
  fail "secret rotation: not run (pulumi up failed)"
fi

# live monitoring: the operator's Prometheus scraping the platform, its rules and panels, alerts caused for real,
# the vector store's volume lost among them (noticed, rebuilt from PostgreSQL, every document answering again:
# e2e/node/wipe.sh) (e2e/node/monitoring.sh); before the external Redis, whose up also takes monitoring away again
if [ $UP_OK = 1 ] && [ "${QUERY_OK:-0}" = 1 ]; then
  # shellcheck source=monitoring.sh
  . "$E2E_DIR/node/monitoring.sh"
else
  fail "live monitoring: not run (pulumi up failed or no document was posted)"
  fail "vector store's volume wiped: not run (no document could be posted and cited, or pulumi up failed)"
fi

# a datastore outside the cluster under enforced NetworkPolicies (issue 23 item 4): e2e/node/external.sh
if [ "${CL_NETPOL:-0}" = 1 ] && [ $UP_OK = 1 ] && [ -n "${DOC_ID:-}" ]; then
  # shellcheck source=external.sh
  . "$E2E_DIR/node/external.sh"
elif [ "${CL_NETPOL:-0}" = 1 ]; then
  fail "Redis outside the cluster: not run (pulumi up failed or no document was posted)"
fi

# destroy: nothing left
if run "$LOGS/destroy-dev.log" P destroy; then
  record_time "pulumi destroy dev" "$LAST_SECS"
  cl_wait 120 sh -c "[ -z \"\$(kubectl get pods,pvc -A --no-headers 2>/dev/null | grep -E '^$NS ')\" ] && [ -z \"\$(kubectl get pv --no-headers 2>/dev/null)\" ]"
  left=$(
    K -n "$NS" get pods,pvc --no-headers 2>/dev/null
    K get pv --no-headers 2>/dev/null
  )
  if [ -z "$left" ]; then
    pass "pulumi destroy leaves no pod, claim or volume (reclaim Delete; local-path removed the directories: $(find "$CL_DIR"/nodes/*/local-path "$CL_DIR/volumes" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) left)"
  else
    fail "after pulumi destroy: $(echo "$left" | awk '{print $1}' | tr '\n' ' ')"
  fi
else
  fail "pulumi destroy dev" "$LOGS/destroy-dev.log" 30
fi

# timings: the same objects with kubectl apply --server-side + kubectl wait (e2e/lib/kubectl-apply.sh)
# shellcheck source=../lib/kubectl-apply.sh
. "$E2E_DIR/lib/kubectl-apply.sh"
RENDER=$WORK/rendered
if run "$LOGS/init-render.log" env STACK=render P init render --copy-config-from dev &&
  run "$LOGS/config-render.log" env STACK=render P config "$PROJECT:renderYamlToDirectory" "$RENDER" &&
  # the same namespace as dev (a stack's namespace defaults to rag-<stack>)
  run "$LOGS/config-render-ns.log" env STACK=render P config "$PROJECT:namespace" "$NS" &&
  run "$LOGS/up-render.log" env STACK=render P up; then
  kubectl_apply_wait "$RENDER" "$NS" "$LOGS/kubectl-apply.log"
  apply_rc=$?
  if [ $apply_rc != 2 ]; then
    record_time "kubectl apply --server-side (create)" "$APPLY_SECS"
    record_time "kubectl apply --server-side + wait Ready/complete" "$APPLY_WAIT_SECS"
    if [ $apply_rc = 0 ]; then
      pass "rendered manifests: kubectl apply --server-side + wait for rollout/Ready/complete in ${APPLY_WAIT_SECS}s (pulumi up: ${TIMES["pulumi up dev (create, readiness waits)"]:-n/a}s, its images unpacked on the way; e2e/readme.sh compares the two on unpacked images)"
    else
      fail "rendered manifests applied with kubectl did not all become Ready" "$LOGS/kubectl-apply.log" 15
    fi
    K delete -R -f "$RENDER" --wait=true --timeout=180s >"$LOGS/kubectl-delete.log" 2>&1
  else
    fail "kubectl apply --server-side of the rendered manifests" "$LOGS/kubectl-apply.log" 20
  fi
else
  fail "pulumi up with renderYamlToDirectory" "$LOGS/up-render.log" 20
fi
