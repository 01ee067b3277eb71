# shellcheck shell=bash
# The HA tier's deploy (sourced by e2e/ha/main.sh after the stack is configured): an upgrade that keeps data
# (issue 20 item 4). The prod shape is deployed as it was at the pinned release (e2e/upgrade-from: the
# program, the policy pack and the app images of that commit, built here), documents are posted, then the
# current tree is deployed over it under query load by the same `pulumi up` an operator runs: 0 failed
# requests, every document still cited, the pods on the current images, no manual step. The later HA checks
# then run on the current tree. Sets HA_UP=1 when the current tree is up.

PIN=$(awk '!/^#/ && NF {print $1; exit}' "$E2E_DIR/upgrade-from")
PINNED=$WORK/pinned
PINNED_UP=0
# pinned_prepare: the pinned commit's tree in $PINNED/src, compiled, and its app images on every node (IMG_PIN)
declare -A IMG_PIN=()
pinned_prepare() {
  git -C "$REPO" cat-file -e "$PIN^{commit}" 2>/dev/null || git -C "$REPO" fetch -q --unshallow 2>/dev/null ||
    { echo "commit $PIN (e2e/upgrade-from) is not in this clone's history (a shallow clone?)"; return 1; }
  rm -rf "$PINNED" && mkdir -p "$PINNED/src" && git -C "$REPO" archive "$PIN" | tar -x -C "$PINNED/src" || return 1
  # its dependencies: the repository's when the lock file is the same, else its own
  if git -C "$REPO" show "$PIN:package-lock.json" | cmp -s - "$REPO/package-lock.json"; then
    ln -s "$REPO/node_modules" "$PINNED/src/node_modules" && ln -s "$REPO/app/node_modules" "$PINNED/src/app/node_modules"
  else
    (cd "$PINNED/src" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  (cd "$PINNED/src" && node scripts/build-js.js --quiet) || return 1
  # its app package, once per machine: the commit fixes its sources and its lock file (45 s of the tail when the
  # other tier shares the cores, most of it compiling the app and installing its production dependencies)
  local pkg=${RAG_IMAGE_CACHE:-$HOME/.cache/rag-platform-images}/app-package-$PIN
  if [ ! -f "$pkg/app/package.json" ]; then
    find "${pkg%/*}" -maxdepth 1 -name 'app-package-*' -exec rm -rf {} + # an earlier pin's, or a half-written one
    bash "$PINNED/src/app/scripts/package.sh" "$pkg.tmp" && mv "$pkg.tmp" "$pkg" || return 1
  fi
  local k v
  while read -r k v; do IMG_PIN[$k]=$v; done < <(bash "$REPO/images/build.sh" --app "$pkg/app" --refs)
  bash "$REPO/images/build.sh" --app "$pkg/app" rag-api rag-frontend rag-indexer || return 1
  CL_APPDIR=$pkg/app cl_nodes_import rag-api rag-frontend rag-indexer || return 1
  [ "${IMG_PIN[rag-api]}" != "${IMG[rag-api]}" ] || { echo "the pinned app's image is the current one (${IMG[rag-api]}): move the pin to a release whose app differs"; return 1; }
  # the same stack config (its encryption salt included), the app images of the pinned commit
  cp "$PROG/Pulumi.prod.yaml" "$PINNED/src/Pulumi.prod.yaml" &&
    E2E_PROG=$PINNED/src config_pairs prod "api.image ${IMG_PIN[rag-api]}" "frontend.image ${IMG_PIN[rag-frontend]}" \
      "indexer.image ${IMG_PIN[rag-indexer]}"
}

say "HA: the prod shape at the pinned release $PIN, then the current tree over it under load (log: $LOGS/ha-pinned.log)"
t0=$(now)
if pinned_prepare >"$LOGS/ha-pinned.log" 2>&1; then
  record_time "HA: the pinned release's tree, app package and images" "$(elapsed "$t0")"
  PINNED_POLICY=(--policy-pack "$PINNED/src/policy")
  [ -f "$PINNED/src/policy/config/prod.json" ] && PINNED_POLICY+=(--policy-pack-config "$PINNED/src/policy/config/prod.json")
  if run "$LOGS/ha-up-pinned.log" env E2E_PROG="$PINNED/src" STACK=prod P up "${PINNED_POLICY[@]}"; then
    PINNED_UP=1
    record_time "HA: pulumi up of the prod shape at the pinned release (readiness waits)" "$LAST_SECS"
    pass "HA: pulumi up of the prod shape at the pinned release $PIN with its own policy pack at prod's levels, no skipAwait (${LAST_SECS}s, $(grep -oE '\+ [0-9]+ created' "$LOGS/ha-up-pinned.log" | head -n1)); changed through stack config: $(printf '%s; ' "${HA_CHANGES[@]}")"
  else
    fail "HA: pulumi up of the prod shape at the pinned release $PIN" "$LOGS/ha-up-pinned.log" 40
  fi
else
  fail "HA: the pinned release $PIN prepared (tree, app package, images on every node)" "$LOGS/ha-pinned.log" 20
fi

ha_outputs() {
  STACK=prod P outputs >"$WORK/ha-outputs.json" 2>/dev/null
  API_HOST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["services"]["api"])' "$WORK/ha-outputs.json" 2>/dev/null)
  SECRET_NAME=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("secretName",""))' "$WORK/ha-outputs.json" 2>/dev/null)
  API_PORT=$(kubectl -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.ports[0].port}')
  API_IP=$(kubectl -n "$NS" get svc "${API_HOST%%.*}" -o jsonpath='{.spec.clusterIP}')
}

if [ $PINNED_UP = 1 ]; then
  ha_outputs
  # shellcheck source=after-up.sh
  . "$E2E_DIR/ha/after-up.sh"
  docs_before=$(ha_api GET "/v1/documents?limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["documents"]))' 2>/dev/null)
  load_start upgrade-load 10 900
  sleep 5
  # the one documented step of this upgrade (docs/operations.md, "Upgrade the platform"): the pinned release ran
  # one PostgreSQL instance, the current prod default is mode ha; the stack keeps its instance (pg-failover.sh
  # switches it later, by the runbook)
  STACK=prod P config "$PROJECT:postgres.mode" in-cluster --path >>"$LOGS/ha-config.log" 2>&1
  say "pulumi up: the current tree over the pinned release, under load (log: $LOGS/ha-up.log)"
  if run "$LOGS/ha-up.log" env STACK=prod P up "${PROD_POLICY[@]}"; then
    HA_UP=1
    up_s=$LAST_SECS
    record_time "HA: pulumi up of the current tree over the pinned release, under load" "$up_s"
    # the provider's Deployment await has once returned before the rollout began (0.57 s, "initialization complete",
    # as in pulumi-kubernetes#3329 for StatefulSets): the load goes on until the rollouts really end
    t_roll=$(now)
    for d in rag-api rag-frontend; do kubectl -n "$NS" rollout status "deploy/$d" --timeout=300s >>"$LOGS/ha-up.log" 2>&1; done
    roll_s=$(elapsed "$t_roll")
    awk -v s="$roll_s" 'BEGIN{exit !(s > 3)}' && say "the rollouts ended ${roll_s}s after pulumi up returned (the provider's await returned early)"
    sleep 5
    load_stop upgrade-load
    uf=$(load_summary upgrade-load failed)
    docs_after=$(ha_api GET "/v1/documents?limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["documents"]))' 2>/dev/null)
    # pods of the old revision still in their termination grace are not counted (the up waited for the rollout)
    stale=$(kubectl -n "$NS" get pods -l 'app.kubernetes.io/component in (api,frontend)' --field-selector=status.phase=Running \
      -o jsonpath='{range .items[*]}{.metadata.name}={.spec.containers[0].image}={.metadata.deletionTimestamp}{"\n"}{end}' |
      awk -F= -v a="${IMG[rag-api]}" -v f="${IMG[rag-frontend]}" '$3 == "" && $2 != a && $2 != f {print $1 "=" $2}' | tr '\n' ' ')
    if [ "$uf" = 0 ] && [ -n "$docs_before" ] && [ "$docs_after" = "$docs_before" ] && [ -z "$stale" ] && ha_docs_answer "after the upgrade"; then
      pass "HA upgrade from the pinned release $PIN to the current tree under load (pulumi up ${up_s}s; one documented step: postgres.mode pinned to in-cluster): $(load_summary upgrade-load ok) queries, 0 failed (p99 $(load_summary upgrade-load p99) ms); $docs_after of $docs_before documents listed, each of ${HA_DOCS[*]} still cited; API and frontend pods on ${IMG[rag-api]##*:}"
    else
      fail "HA upgrade under load: failed ${uf:-?} ($(load_summary upgrade-load reasons)); documents $docs_before -> $docs_after; pods not on the current images: [${stale}]; cited after: $(ha_docs_answer "check" && echo all || echo not all)"
    fi
  else
    load_stop upgrade-load
    fail "HA upgrade: pulumi up of the current tree over the pinned release failed" "$LOGS/ha-up.log" 40
  fi
else
  # the HA checks still run, on the current tree deployed from nothing
  say "pulumi up prod shape (no skipAwait; log: $LOGS/ha-up.log)"
  if run "$LOGS/ha-up.log" env STACK=prod P up "${PROD_POLICY[@]}"; then
    HA_UP=1
    record_time "HA: pulumi up of the prod shape (readiness waits)" "$LAST_SECS"
    pass "HA: pulumi up of the prod shape (the current tree from nothing, as the pinned release could not be deployed), no skipAwait (${LAST_SECS}s)"
    ha_outputs
    # shellcheck source=after-up.sh
    . "$E2E_DIR/ha/after-up.sh"
  else
    fail "HA: pulumi up of the prod shape" "$LOGS/ha-up.log" 40
  fi
fi
