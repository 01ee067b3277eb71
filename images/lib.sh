# shellcheck shell=bash
# Helpers for the image recipes (sourced by images/build.sh): root filesystems from Debian
# packages (mmdebstrap) and OCI images from root filesystems (umoci), no daemon, no registry.
#
# A recipe is images/<name>/build.sh, sourced with these set:
#   WORKDIR  an empty scratch directory (deleted afterwards)
#   ROOTFS   where the recipe builds the image's root filesystem ($WORKDIR/bundle/rootfs)
#   REF      the image reference (e.g. localhost/rag-platform/postgres:15-bookworm)
# and it calls `image_config` flags (umoci config flags) for user, entrypoint, env, workdir...

# debian_rootfs DIR PACKAGE...: Debian bookworm (variant essential: dash, coreutils, grep, sed...)
# plus the packages, from the machine's own apt sources; docs, man pages and apt lists dropped.
# ROOTFS_HOOK: an extra mmdebstrap customize hook ("$1" is the root; `chroot "$1" ...` runs inside
# it with /proc, /dev and the host's resolv.conf set up by mmdebstrap).
debian_rootfs() {
  local dir=$1
  shift
  local inc
  inc=$(IFS=,; echo "$*")
  mmdebstrap --quiet --mode=root --variant=essential --format=directory \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    ${inc:+--include="$inc"} \
    ${ROOTFS_HOOK:+--customize-hook="$ROOTFS_HOOK"} \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
    bookworm "$dir" ${MMDEBSTRAP_MIRROR:+"$MMDEBSTRAP_MIRROR"}
}

# add_user ROOTFS NAME UID GID [HOME]: a passwd/group entry (replacing an existing NAME) so that
# tools calling getpwuid (initdb, pip) find the user the pod runs as.
add_user() {
  local r=$1 name=$2 uid=$3 gid=$4 home=${5:-/nonexistent}
  touch "$r/etc/passwd" "$r/etc/group"
  sed -i "/^$name:/d" "$r/etc/passwd" "$r/etc/group"
  grep -q "^[^:]*:x:$gid:" "$r/etc/group" || echo "$name:x:$gid:" >>"$r/etc/group"
  echo "$name:x:$uid:$gid:$name:$home:/bin/sh" >>"$r/etc/passwd"
}
