# shellcheck shell=bash
# Off-site backups for real (issue 20 item 3; sourced by e2e/node/platform-ops.sh after the backup round trip).
# A real S3 server on an address of the test's own bridge: Versity S3 Gateway (versitygw, built by
# scripts/toolchain.sh versitygw; its POSIX backend in the work dir; its root keys from the environment, never
# on a command line). The dev stack's `backup.s3` is switched on with `pulumi up` (endpoint http://$CL_GW:PORT,
# the keys from a Secret the test creates, the uploader the aws-cli image built here), then:
#   - the backup CronJob run now uploads its dump: the object is in the bucket, byte for byte the size the dump
#     step reported, and the same keys with a wrong secret are refused (the server checks signatures);
#   - PostgreSQL is emptied (the public schema dropped: no table, no migration record) and restored from S3 with
#     the documented `scripts/restore-postgres.sh -s`: every document is back (same count), the test's document
#     is listed and cited again.
# The stack's config file goes back afterwards (the next `pulumi up` of the test turns the upload off again).

S3_DIR=$WORK/s3
S3_PORT=17070
S3_BUCKET=rag-backups
S3_PREFIX=rag-dev/postgres/
mkdir -p "$S3_DIR/root"
chmod 700 "$S3_DIR"
head -c 15 /dev/urandom | base64 | tr -dc 'A-Z0-9' >"$S3_DIR/access-key"
head -c 30 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9' >"$S3_DIR/secret-key"
# s3_curl ARGS...: a request signed with AWS SigV4 by curl, the keys read from the files (curl gets them from a
# config on stdin: not in its argument list)
s3_curl() {
  printf 'user = "%s:%s"\n' "$(cat "$S3_DIR/access-key")" "${S3_SECRET_OVERRIDE:-$(cat "$S3_DIR/secret-key")}" |
    curl -sS -K - --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
s3_url=http://$CL_GW:$S3_PORT

probs=""
t0=$(now)
cp "$PROG/Pulumi.dev.yaml" "$S3_DIR/Pulumi.dev.yaml.before"
ROOT_ACCESS_KEY_ID=$(cat "$S3_DIR/access-key") ROOT_SECRET_ACCESS_KEY=$(cat "$S3_DIR/secret-key") \
  versitygw --port "$CL_GW:$S3_PORT" posix "$S3_DIR/root" >"$LOGS/s3-server.log" 2>&1 &
BG_PIDS+=($!)
s3_ready() { [ "$(s3_curl -o /dev/null -w '%{http_code}' "$s3_url/" 2>/dev/null)" = 200 ]; }
cl_wait 15 s3_ready || probs+="the S3 server did not answer on $s3_url ($LOGS/s3-server.log); "
[ -z "$probs" ] && { [ "$(s3_curl -o /dev/null -w '%{http_code}' -X PUT "$s3_url/$S3_BUCKET")" = 200 ] || probs+="could not create bucket $S3_BUCKET; "; }
K -n "$NS" create secret generic e2e-backup-s3 --from-file=AWS_ACCESS_KEY_ID="$S3_DIR/access-key" \
  --from-file=AWS_SECRET_ACCESS_KEY="$S3_DIR/secret-key" >/dev/null 2>&1 || probs+="could not create Secret e2e-backup-s3; "
# the test's own object (the state-vs-namespace comparison of e2e/node/interrupted.sh leaves it aside)
K -n "$NS" label secret e2e-backup-s3 app.kubernetes.io/managed-by=e2e --overwrite >/dev/null 2>&1
if [ -z "$probs" ] && config_pairs "${STACK:-dev}" "backup.s3.enabled true" "backup.s3.endpoint $s3_url" "backup.s3.bucket $S3_BUCKET" \
  "backup.s3.prefix $S3_PREFIX" "backup.s3.secretName e2e-backup-s3" "backup.s3.image ${IMG[aws-cli]}" >>"$LOGS/config-s3.log" 2>&1; then
  if run "$LOGS/up-s3.log" P up "${POLICY_ARGS[@]}"; then
    record_time "pulumi up: backup upload to S3 on" "$LAST_SECS"
    s3_up_s=$LAST_SECS
    # the backup now, its dump uploaded
    sjob=e2e-backup-s3-$$
    backup_now "$sjob" "$LOGS/s3-backup-job.log" "pg_dump and the S3 upload"
    s3_backup_s=$BACKUP_SECS
    wrote_bytes=$(grep -oE 'wrote [^ ]+ \([0-9]+ bytes\)' "$LOGS/s3-backup-job.log" | head -n1 | grep -oE '[0-9]+ bytes' | cut -d' ' -f1)
    s3_file=$(grep -oE "upload: [^ ]+ -> s3://$S3_BUCKET/$S3_PREFIX[^ ]+" "$LOGS/s3-backup-job.log" | head -n1 | awk '{print $2}')
    [ -n "$s3_file" ] || probs+="the upload container reported no upload; "
    got_bytes=$(s3_curl -o "$S3_DIR/fetched.dump" -w '%{size_download}' "$s3_url/$S3_BUCKET/$S3_PREFIX$s3_file" 2>/dev/null)
    [ -n "$wrote_bytes" ] && [ "$got_bytes" = "$wrote_bytes" ] || probs+="the object in S3 has ${got_bytes:-no} bytes, the dump ${wrote_bytes:-?}; "
    wrong=$(S3_SECRET_OVERRIDE=wrong-secret s3_curl -o /dev/null -w '%{http_code}' "$s3_url/$S3_BUCKET/$S3_PREFIX$s3_file" 2>/dev/null)
    [ "$wrong" = 403 ] || probs+="a wrong secret key was answered $wrong (403 expected); "
    K -n "$NS" delete job "$sjob" --wait=true --timeout=60s >/dev/null 2>&1
    # an empty database, restored from S3
    psql_q() { K -n "$NS" exec "$pgpod" -- psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$pguser" -d "$pgdb" -tAc "$1"; }
    docs_before=$(psql_q 'SELECT count(*) FROM documents' 2>>"$LOGS/s3-drop.log")
    psql_q 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >>"$LOGS/s3-drop.log" 2>&1 || probs+="could not empty the database; "
    tables_after_drop=$(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" 2>>"$LOGS/s3-drop.log")
    [ "$tables_after_drop" = 0 ] || probs+="$tables_after_drop table(s) left after DROP SCHEMA public; "
    t1=$(now)
    bash "$REPO/scripts/restore-postgres.sh" -n "$NS" -t 300 -s >"$LOGS/s3-restore.log" 2>&1 || probs+="scripts/restore-postgres.sh -s failed; "
    s3_restore_s=$(elapsed "$t1")
    record_time "restore from S3 (fetch + pg_restore)" "$s3_restore_s"
    grep -q "restore: fetched s3://$S3_BUCKET/$S3_PREFIX$s3_file ($wrote_bytes bytes)" "$LOGS/s3-restore.log" || probs+="the restore pod did not fetch $s3_file from S3; "
    grep -q "restore: done ($s3_file)" "$LOGS/s3-restore.log" || probs+="the restore did not restore $s3_file; "
    docs_after=$(psql_q 'SELECT count(*) FROM documents' 2>>"$LOGS/s3-drop.log")
    [ -n "$docs_before" ] && [ "$docs_after" = "$docs_before" ] || probs+="documents: ${docs_before:-?} before, ${docs_after:-?} after the restore; "
    cl_wait 30 doc_listed || probs+="document $DOC_ID not listed after the restore from S3; "
    cl_wait 60 query_cites "After the restore from S3: what colour is the Skerry Point lighthouse?" || probs+="the query no longer cites the document; "
  else
    record_time "pulumi up: backup upload to S3 on (FAILED)" "$LAST_SECS"
    probs+="pulumi up with backup.s3 on failed ($(grep -m1 -iE 'error' "$LOGS/up-s3.log" | cut -c1-200)); "
  fi
elif [ -z "$probs" ]; then
  probs+="stack config for the S3 upload ($(tail -n1 "$LOGS/config-s3.log" 2>/dev/null | cut -c1-200)); "
fi
cp "$S3_DIR/Pulumi.dev.yaml.before" "$PROG/Pulumi.dev.yaml"
if [ -z "$probs" ]; then
  pass "off-site backup round trip with a real S3 server (versitygw $(versitygw --version | awk '/^Version/{print $3}') on $s3_url): pulumi up ${s3_up_s}s turned the upload on; the backup Job (${s3_backup_s}s) put $s3_file in s3://$S3_BUCKET/$S3_PREFIX ($got_bytes bytes, as dumped; a wrong secret key refused: $wrong); the database emptied (0 tables), restored from S3 with scripts/restore-postgres.sh -s (${s3_restore_s}s): $docs_after of $docs_before documents back, document $DOC_ID listed and cited"
else
  fail "off-site backup round trip with a real S3 server: $probs" "$LOGS/s3-restore.log" 15
fi
record_time "S3 phase (upload on, backup, restore from S3)" "$(elapsed "$t0")"
