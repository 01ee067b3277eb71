# shellcheck shell=bash
# redis_exporter v1.88.0: the static binary scripts/toolchain.sh builds from oliver006's module (its root package),
# the newest release the module proxy serves (the stacks pin v1.90.0, which it refuses: components/config/images.ts),
# at the path and UID of upstream's image (/redis_exporter, 59000). The platform's Redis exporter sidecar
# (components/datastores/exporters.ts): REDIS_ADDR, REDIS_PASSWORD, :9121, /health. The archive's hash covers the
# binary (images/build.sh).
bin=${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/redis-exporter
[ -x "$bin" ] || { echo "no $bin: bash scripts/toolchain.sh redis-exporter" >&2; exit 1; }
install -m 0755 "$bin" "$ROOTFS/redis_exporter"
IMAGE_CONFIG=(--config.entrypoint /redis_exporter --config.user 59000:59000 --config.exposedports 9121/tcp)
