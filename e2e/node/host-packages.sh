#!/usr/bin/env bash
# Installs the Debian packages the on-machine node needs, only those that are missing
# (`apt-get update` once, then one `apt-get install`). Idempotent: a machine that has them all
# runs no apt command. Needs root (the node itself needs root too).
#   containerd runc containernetworking-plugins   the container runtime and CNI plugins
#   nftables iptables iproute2 conntrack          the network-safety table, kube-proxy, the bridge
#   ipset                                         the NetworkPolicy engine (kube-router, E2E_NETPOL=1)
#   mmdebstrap umoci busybox-static               root filesystems and OCI images without a daemon
#   redis-server (with redis-tools)               the stand-in for an external datastore (E2E_NETPOL=1)
set -euo pipefail
PKGS=(containerd runc containernetworking-plugins nftables iptables ipset iproute2 conntrack
  mmdebstrap umoci busybox-static ca-certificates util-linux procps xz-utils redis-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "host packages: all present"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "host packages: missing ${missing[*]} and not root" >&2; exit 1; }
echo "host packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# (another apt run, e.g. e2e/browser/install.sh beside it in CI, holds the lock: wait for it)
apt-get -o DPkg::Lock::Timeout=900 update -qq
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
