# shellcheck shell=bash
# After the HA tier's first up (sourced by e2e/ha/upgrade.sh): the HPAs' minReplicas available, then documents
# posted for every later check to ask about (ha_api, HA_DOCS, ha_docs_answer).

# 0. the HPAs raise their workloads to minReplicas: a Deployment an HPA scales carries no replica count (so a
# re-applied manifest never fights the HPA), so it is created with 1 and its HPA's first sync raises it
t0=$(now)
hpa_ok=1
for w in api frontend; do
  min=$(kubectl -n "$NS" get hpa "rag-$w" -o jsonpath='{.spec.minReplicas}')
  cl_wait 180 bash -c "[ \"\$(kubectl -n $NS get deploy rag-$w -o jsonpath='{.status.availableReplicas}')\" -ge $min ]" 2>/dev/null || hpa_ok=0
done
hpa_secs=$(elapsed "$t0")
if [ $hpa_ok = 1 ]; then
  record_time "HA: after up, until the HPAs' minReplicas are available" "$hpa_secs"
  pass "HA: the HPAs raised the API and the frontend to their minReplicas, all available ${hpa_secs}s after the up (available/HPA range: $(for w in api frontend; do printf '%s=%s/%s-%s ' "$w" "$(kubectl -n "$NS" get deploy "rag-$w" -o jsonpath='{.status.availableReplicas}')" "$(kubectl -n "$NS" get hpa "rag-$w" -o jsonpath='{.spec.minReplicas}')" "$(kubectl -n "$NS" get hpa "rag-$w" -o jsonpath='{.spec.maxReplicas}')"; done))"
else
  fail "HA: the API/frontend did not reach their HPA minReplicas within 180 s: $(kubectl -n "$NS" get hpa,deploy 2>&1 | tr '\n' ';' | cut -c1-400)"
fi

# documents for every later check to ask about (each check asks in its own words: answers are cached)
HA_KEY=$(printf '%s' "rag-api-key:v1" | openssl dgst -sha256 -hmac "$(kubectl -n "$NS" get secret "$SECRET_NAME" -o jsonpath='{.data.API_SIGNING_KEY}' | base64 -d)" -r | awk '{print $1}')
ha_api() { # METHOD PATH [JSON]
  curl -sS --max-time 20 -X "$1" -H 'content-type: application/json' -H "authorization: Bearer $HA_KEY" ${3:+--data "$3"} "http://$API_IP:$API_PORT$2"
}
HA_DOCS=()
for topic in "The Skerry Point lighthouse is painted ultramarine blue with one white band." \
  "The harbour master of Port Ellen logs every ship that passes the breakwater at dawn." \
  "The old granite tower on Inchkeith has a fog horn that sounds twice a minute in fog."; do
  id=$(ha_api POST /v1/documents "{\"title\":\"ha-$RANDOM\",\"text\":\"$topic\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["document"]["id"])' 2>/dev/null)
  [ -n "$id" ] && HA_DOCS+=("$id")
done
# ha_docs_answer LABEL: every document posted above is cited by an answer about it
ha_docs_answer() {
  local q out missing=""
  q=("What colour is the Skerry Point lighthouse? ($1)" "Who logs the ships at Port Ellen? ($1)" "How often does the Inchkeith fog horn sound? ($1)")
  for i in "${!HA_DOCS[@]}"; do
    out=$(ha_api POST /v1/query "{\"question\":\"${q[$i]}\"}" 2>&1)
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if sys.argv[2] in [str(c) for c in r.get("citations",[])] else 1)' "$out" "${HA_DOCS[$i]}" 2>/dev/null ||
      missing+="${HA_DOCS[$i]} "
  done
  [ ${#HA_DOCS[@]} = 3 ] && [ -z "$missing" ]
}
if ha_docs_answer "after up"; then
  pass "HA: 3 documents posted (ids ${HA_DOCS[*]}), each cited by the answer to a question about it"
else
  fail "HA: documents posted and cited: ids [${HA_DOCS[*]}]"
fi

