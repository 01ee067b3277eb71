# shellcheck shell=bash
# Chroma 1.0.12 (the version of chromadb/chroma:1.0.12 the stacks name) from PyPI: Debian bookworm's
# Python 3.11 with chromadb==1.0.12 in a venv at /opt/chroma (the package ships the same Rust server
# as the official image, driven by `chroma run`). The wheels are fetched (and any sdist built) by the
# host's pip, which has this machine's proxy and CA settings, into the image cache's downloads/,
# then installed inside the root filesystem with --no-index. UID/GID 1000, data in /data, port 8000,
# health at /api/v2/heartbeat. PID 1 is dumb-init, as in the official image (`dumb-init -- chroma`): Chroma
# installs no SIGTERM handler, and a process that is PID 1 ignores a signal it does not handle, so without an
# init the kubelet's SIGTERM did nothing and every stop (rollout, drain, scale to 0, destroy) waited out the
# pod's terminationGracePeriodSeconds (60 s) for the SIGKILL; dumb-init forwards it and Chroma exits at once.
CHROMA_VERSION=1.0.12
wheels=$CACHE/downloads/chromadb-$CHROMA_VERSION-cp311-wheels
if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels" && mkdir -p "$wheels"
  python3 -m pip wheel --disable-pip-version-check -q --wheel-dir "$wheels" "chromadb==$CHROMA_VERSION"
  touch "$wheels/.complete"
fi
ROOTFS_HOOK="mkdir -p \"\$1/tmp/wheels\" && cp $wheels/*.whl \"\$1/tmp/wheels/\" && chroot \"\$1\" sh -c 'python3 -m venv /opt/chroma && /opt/chroma/bin/pip install --no-index --find-links /tmp/wheels --no-cache-dir --disable-pip-version-check -q chromadb==$CHROMA_VERSION && /opt/chroma/bin/chroma --help >/dev/null' && rm -rf \"\$1/tmp/wheels\"" \
  debian_rootfs "$ROOTFS" python3 python3-venv ca-certificates libstdc++6 libgomp1 dumb-init
add_user "$ROOTFS" chroma 1000 1000 /data
install -m 0755 "$HERE/chroma/entrypoint.sh" "$ROOTFS/usr/local/bin/chroma-entrypoint.sh"
mkdir -p "$ROOTFS/data" && chown 1000:1000 "$ROOTFS/data"
IMAGE_CONFIG=(
  --config.entrypoint /usr/bin/dumb-init --config.entrypoint -- --config.entrypoint /usr/local/bin/chroma-entrypoint.sh
  --config.user 1000:1000 --config.workingdir /data
  --config.env PATH=/opt/chroma/bin:/usr/local/bin:/usr/bin:/bin
  --config.env IS_PERSISTENT=TRUE --config.env PERSIST_DIRECTORY=/data --config.env ANONYMIZED_TELEMETRY=FALSE
  --config.env HOME=/tmp
  --config.exposedports 8000/tcp --config.volume /data
)
