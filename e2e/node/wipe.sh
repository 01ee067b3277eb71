# shellcheck shell=bash
# The vector store's volume wiped (issue 20 item 2; sourced by e2e/node/monitoring.sh with the monitoring stack
# up, WIPE_ALERT=1; without it when that stack could not be had): its claim and its pod deleted, the StatefulSet
# brings the pod back on a new, empty volume. Then:
#   - the platform notices: the API's /ready reports `vectorIndex` incomplete with every chunk PostgreSQL holds
#     missing, and its gauge rag_vector_index_missing_chunks says the same, while the vector store answers its
#     heartbeat and every pod stays Ready; with WIPE_ALERT=1, RagVectorIndexIncomplete (which reads that gauge)
#     seen firing (issue 21);
#   - the documented rebuild (docs/operations.md, "Rebuild the vector index": `index --rebuild` in the API pod);
#   - every document answers again: the new collection holds PostgreSQL's chunks (missing 0), the query cites the
#     test's document; with WIPE_ALERT=1, RagVectorIndexIncomplete inactive again.

vs_pod=rag-vector-store-0
ready_index() { api GET /ready 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); v=d.get("vectorIndex") or {}; print(d["checks"].get("vectorIndex","-"), v.get("chunks","-"), v.get("indexed","-"), v.get("missing","-"))' 2>/dev/null; }
index_is() { [ "$(ready_index | awk '{print $1}')" = "$1" ]; }
probs=""
t0=$(now)
vs_claim=$(K -n "$NS" get pod "$vs_pod" -o jsonpath='{range .spec.volumes[*]}{.persistentVolumeClaim.claimName}{"\n"}{end}' 2>/dev/null | grep -- "-$vs_pod\$" | head -n1)
claim_uid() { K -n "$NS" get pvc "$vs_claim" -o jsonpath='{.metadata.uid}' 2>/dev/null; }
old_uid=$(claim_uid)
# the wipe must restart nothing (earlier checks' restarts, Redis' in the monitoring phase, are theirs)
restarts_before=$(restarts_by_pod)
# complete before the wipe; a comparison that failed while the S3 round trip had emptied the database is
# reported for up to the API's 10 s cache (INDEX_STATUS_TTL_MS), so wait for it to be compared again
cl_wait 30 index_is ok || true
index_before=$(ready_index)
[ -n "$vs_claim" ] && [ -n "$old_uid" ] || probs+="no claim of $vs_pod found; "
[ "${index_before%% *}" = ok ] || probs+="the index was not complete before the wipe (/ready: ${index_before:-?}); "
if [ -z "$probs" ]; then
  # the claim goes once its pod does (kubernetes.io/pvc-protection); the StatefulSet then makes both again, empty
  K -n "$NS" delete pvc "$vs_claim" --wait=false >"$LOGS/wipe.log" 2>&1
  K -n "$NS" delete pod "$vs_pod" --wait=true --timeout=120s >>"$LOGS/wipe.log" 2>&1
  new_claim() { local u; u=$(claim_uid) && [ -n "$u" ] && [ "$u" != "$old_uid" ]; }
  cl_wait 180 new_claim || probs+="no new claim $vs_claim after 180 s; "
  K -n "$NS" wait --for=condition=Ready "pod/$vs_pod" --timeout=180s >>"$LOGS/wipe.log" 2>&1 || probs+="$vs_pod not Ready again on its new volume; "
  wiped_s=$(elapsed "$t0")
  t_empty=$(now)
  cl_wait 60 index_is incomplete || probs+="the API's /ready did not report the index incomplete within 60 s ($(ready_index)); "
  noticed_s=$(elapsed "$t_empty")
  read -r _ chunks indexed missing <<<"$(ready_index)"
  [ "$missing" = "$chunks" ] && [ "$indexed" = 0 ] || probs+="after the wipe /ready says chunks $chunks, indexed $indexed, missing $missing (all missing expected); "
  gauge=$(api GET /metrics 2>/dev/null | awk '$1=="rag_vector_index_missing_chunks"{print $2}')
  [ "$gauge" = "$missing" ] || probs+="rag_vector_index_missing_chunks is ${gauge:-absent}, /ready says $missing; "
  check_workloads "after the vector store's volume was wiped" "since:$restarts_before" >/dev/null || probs+="workloads not Ready: $(ns_pods_summary); "
  [ "${WIPE_ALERT:-0}" = 1 ] && mon_check alert --alert RagVectorIndexIncomplete --state firing --deadline 150 --since "$t_empty" \
    --after "the vector store came back on an empty volume"
  # the documented rebuild (dev has no re-indexing CronJob: the API pod's image and environment)
  t1=$(now)
  K -n "$NS" exec deploy/rag-api -c api -- node /app/dist/indexer.js index --rebuild >"$LOGS/wipe-rebuild.log" 2>&1 ||
    probs+="index --rebuild failed: $(tail -n1 "$LOGS/wipe-rebuild.log" | cut -c1-200); "
  rebuild_s=$(elapsed "$t1")
  record_time "index --rebuild after the wipe" "$rebuild_s"
  t_rebuilt=$(now)
  cl_wait 30 index_is ok || probs+="/ready still reports the index ($(ready_index)) after the rebuild; "
  [ "${WIPE_ALERT:-0}" = 1 ] && mon_check alert --alert RagVectorIndexIncomplete --state inactive --deadline 90 --since "$t_rebuilt" \
    --after "index --rebuild"
  read -r _ chunks2 indexed2 missing2 <<<"$(ready_index)"
  [ "$missing2" = 0 ] && [ "$indexed2" = "$chunks2" ] && [ "$chunks2" = "$chunks" ] || probs+="after the rebuild: chunks $chunks2, indexed $indexed2, missing $missing2; "
  cl_wait 60 query_cites "After the wipe: what colour is the Skerry Point lighthouse?" || probs+="the query no longer cites the document; "
  rebuilt=$(grep -m1 -oE 'rebuilt the vector index[^"]*' "$LOGS/wipe-rebuild.log" | cut -c1-160)
fi
record_time "vector store wiped: noticed, rebuilt, answering" "$(elapsed "$t0")"
if [ -z "$probs" ]; then
  pass "vector store's volume wiped (claim $vs_claim and pod deleted, back empty in ${wiped_s}s): the API's /ready reported vectorIndex incomplete after ${noticed_s}s ($missing of $chunks chunks missing; rag_vector_index_missing_chunks $gauge; every pod Ready); index --rebuild in the API pod ${rebuild_s}s (${rebuilt:-?}): $indexed2 of $chunks2 chunks indexed, the query cites the document"
else
  fail "vector store's volume wiped: $probs" "$LOGS/wipe-rebuild.log" 10
fi
