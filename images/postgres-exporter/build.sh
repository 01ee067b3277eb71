# shellcheck shell=bash
# postgres_exporter v0.19.1: the static binary scripts/toolchain.sh builds from prometheus-community's module
# (cmd/postgres_exporter), the newest release the module proxy serves (the stacks pin v0.20.0, which it refuses:
# components/config/images.ts), at the path and UID of upstream's image (/bin/postgres_exporter, nobody). The
# platform's PostgreSQL exporter sidecar (components/datastores/exporters.ts): DATA_SOURCE_URI, DATA_SOURCE_USER,
# DATA_SOURCE_PASS, :9187, a landing page on /. The archive's hash covers the binary (images/build.sh).
bin=${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/postgres-exporter
[ -x "$bin" ] || { echo "no $bin: bash scripts/toolchain.sh postgres-exporter" >&2; exit 1; }
install -D -m 0755 "$bin" "$ROOTFS/bin/postgres_exporter"
IMAGE_CONFIG=(--config.entrypoint /bin/postgres_exporter --config.user 65534:65534 --config.exposedports 9187/tcp)
