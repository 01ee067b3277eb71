# shellcheck shell=bash
# Redis 7.0 from Debian bookworm (redis-server, redis-tools); the stacks name redis:7.4.1-alpine.
# UID 999 / GID 1000 as the platform runs it; sh and grep (Debian essential) for the probe
# `sh -c "redis-cli ... ping | grep -q PONG"`. Default command: redis-server with /data as dir.
debian_rootfs "$ROOTFS" redis-server
add_user "$ROOTFS" redis 999 1000 /data
mkdir -p "$ROOTFS/data" && chown 999:1000 "$ROOTFS/data"
IMAGE_CONFIG=(
  --config.cmd redis-server --config.cmd --dir --config.cmd /data
  --config.user 999:1000 --config.workingdir /data
  --config.env PATH=/usr/local/bin:/usr/bin:/bin
  --config.exposedports 6379/tcp --config.volume /data
)
