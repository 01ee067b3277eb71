# shellcheck shell=bash
# Prometheus Operator v0.85.0: the static binaries scripts/toolchain.sh builds from its module (cmd/operator and
# cmd/prometheus-config-reloader), alone in the root filesystem at the paths upstream's images use. One image
# serves both: the operator runs /bin/operator, and names this image again (--prometheus-config-reloader) for
# the reloader it adds to each Prometheus pod, which the operator starts as /bin/prometheus-config-reloader.
for b in prometheus-operator prometheus-config-reloader; do
  [ -x "${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/$b" ] || { echo "no $TOOLCHAIN_BIN/$b: bash scripts/toolchain.sh $b" >&2; exit 1; }
done
mkdir -p "$ROOTFS/bin"
install -m 0755 "$TOOLCHAIN_BIN/prometheus-operator" "$ROOTFS/bin/operator"
install -m 0755 "$TOOLCHAIN_BIN/prometheus-config-reloader" "$ROOTFS/bin/prometheus-config-reloader"
IMAGE_CONFIG=(--config.entrypoint /bin/operator --config.user 65534:65534)
