# shellcheck shell=bash
# Chroma 1.0.12 (the version of chromadb/chroma:1.0.12 the stacks name) from PyPI: Debian bookworm's
# Python 3.11 with `pip install chromadb==1.0.12` in a venv at /opt/chroma (the package ships the
# same Rust server as the official image, driven by `chroma run`). UID/GID 1000, data in /data,
# port 8000, health at /api/v2/heartbeat.
CHROMA_VERSION=1.0.12
ROOTFS_HOOK="chroot \"\$1\" sh -c 'python3 -m venv /opt/chroma && /opt/chroma/bin/pip install --no-cache-dir --disable-pip-version-check -q chromadb==$CHROMA_VERSION && /opt/chroma/bin/chroma --help >/dev/null'" \
  debian_rootfs "$ROOTFS" python3 python3-venv ca-certificates
add_user "$ROOTFS" chroma 1000 1000 /data
install -m 0755 "$HERE/chroma/entrypoint.sh" "$ROOTFS/usr/local/bin/chroma-entrypoint.sh"
mkdir -p "$ROOTFS/data" && chown 1000:1000 "$ROOTFS/data"
IMAGE_CONFIG=(
  --config.entrypoint /usr/local/bin/chroma-entrypoint.sh
  --config.user 1000:1000 --config.workingdir /data
  --config.env PATH=/opt/chroma/bin:/usr/local/bin:/usr/bin:/bin
  --config.env IS_PERSISTENT=TRUE --config.env PERSIST_DIRECTORY=/data --config.env ANONYMIZED_TELEMETRY=FALSE
  --config.env HOME=/tmp
  --config.exposedports 8000/tcp --config.volume /data
)
