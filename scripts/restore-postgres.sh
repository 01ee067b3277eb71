#!/usr/bin/env bash
# Restores PostgreSQL from a dump on the backup claim (docs/operations.md, "Back up and restore PostgreSQL"):
#   scripts/restore-postgres.sh [-n NAMESPACE] [-i INSTANCE] [-t TIMEOUT_SECONDS] [DUMP]
# DUMP is a file name in the claim's postgres/ directory (e.g. rag-20261125T013000Z.dump); the newest when
# omitted. Runs one pod, `<instance>-postgres-restore-<time>`, built from the backup CronJob's own pod template
# (same image, ServiceAccount, labels — so the NetworkPolicies let it reach PostgreSQL —, restricted security
# contexts, resources, the claim, and PGPASSWORD by secretKeyRef: no password passes through this script).
# The pod lists the dumps, then runs
#   pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner -d "$PGDATABASE" <dump>
# against the PostgreSQL Service: all or nothing; objects in the dump are dropped and recreated, objects
# created after the dump stay. Prints the pod's log; exit status 0 when the restore succeeded.
# KUBECTL overrides the kubectl command (e.g. KUBECTL="kubectl --context prod").
set -euo pipefail

ns=rag-dev instance=rag timeout=1800
while getopts "n:i:t:h" opt; do
    case $opt in
    n) ns=$OPTARG ;;
    i) instance=$OPTARG ;;
    t) timeout=$OPTARG ;;
    *)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
dump=${1:-}
case $dump in */* | *' '*) echo "restore: DUMP is a file name on the claim, not a path: $dump" >&2 && exit 2 ;; esac

read -r -a kc <<<"${KUBECTL:-kubectl}"
k() { "${kc[@]}" -n "$ns" "$@"; }
cron=$instance-postgres-backup
tpl=.spec.jobTemplate.spec.template
k get cronjob "$cron" >/dev/null || { echo "restore: no CronJob $cron in namespace $ns (backup.enabled?)" >&2 && exit 1; }
get() { k get cronjob "$cron" -o jsonpath="{$1}"; }
# The dump container: the only container, or the init container when the S3 upload is on.
sel='[?(@.name=="dump")]'
where=containers
[ -n "$(get "$tpl.spec.containers$sel.name")" ] || where=initContainers
c="$tpl.spec.$where$sel"
pod=$instance-postgres-restore-$(date -u +%Y%m%d%H%M%S)

k create -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels: $(get "$tpl.metadata.labels")
spec:
  serviceAccountName: $(get "$tpl.spec.serviceAccountName")
  automountServiceAccountToken: false
  enableServiceLinks: false
  restartPolicy: Never
  securityContext: $(get "$tpl.spec.securityContext")
  volumes: $(get "$tpl.spec.volumes")
  containers:
    - name: restore
      image: $(get "$c.image")
      env: $(get "$c.env")
      resources: $(get "$c.resources")
      securityContext: $(get "$c.securityContext")
      volumeMounts: $(get "$c.volumeMounts")
      command:
        - sh
        - -c
        - |
          set -eu
          echo "restore: dumps on the claim (\$BACKUP_DIR):"
          ls -l "\$BACKUP_DIR"
          f=\${1:-\$(ls -1 "\$BACKUP_DIR" | grep -E '\.dump\$' | sort | tail -n 1)}
          [ -n "\$f" ] && [ -f "\$BACKUP_DIR/\$f" ] || { echo "restore: no dump \$f in \$BACKUP_DIR" >&2; exit 1; }
          echo "restore: \$BACKUP_DIR/\$f into database \$PGDATABASE on \$PGHOST:\$PGPORT"
          # a new pod may have no network for a moment (NetworkPolicy allow rules come after the pod starts)
          tries=60
          until pg_isready --timeout=2 >/dev/null 2>&1; do
            tries=\$((tries - 1)); [ "\$tries" -gt 0 ] || { echo "restore: PostgreSQL does not accept connections" >&2; exit 1; }
            sleep 1
          done
          pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner --no-password -d "\$PGDATABASE" "\$BACKUP_DIR/\$f"
          echo "restore: done (\$f)"
        - restore
        - "$dump"
YAML
echo "restore: pod $pod started in $ns" >&2
phase=
for _ in $(seq 1 "$timeout"); do
    phase=$(k get pod "$pod" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [ "$phase" = Succeeded ] || [ "$phase" = Failed ] && break
    sleep 1
done
k logs "$pod" || true
k delete pod "$pod" --wait=false >/dev/null 2>&1 || true
if [ "$phase" != Succeeded ]; then
    echo "restore: FAILED (pod phase ${phase:-unknown})" >&2
    exit 1
fi
