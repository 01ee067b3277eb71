# shellcheck shell=bash
# Patroni 3.0 (Debian bookworm's package) over PostgreSQL 15: the operand of `postgres.mode: ha`
# (components/datastores/postgres-ha.ts). Patroni's published image requirements are the PostgreSQL
# server binaries on PATH (or postgresql.bin_dir), Patroni itself, and a writable data directory owned
# by the user it runs as; the platform configures it entirely through PATRONI_* environment variables
# and one YAML file mounted from a ConfigMap (no secret in it). Its Kubernetes DCS uses Patroni's own
# API client (urllib3), not the python kubernetes package. UID/GID 70 like the postgres image.
debian_rootfs "$ROOTFS" postgresql-15 patroni
old_uid=$(awk -F: '$1=="postgres"{print $3}' "$ROOTFS/etc/passwd")
old_gid=$(awk -F: '$1=="postgres"{print $4}' "$ROOTFS/etc/passwd")
add_user "$ROOTFS" postgres 70 70 /var/lib/postgresql
find "$ROOTFS" -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h 70:70 {} + 2>/dev/null || true
mkdir -p "$ROOTFS/var/lib/postgresql/data" "$ROOTFS/var/run/postgresql"
chown 70:70 "$ROOTFS/var/lib/postgresql" "$ROOTFS/var/lib/postgresql/data" "$ROOTFS/var/run/postgresql"
chmod 3777 "$ROOTFS/var/run/postgresql"
IMAGE_CONFIG=(
  --config.entrypoint /usr/bin/patroni --config.cmd /etc/patroni/patroni.yml
  --config.user 70:70 --config.workingdir /var/lib/postgresql
  --config.env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin
  --config.env LANG=C.UTF-8 --config.env HOME=/var/lib/postgresql
  --config.exposedports 5432/tcp --config.exposedports 8008/tcp --config.volume /var/lib/postgresql/data
  --config.stopsignal SIGTERM
)
