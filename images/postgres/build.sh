# shellcheck shell=bash
# PostgreSQL 15 from Debian bookworm (postgresql-15; the stacks name postgres:16.4-alpine, Debian
# bookworm ships 15) with an entrypoint honouring the official image's contract
# (docker-entrypoint.sh next to this file). UID/GID 70 as in the official alpine image.
debian_rootfs "$ROOTFS" postgresql-15 gzip
# the Debian package's postgres user (UID ~100) becomes UID/GID 70 (the pod's runAsUser)
old_uid=$(awk -F: '$1=="postgres"{print $3}' "$ROOTFS/etc/passwd")
old_gid=$(awk -F: '$1=="postgres"{print $4}' "$ROOTFS/etc/passwd")
add_user "$ROOTFS" postgres 70 70 /var/lib/postgresql
find "$ROOTFS" -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h 70:70 {} + 2>/dev/null || true
install -m 0755 "$HERE/postgres/docker-entrypoint.sh" "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$ROOTFS/docker-entrypoint-initdb.d" "$ROOTFS/var/lib/postgresql/data" "$ROOTFS/var/run/postgresql"
chown 70:70 "$ROOTFS/var/lib/postgresql" "$ROOTFS/var/lib/postgresql/data" "$ROOTFS/var/run/postgresql"
chmod 3777 "$ROOTFS/var/run/postgresql"
# the server binaries (initdb, pg_ctl, postgres, pg_isready, psql) directly on PATH: no perl wrapper
IMAGE_CONFIG=(
  --config.entrypoint /usr/local/bin/docker-entrypoint.sh --config.cmd postgres
  --config.user 70:70 --config.workingdir /
  --config.env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin
  --config.env PGDATA=/var/lib/postgresql/data --config.env LANG=C.UTF-8
  --config.exposedports 5432/tcp --config.volume /var/lib/postgresql/data
  --config.stopsignal SIGINT
)
