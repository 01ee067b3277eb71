# shellcheck shell=bash
# The HA tier (sourced by e2e/node.sh on a cluster of three nodes in zones a, b, c, with metrics-server and
# volumes every node sees): the PROD stack's shape, deployed by the real CLI with the policy pack at prod's
# levels, WITHOUT skipAwait: first as it was at the pinned release (e2e/upgrade-from), then upgraded to the
# current tree under load (e2e/ha/upgrade.sh); then placement, drains, a datastore going away, the HPA scaling
# up and down, and a node lost hard. Config changed through stack config only, each for a
# reason (printed): the kube context; images built here and Chroma (Qdrant cannot be built here); the
# local-path provisioner (no EBS here); model serving local (no GPUs); no datastore exporters until the last check
# (which installs a Prometheus for them: e2e/ha/pg-lag.sh); CPU and memory requests scaled down so
# the HPA's 70% target can be crossed on a 2-core machine and ten replicas fit; HPA scale-down windows
# shortened (same policy shapes, shorter periods). Everything else is Pulumi.prod.yaml and prod's defaults.
# shellcheck source=lib.sh
. "$E2E_DIR/ha/lib.sh"
# shellcheck source=../lib/pulumi-env.sh
. "$E2E_DIR/lib/pulumi-env.sh"
# shellcheck source=../lib/monitoring.sh
. "$E2E_DIR/lib/monitoring.sh"

say "HA tier: the prod shape on $CL_NODES nodes"
NS=rag-prod
HA_CHANGES=(
  "kubeContext=rag-$CL_NAME: the test cluster"
  "images: built here; vectorStore.engine=chroma (Qdrant is not buildable here)"
  "storage.provisioner=rancher.io/local-path (no EBS here; shared volumes stand in for network storage); storage.appData.storageClassName=rag-prod-data, the platform's class (no EFS class here; the class's shared path gives ReadWriteMany)"
  "ingress.enabled=false (no ingress controller here, and Pulumi waits for an Ingress's address; the load generator calls the API Service)"
  "modelServing.{llm,embedding}.mode=local (no GPU here)"
  "monitoring.exporters.enabled=false until the last check (no Prometheus reads them before it; then on, a 5 s scrape and RagPostgresReplicationLag at 1 MiB for 1 minute)"
  "api requests 150m/512Mi (limits 1/1Gi), vector store requests 250m/512Mi: the 70% CPU target must be reachable on 2 cores and 10 API replicas must fit"
  "api/frontend HPA scaleDown: window 300s -> 20s, 10%/60s -> 10%/15s (the same policy, shorter periods)"
  "last check: postgres.mode=ha with postgres.instances=2 (the node-loss check before it took one of the 3 nodes; one member per node) and the Patroni image built here"
)
ha_configure() {
  local c=(
    "kubeContext rag-$CL_NAME"
    "storage.provisioner rancher.io/local-path" "storage.appData.storageClassName rag-prod-data"
    "ingress.enabled false" "monitoring.exporters.enabled false"
    "modelServing.llm.mode local" "modelServing.embedding.mode local"
    "api.resources.requests.cpu 150m" "api.resources.requests.memory 512Mi"
    "api.resources.limits.cpu 1" "api.resources.limits.memory 1Gi"
    "vectorStore.resources.requests.cpu 250m" "vectorStore.resources.requests.memory 512Mi"
    "api.autoscaling.behavior.scaleDown.stabilizationWindowSeconds 20"
    "frontend.autoscaling.behavior.scaleDown.stabilizationWindowSeconds 20"
  )
  # a list value: the scale-down policy with a shorter period
  for w in api frontend; do
    c+=("$w.autoscaling.behavior.scaleDown.policies[0].type Percent" "$w.autoscaling.behavior.scaleDown.policies[0].value 10"
      "$w.autoscaling.behavior.scaleDown.policies[0].periodSeconds 15")
  done
  configure_stack prod "${c[@]}"
}

# the monitoring CRDs (prod has monitoring on; the node tier runs the Prometheus Operator itself)
if crd_files=$(bash "$E2E_DIR/lib/crds.sh" 2>"$LOGS/ha-crds.log") &&
  # shellcheck disable=SC2046
  kubectl apply --server-side $(printf -- '-f %s ' $crd_files) >>"$LOGS/ha-crds.log" 2>&1; then :; else
  fail "HA: CRDs for prod's monitoring objects" "$LOGS/ha-crds.log"
fi

HA_UP=0
if run "$LOGS/ha-init.log" env STACK=prod P init prod && ha_configure >"$LOGS/ha-config.log" 2>&1; then
  PROD_POLICY=(--policy-pack "$PROG/policy")
  [ -f "$PROG/policy/config/prod.json" ] && PROD_POLICY+=(--policy-pack-config "$PROG/policy/config/prod.json")
  # the pinned release, documents, then the current tree over it under load (sets HA_UP)
  # shellcheck source=upgrade.sh
  . "$E2E_DIR/ha/upgrade.sh"
else
  fail "HA: stack init/config prod" "$LOGS/ha-config.log"
fi

if [ $HA_UP = 1 ]; then
  # shellcheck source=placement.sh
  . "$E2E_DIR/ha/placement.sh"
  # shellcheck source=faults.sh
  . "$E2E_DIR/ha/faults.sh"
  # shellcheck source=scaling.sh
  . "$E2E_DIR/ha/scaling.sh"
  # Patroni, the monitoring stack and the exporters of the last checks in every node before one is lost (e2e/node.sh)
  tier_images_wait
  # shellcheck source=node-loss.sh
  . "$E2E_DIR/ha/node-loss.sh"
  # shellcheck source=pg-failover.sh
  . "$E2E_DIR/ha/pg-failover.sh"
else
  fail "HA checks: not run (the prod shape did not come up)"
fi
