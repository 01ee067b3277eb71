# shellcheck shell=bash
# postgres_exporter 0.11.1 from Debian bookworm (prometheus-postgres-exporter): the platform's PostgreSQL
# exporter sidecar (components/datastores/exporters.ts; the stacks name prometheus-community's v0.20.0, which the
# module proxy refuses). It reads DATA_SOURCE_URI, DATA_SOURCE_USER and DATA_SOURCE_PASS and listens on :9187.
debian_rootfs "$ROOTFS" prometheus-postgres-exporter
IMAGE_CONFIG=(--config.entrypoint /usr/bin/prometheus-postgres-exporter --config.user 65534:65534
  --config.exposedports 9187/tcp)
