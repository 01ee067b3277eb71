# shellcheck shell=bash
# redis_exporter 1.45.0 from Debian bookworm (prometheus-redis-exporter): the platform's Redis exporter sidecar
# (components/datastores/exporters.ts; the stacks name oliver006's v1.90.0, which the module proxy refuses). It
# reads REDIS_ADDR and REDIS_PASSWORD, listens on :9121 and answers /health.
debian_rootfs "$ROOTFS" prometheus-redis-exporter
IMAGE_CONFIG=(--config.entrypoint /usr/bin/prometheus-redis-exporter --config.user 65534:65534
  --config.exposedports 9121/tcp)
