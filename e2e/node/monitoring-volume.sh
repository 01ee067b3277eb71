# shellcheck shell=bash
# RagVolumeAlmostFull caused for real (sourced by e2e/node/monitoring.sh): a claim filled past the alert's ratio.
# The platform's own claims cannot show it here: local-path provisions hostPath volumes, for which the kubelet
# reports no volume stats. So a claim of the namespace's own is bound to a `local` PersistentVolume (the kubelet's
# local volume plugin reports statfs figures) on a 32 MiB tmpfs of its own on the node, and a pod fills it to 30 MiB
# (94%; the alert's default ratio is 0.8). The alert reads it exactly as it reads the platform's claims: the
# kubelet's kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes by namespace and claim. The
# kubelet computes volume stats once a minute (its volume-stats-agg-period, up to twice that with its jitter), then
# for: 1 minute (monitoring.alerts.forMinutes here). vol_fill_start runs right after the monitoring `pulumi up`,
# vol_fill_check once the checks between have filled that time; the claim and its pod are deleted (the full volume
# gone) and the alert must go inactive; the PersistentVolume and the tmpfs go too (the teardown would unmount a
# leftover under the cluster's folder).
VOL_NAME=e2e-volume-full
VOL_DIR=$CL_DIR/nodes/n1/$VOL_NAME
t_vol=

vol_fill_start() {
  local node
  node=$(K get nodes -o jsonpath='{.items[0].metadata.name}')
  mkdir -p "$VOL_DIR" && mount -t tmpfs -o size=32m,mode=1777 "$VOL_NAME" "$VOL_DIR" ||
    { fail "monitoring: no tmpfs for the volume check at $VOL_DIR"; return 1; }
  K apply -f - >"$LOGS/monitoring-volume.log" 2>&1 <<EOF || { fail "monitoring: the volume check's objects were not created" "$LOGS/monitoring-volume.log" 5; return 1; }
{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"$NS-$VOL_NAME"},
 "spec":{"capacity":{"storage":"32Mi"},"accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","storageClassName":"",
  "claimRef":{"namespace":"$NS","name":"$VOL_NAME"},"local":{"path":"$VOL_DIR"},
  "nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"In","values":["$node"]}]}]}}}},
{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"$VOL_NAME","namespace":"$NS"},
 "spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"","volumeName":"$NS-$VOL_NAME","resources":{"requests":{"storage":"32Mi"}}}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$VOL_NAME","namespace":"$NS","labels":{"app.kubernetes.io/name":"$VOL_NAME"}},
 "spec":{"automountServiceAccountToken":false,"restartPolicy":"Never","enableServiceLinks":false,"terminationGracePeriodSeconds":1,
  "securityContext":{"runAsNonRoot":true,"runAsUser":65534,"runAsGroup":65534,"fsGroup":65534,"seccompProfile":{"type":"RuntimeDefault"}},
  "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"$VOL_NAME"}}],
  "containers":[{"name":"fill","image":"${IMG[busybox]}","imagePullPolicy":"Never","volumeMounts":[{"name":"data","mountPath":"/data"}],
   "command":["sh","-c","dd if=/dev/zero of=/data/fill bs=1048576 count=30 && sync && exec sleep 3600"],
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
   "resources":{"requests":{"cpu":"10m","memory":"64Mi"},"limits":{"cpu":"100m","memory":"64Mi"}}}]}}
]}
EOF
  # (the tmpfs' pages count against the pod's memory: 30 MiB under its 64 Mi limit)
  if K -n "$NS" wait --for=condition=Ready "pod/$VOL_NAME" --timeout=60s >>"$LOGS/monitoring-volume.log" 2>&1; then
    t_vol=$(now)
    say "monitoring: claim $VOL_NAME (a local volume on a 32 MiB tmpfs) filled to $(df -m "$VOL_DIR" | awk 'NR==2{print $3}') MiB by its pod"
  else
    fail "monitoring: $VOL_NAME not Ready: $(K -n "$NS" get pod,pvc "$VOL_NAME" --no-headers 2>&1 | tr '\n' ' ')"
  fi
}

vol_fill_check() {
  if [ -n "$t_vol" ]; then
    local sel="namespace=\"$NS\",persistentvolumeclaim=\"$VOL_NAME\"" used cap
    used=$(mon_query "kubelet_volume_stats_used_bytes{$sel}")
    cap=$(mon_query "kubelet_volume_stats_capacity_bytes{$sel}")
    say "monitoring: the kubelet reports $VOL_NAME ${used:-?} of ${cap:-?} bytes used, $(elapsed "$t_vol")s after it was filled"
    mon_check alert --alert RagVolumeAlmostFull --match "persistentvolumeclaim=$VOL_NAME" --state firing \
      --deadline "$(mon_deadline "$t_vol" 330)" --since "$t_vol" --after "the claim was filled to 94%"
  fi
  local t_gone
  K -n "$NS" delete pod "$VOL_NAME" --ignore-not-found --wait=true --timeout=60s >>"$LOGS/monitoring-volume.log" 2>&1
  K -n "$NS" delete pvc "$VOL_NAME" --ignore-not-found --wait=true --timeout=60s >>"$LOGS/monitoring-volume.log" 2>&1
  t_gone=$(now)
  K delete pv "$NS-$VOL_NAME" --ignore-not-found --wait=true --timeout=60s >>"$LOGS/monitoring-volume.log" 2>&1
  umount "$VOL_DIR" 2>>"$LOGS/monitoring-volume.log" && rmdir "$VOL_DIR"
  [ -n "$t_vol" ] && mon_check alert --alert RagVolumeAlmostFull --match "persistentvolumeclaim=$VOL_NAME" --state inactive \
    --deadline 90 --since "$t_gone" --after "the full claim and its pod were deleted"
  t_vol=
}
