# shellcheck shell=bash
# Prometheus 3.16 (module tag v0.316.0): the static binary scripts/toolchain.sh builds with the Kubernetes service
# discovery alone (no cloud SDK; Debian's prometheus package has no Kubernetes discovery at all), alone in the root
# filesystem at upstream's path. The Prometheus Operator supplies every argument; the entrypoint is the binary.
# UID 65534 like upstream's image; /prometheus for the operator's data volume. The archive's hash covers the binary.
bin=${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/prometheus
[ -x "$bin" ] || { echo "no $bin: bash scripts/toolchain.sh prometheus" >&2; exit 1; }
mkdir -p "$ROOTFS/bin" "$ROOTFS/prometheus" "$ROOTFS/etc/prometheus" && chown 65534:65534 "$ROOTFS/prometheus"
install -m 0755 "$bin" "$ROOTFS/bin/prometheus"
IMAGE_CONFIG=(--config.entrypoint /bin/prometheus --config.user 65534:65534 --config.workingdir /prometheus
  --config.exposedports 9090/tcp)
