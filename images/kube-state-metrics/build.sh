# shellcheck shell=bash
# kube-state-metrics v2.19.1: the static binary scripts/toolchain.sh builds from k8s.io/kube-state-metrics/v2 (the
# module's root package), alone in the root filesystem at the path upstream's image uses, UID 65534 like it. The
# kube_* series the platform's alerts and dashboard read. The archive's hash covers the binary (images/build.sh).
bin=${TOOLCHAIN_BIN:?scripts/toolchain.sh --env first}/kube-state-metrics
[ -x "$bin" ] || { echo "no $bin: bash scripts/toolchain.sh kube-state-metrics" >&2; exit 1; }
install -m 0755 "$bin" "$ROOTFS/kube-state-metrics"
IMAGE_CONFIG=(--config.entrypoint /kube-state-metrics --config.user 65534:65534 --config.exposedports 8080/tcp --config.exposedports 8081/tcp)
