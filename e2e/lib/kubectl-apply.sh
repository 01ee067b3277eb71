# shellcheck shell=bash
# The same objects as a `pulumi up`, created the way plain Kubernetes tooling does (sourced by e2e/node/platform-ops.sh
# and e2e/readme.sh, for the timing of `pulumi up` against it; harness.sh sourced):
#   kubectl_apply_wait DIR NS LOG   once NS is gone (a destroy's namespace deletion ends first, untimed), the manifests
#                                   Pulumi rendered to DIR (renderYamlToDirectory), the Namespace first,
#                                   with `kubectl apply --server-side`, then every Deployment and StatefulSet rolled out,
#                                   every Job complete and every running pod Ready; sets APPLY_SECS (the applies) and
#                                   APPLY_WAIT_SECS (applies and waits); 2 when an apply failed, 1 when something never got Ready
#                                   (kubectl's output in LOG)
kubectl_apply_wait() {
  local dir=$1 ns=$2 log=$3 t0 nsfiles o ok=0
  kubectl wait --for=delete "ns/$ns" --timeout=120s >/dev/null 2>&1
  t0=$(now)
  nsfiles=$(grep -l '^kind: Namespace' "$dir"/1-manifest/*.yaml 2>/dev/null)
  # shellcheck disable=SC2046
  { [ -z "$nsfiles" ] || kubectl apply --server-side --field-manager e2e $(printf -- '-f %s ' $nsfiles) >"$log" 2>&1; } &&
    kubectl apply --server-side --field-manager e2e -R -f "$dir" >>"$log" 2>&1 || return 2
  APPLY_SECS=$(elapsed "$t0")
  for o in $(kubectl -n "$ns" get deploy,statefulset -o name); do kubectl -n "$ns" rollout status "$o" --timeout=600s >>"$log" 2>&1 || ok=1; done
  kubectl -n "$ns" wait --for=condition=complete job --all --timeout=600s >>"$log" 2>&1 || ok=1
  kubectl -n "$ns" wait --for=condition=Ready pod --field-selector=status.phase=Running --all --timeout=300s >>"$log" 2>&1 || ok=1
  APPLY_WAIT_SECS=$(elapsed "$t0")
  return $ok
}
