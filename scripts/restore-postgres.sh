#!/usr/bin/env bash
# Restores PostgreSQL from a dump on the backup claim, or from its S3 copy (docs/operations.md, "Back up and
# restore PostgreSQL"):
#   scripts/restore-postgres.sh [-n NAMESPACE] [-i INSTANCE] [-t TIMEOUT_SECONDS] [-s] [DUMP]
# DUMP is a file name in the claim's postgres/ directory (e.g. rag-20261125T013000Z.dump); the newest when
# omitted. -s: from S3 instead (backup.s3 on): DUMP is an object name under the bucket's prefix, the newest
# .dump there when omitted; an init container (the upload container's image, endpoint and keys) copies it into
# a scratch volume of the pod first. Runs one pod, `<instance>-postgres-restore-<time>`, built from the backup
# CronJob's own pod template (same image, ServiceAccount, labels — so the NetworkPolicies let it reach
# PostgreSQL and S3 —, restricted security contexts, resources, the claim, and PGPASSWORD and the S3 keys by
# secretKeyRef: no password or key passes through this script). The pod lists the dumps, then runs
#   pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner -d "$PGDATABASE" <dump>
# against the PostgreSQL Service: all or nothing; objects in the dump are dropped and recreated, objects
# created after the dump stay. Prints the pod's log; exit status 0 when the restore succeeded.
# KUBECTL overrides the kubectl command (e.g. KUBECTL="kubectl --context prod").
set -euo pipefail

ns=rag-dev instance=rag timeout=1800 from_s3=0
while getopts "n:i:t:sh" opt; do
    case $opt in
    n) ns=$OPTARG ;;
    i) instance=$OPTARG ;;
    t) timeout=$OPTARG ;;
    s) from_s3=1 ;;
    *)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
dump=${1:-}
case $dump in */* | *' '*) echo "restore: DUMP is a file name (on the claim, or under the S3 prefix), not a path: $dump" >&2 && exit 2 ;; esac

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
volumes=$(get "$tpl.spec.volumes")
mounts=$(get "$c.volumeMounts")
fetch= dir='$BACKUP_DIR'
if [ "$from_s3" = 1 ]; then
    up='[?(@.name=="upload")]'
    [ -n "$(get "$tpl.spec.containers$up.name")" ] ||
        { echo "restore: CronJob $cron has no S3 upload (backup.s3.enabled is false): nothing to restore from S3" >&2 && exit 1; }
    u="$tpl.spec.containers$up"
    # the dump goes to a scratch volume of the pod (the claim stays as it is); the CLI's cache to /tmp (HOME),
    # the template's scratch volume
    volumes="${volumes%]},{\"name\":\"s3-restore\",\"emptyDir\":{}}]"
    mounts="${mounts%]},{\"name\":\"s3-restore\",\"mountPath\":\"/restore\"}]"
    dir=/restore
    fetch=$(
        cat <<YAML
  initContainers:
    - name: fetch
      image: $(get "$u.image")
      env: $(get "$u.env")
      resources: $(get "$u.resources")
      securityContext: $(get "$u.securityContext")
      volumeMounts: [{"name": "s3-restore", "mountPath": "/restore"}, {"name": "scratch-tmp", "mountPath": "/tmp"}]
      command:
        - sh
        - -c
        - |
          set -eu
          src="s3://\$S3_BUCKET/\$S3_PREFIX"
          echo "restore: dumps in \$src (\$S3_ENDPOINT):"
          aws s3 ls --endpoint-url "\$S3_ENDPOINT" "\$src" | tee /restore/.list
          f=\${1:-\$(awk '{print \$4}' /restore/.list | grep -E '\.dump\$' | sort | tail -n 1)}
          [ -n "\$f" ] || { echo "restore: no dump in \$src" >&2; exit 1; }
          aws s3 cp --only-show-errors --endpoint-url "\$S3_ENDPOINT" "\$src\$f" "/restore/\$f"
          rm -f /restore/.list
          echo "restore: fetched \$src\$f (\$(wc -c <"/restore/\$f") bytes)"
        - fetch
        - "$dump"
YAML
    )
fi

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
  volumes: $volumes
$fetch
  containers:
    - name: restore
      image: $(get "$c.image")
      env: $(get "$c.env")
      resources: $(get "$c.resources")
      securityContext: $(get "$c.securityContext")
      volumeMounts: $mounts
      command:
        - sh
        - -c
        - |
          set -eu
          dir=$dir
          echo "restore: dumps in \$dir:"
          ls -l "\$dir"
          f=\${1:-\$(ls -1 "\$dir" | grep -E '\.dump\$' | sort | tail -n 1)}
          [ -n "\$f" ] && [ -f "\$dir/\$f" ] || { echo "restore: no dump \$f in \$dir" >&2; exit 1; }
          echo "restore: \$dir/\$f into database \$PGDATABASE on \$PGHOST:\$PGPORT"
          # a new pod may have no network for a moment (NetworkPolicy allow rules come after the pod starts)
          tries=60
          until pg_isready --timeout=2 >/dev/null 2>&1; do
            tries=\$((tries - 1)); [ "\$tries" -gt 0 ] || { echo "restore: PostgreSQL does not accept connections" >&2; exit 1; }
            sleep 1
          done
          pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner --no-password -d "\$PGDATABASE" "\$dir/\$f"
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
k logs "$pod" --all-containers || true
k delete pod "$pod" --wait=false >/dev/null 2>&1 || true
if [ "$phase" != Succeeded ]; then
    echo "restore: FAILED (pod phase ${phase:-unknown})" >&2
    exit 1
fi
