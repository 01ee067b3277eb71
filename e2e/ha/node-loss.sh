# shellcheck shell=bash
# HA check 3, run last (sourced by e2e/ha/main.sh): a node dies hard under load. Its kubelet, kube-proxy,
# containerd, shims and every container are SIGKILLed at once and its link is cut. Printed: failed requests,
# seconds until the Service stopped sending to it (its API pod's address left the ready endpoints: the
# node-monitor grace period, a cluster setting), seconds until a replacement was Ready elsewhere (the
# platform's not-ready/unreachable toleration on stateless pods), and every document posted before answers.
# The victim: a node (not node 1, where the test's clients run and the host's Service route enters) with an
# API pod and, if possible, no datastore (single-replica datastores on a dead node wait for it: see
# docs/operations.md).

# The victim: the last node with an API pod. A single-replica datastore on a dead node waits for the node (a
# StatefulSet pod is not replaced while its node may come back), and the API's new pods need PostgreSQL for
# their migrate step: so the datastores are first moved off the victim (cordon, delete their pods, Ready
# elsewhere on the shared volumes, uncordon). What losing a datastore's node costs is in docs/operations.md.
victim="" victim_pod="" victim_ip="" victim_ds=""
# the rolling update before this check must be over: no pod of the old ReplicaSet may be chosen
kubectl -n "$NS" rollout status deploy/rag-api --timeout=300s >/dev/null 2>&1
cl_wait 120 sh -c "[ \$(kubectl -n $NS get pods -l app.kubernetes.io/component=api -o name | wc -l) -eq \$(kubectl -n $NS get deploy -l app.kubernetes.io/component=api -o jsonpath='{.items[0].status.replicas}') ]"
for ((i = CL_NODES; i >= 2; i--)); do
  n=$(cl_node_name "$i")
  read -r p _ ip < <(api_pods | awk -v n="$n" '$2==n')
  [ -n "$p" ] && { victim=$i victim_pod=$p victim_ip=$ip; break; }
done
if [ -n "$victim" ]; then
  vname=$(cl_node_name "$victim")
  victim_ds=$(move_datastores_off "$vname" "postgres|redis|vector-store")
fi
if [ -z "$victim" ]; then
  fail "HA node loss: no node but node 1 runs an API pod ($(api_pods | tr '\n' ';'))"
else
  tol=$(kubectl -n "$NS" get pod "$victim_pod" -o jsonpath='{range .spec.tolerations[?(@.key=="node.kubernetes.io/unreachable")]}{.tolerationSeconds}{end}')
  load_start loss-load 10 600
  rm -f "$WORK/ep-loss.txt"
  endpoints_sampler_start "$WORK/ep-loss.txt"
  sleep 10
  # the victim's pod must be one of the Service's ready endpoints when its node dies
  in_ep=0
  tail -n1 "$WORK/ep-loss.txt" | grep -q "$victim_ip," && in_ep=1
  t_kill=$(date +%s.%N)
  cl_node_kill "$victim"
  # until the Service stops sending to the dead pod, then until a replacement is Ready elsewhere
  cl_wait 300 sh -c "tail -n1 '$WORK/ep-loss.txt' | grep -qv '$victim_ip,'"
  t_gone=$(date +%s.%N)
  want=$(hpa status.desiredReplicas)
  cl_wait 300 sh -c "[ \$(kubectl -n $NS get pods -l app.kubernetes.io/component=api --field-selector spec.nodeName!=$vname -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}' | grep -c True) -ge $want ]"
  t_back=$(date +%s.%N)
  sleep 5
  load_stop loss-load
  endpoints_sampler_stop
  gone_s=$(awk -v a="$t_kill" -v b="$t_gone" 'BEGIN{printf "%.1f", b-a}')
  back_s=$(awk -v a="$t_kill" -v b="$t_back" 'BEGIN{printf "%.1f", b-a}')
  record_time "HA node loss: seconds until the Service stopped sending to the dead node" "$gone_s"
  record_time "HA node loss: seconds until replacements were Ready elsewhere" "$back_s"
  lf=$(load_summary loss-load failed)
  if ha_docs_answer "after losing $vname"; then answers="every document posted before still answers"; else answers="NOT every document answers"; fi
  if [ "$answers" = "every document posted before still answers" ] && [ "$victim_ds" = 0 ] && [ $in_ep = 1 ]; then
    pass "HA node loss ($vname, zone $(zone_of "$vname"), killed hard and cut off): $lf of $(load_summary loss-load sent) requests failed ($(load_summary loss-load reasons)); the Service stopped sending to it after ${gone_s}s; $want API replicas Ready on other nodes after ${back_s}s (unreachable toleration ${tol:-default 300}s); $answers"
  else
    fail "HA node loss ($vname, datastores on it: $victim_ds, its API pod $victim_ip a ready endpoint before: $in_ep): failed $lf, Service stopped after ${gone_s}s, replacements after ${back_s}s; $answers"
  fi
fi
