# shellcheck shell=bash
# metrics-server v0.8.0: the static binary scripts/toolchain.sh builds from sigs.k8s.io/metrics-server
# (cmd/metrics-server), alone in the root filesystem (plus /tmp for its self-signed serving certificate),
# UID 1000 like the upstream manifest runs it. The archive's hash covers the binary (images/build.sh).
bin=${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/metrics-server
[ -x "$bin" ] || { echo "no $bin: bash scripts/toolchain.sh metrics-server" >&2; exit 1; }
mkdir -p "$ROOTFS/tmp" && chmod 1777 "$ROOTFS/tmp"
install -m 0755 "$bin" "$ROOTFS/metrics-server"
IMAGE_CONFIG=(--config.entrypoint /metrics-server --config.user 1000:1000)
