# shellcheck shell=bash
# An interrupted `pulumi up` converges (issue 20 item 5; sourced by e2e/node/external.sh once the stack runs with an
# external Redis, so the up that brings the in-cluster Redis back has objects to create). The up is started in a
# session of its own and the whole process tree (CLI, language host, providers) is killed with SIGKILL while the
# Redis StatefulSet is being created. Then the documented recovery, `npm run recover -- --yes` (scripts/recover.ts:
# a torn metadata sidecar of the state removed; `pulumi cancel`; each pending create whose object exists: the
# killed run's field manager released, so that the next up adopts it; `pulumi refresh --clear-pending-creates`),
# and `pulumi up`. Checked: the killed run left
# pending operations; after the recovery and the up, every object of the kinds the program manages in the
# namespace is in the state and every Kubernetes resource of the state exists (none unknown, none missing), the
# StatefulSet the killed run created is the one in the state (same UID: adopted, not made again), every pod is
# Ready, and the document still answers.

# the namespace's objects of the kinds the program creates, and the state's Kubernetes resources: "Kind ns/name"
# lines each, and the differences (controllers' objects, the test's own and the cluster's defaults left out)
state_vs_namespace() { # -> "unknown: ...; missing: ..." (empty when they agree)
  (cd "$PROG" && pulumi stack export --stack dev) >"$WORK/state-export.json" 2>>"$LOGS/recover.log" || { echo "pulumi stack export failed"; return; }
  K -n "$NS" get deployments,statefulsets,services,configmaps,secrets,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,cronjobs,jobs,ingresses,serviceaccounts,roles,rolebindings,persistentvolumeclaims -o json >"$WORK/ns-objects.json" 2>>"$LOGS/recover.log"
  python3 - "$WORK/state-export.json" "$WORK/ns-objects.json" "$NS" <<'PY'
import json, re, sys
state, objs, ns = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
known = set()
for r in state["deployment"].get("resources", []):
    m = re.match(r"^kubernetes:[^:]+:([A-Za-z]+)$", r["type"])
    if m and r.get("id") and not r.get("delete"):
        known.add(f"{m.group(1)} {r['id']}")
templates = []
live = set()
for o in objs["items"]:
    md = o["metadata"]
    if o["kind"] == "StatefulSet":
        templates += [f"{t['metadata']['name']}-{md['name']}-" for t in o["spec"].get("volumeClaimTemplates", [])]
for o in objs["items"]:
    md, kind = o["metadata"], o["kind"]
    if md.get("ownerReferences") or md.get("labels", {}).get("app.kubernetes.io/managed-by") == "e2e":
        continue
    if (kind, md["name"]) in (("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")):
        continue
    if kind == "PersistentVolumeClaim" and any(md["name"].startswith(t) for t in templates):
        continue
    live.add(f"{kind} {ns}/{md['name']}")
in_ns = {k for k in known if k.split(" ", 1)[1].startswith(ns + "/")}
unknown, missing = sorted(live - known), sorted(in_ns - live)
print((f"unknown to the state: {', '.join(unknown)}; " if unknown else "") + (f"missing from the namespace: {', '.join(missing)}; " if missing else ""), end="")
print(f"#{len(live)}", file=sys.stderr)
PY
}

tree_pids() { # PID: it and every descendant (the CLI starts its plugins in process groups of their own, which a
  # group kill misses: they outlived the run before)
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1"); do tree_pids "$c"; done
}

ir_t0=$(now)
probs=""
K -n "$NS" label secret e2e-external-redis app.kubernetes.io/managed-by=e2e --overwrite >/dev/null 2>&1
setsid "$WORK/bin/P" up "${POLICY_ARGS[@]}" >"$LOGS/up-killed.log" 2>&1 &
ir_pid=$!
# killed once the StatefulSet exists (the engine records the pending create before it asks the provider, and the
# provider then waits for its pod): the kill lands between the create and its end, the case the recovery adopts
if cl_wait 180 K -n "$NS" get statefulset rag-redis; then
  ir_tree=$(tree_pids "$ir_pid")
  kill -9 -- "-$ir_pid" 2>/dev/null
  # shellcheck disable=SC2086 # a list of PIDs
  kill -9 $ir_tree 2>/dev/null
  wait "$ir_pid" 2>/dev/null
  sleep 0.5
  # shellcheck disable=SC2086 # (a zombie is dead: only its parent has not read its status yet)
  alive=$(ps -o stat= -p "$(echo $ir_tree | tr ' ' ',')" 2>/dev/null | grep -vc '^Z')
  [ "$alive" -eq 0 ] || probs+="$alive process(es) of the killed run still alive; "
  killed_at=$(elapsed "$ir_t0")
  sleep 1
  pending=$( (cd "$PROG" && pulumi stack export --stack dev) 2>/dev/null | python3 -c 'import json,sys; ops=json.load(sys.stdin)["deployment"].get("pending_operations",[]); print(len(ops), " ".join(sorted(set(o["type"] for o in ops))))')
  [ "${pending%% *}" -gt 0 ] 2>/dev/null || probs+="the killed run left no pending operation (pending: ${pending:-?}); "
  uid_killed=$(K -n "$NS" get statefulset rag-redis -o jsonpath='{.metadata.uid}' 2>/dev/null)
  [[ " ${pending#* } " == *" creating "* ]] || probs+="no pending create in the state after the kill (pending: ${pending:-?}); "
  # A kill can also tear the metadata sidecar a file backend rewrites in place before each checkpoint (CI once: every
  # later command failed with "failed to load checkpoint: EOF"; scripts/lib/local-state.ts). This backend writes
  # none (?metadata=skip, as npm run up's), so the sidecar is torn here as such a kill tears it, and the recovery
  # must mend it.
  ckpt=$(ls "$WORK"/state/.pulumi/stacks/*/dev.json 2>/dev/null | head -n1)
  ! ls "$WORK"/state/.pulumi/stacks/*/*.attrs >/dev/null 2>&1 || probs+="metadata sidecars written despite ?metadata=skip; "
  [ -n "$ckpt" ] && : >"$ckpt.attrs" || probs+="no checkpoint dev.json in $WORK/state; "
  ir_t1=$(now)
  if (cd "$PROG" && node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/scripts/recover.ts" --stack dev --yes --cwd "$PROG") >>"$LOGS/recover.log" 2>&1; then
    recover_s=$(elapsed "$ir_t1")
    record_time "npm run recover (cancel, export, refresh)" "$recover_s"
    grep -q "torn metadata sidecar.* removed" "$LOGS/recover.log" || probs+="the recovery did not remove the torn sidecar; "
    if run "$LOGS/up-after-recover.log" P up "${POLICY_ARGS[@]}"; then
      record_time "pulumi up after the recovery" "$LAST_SECS"
      up_s=$LAST_SECS
      diff=$(state_vs_namespace 2>"$WORK/ns-count")
      [ -z "$diff" ] || probs+="state and namespace differ: $diff"
      uid_after=$(K -n "$NS" get statefulset rag-redis -o jsonpath='{.metadata.uid}' 2>/dev/null)
      [ -n "$uid_killed" ] && [ "$uid_after" = "$uid_killed" ] ||
        probs+="the StatefulSet the killed run created was not adopted (uid ${uid_killed:-none} -> ${uid_after:-none}); "
      check_workloads "after the interrupted up, the recovery and up" >/dev/null || probs+="workloads not converged: $(ns_pods_summary); "
      cl_wait 60 query_cites "After the interrupted update: what colour is the Skerry Point lighthouse?" || probs+="the document no longer answers; "
    else
      probs+="pulumi up after the recovery failed ($(grep -m1 -iE 'error' "$LOGS/up-after-recover.log" | cut -c1-200)); "
    fi
  else
    probs+="npm run recover failed: $(tail -n1 "$LOGS/recover.log" | cut -c1-200); "
  fi
else
  kill -9 -- "-$ir_pid" 2>/dev/null
  probs+="the up did not create the Redis StatefulSet within 180 s; "
fi
if [ -z "$probs" ]; then
  pass "an interrupted pulumi up converges: killed (SIGKILL, CLI and plugins) ${killed_at}s in, while the Redis StatefulSet was being created, leaving ${pending%% *} pending operation(s) (${pending#* }) and, injected, a torn metadata sidecar; npm run recover ${recover_s}s (the sidecar removed, $(grep -cE '^  adopt ' "$LOGS/recover.log") to adopt, $(grep -cE '^  delete ' "$LOGS/recover.log") autonamed deleted, $(grep -cE '^  create ' "$LOGS/recover.log") to create again, $(grep -cE '^  refresh ' "$LOGS/recover.log") settled), then pulumi up ${up_s}s: the StatefulSet the killed run had created adopted (same uid), the state and the namespace agree ($(tr -d '#' <"$WORK/ns-count") objects), every pod Ready, the document answers"
else
  fail "interrupted pulumi up: $probs" "$LOGS/recover.log" 15
fi
record_time "interrupted up: kill, recover, up, checks" "$(elapsed "$ir_t0")"
