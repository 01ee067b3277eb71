# shellcheck shell=bash
# A busybox image from Debian's busybox-static (the host package, installed by
# e2e/node/host-packages.sh): /bin/busybox and its applet links. Used by local-path-provisioner's
# helper pods (mkdir/rm of volume directories) and by the test's throwaway client pods.
mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/etc"
cp /bin/busybox "$ROOTFS/bin/busybox"
for a in $("$ROOTFS/bin/busybox" --list); do [ -e "$ROOTFS/bin/$a" ] || ln -s busybox "$ROOTFS/bin/$a"; done
chmod 1777 "$ROOTFS/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
IMAGE_CONFIG=(--config.cmd /bin/sh --config.env PATH=/bin)
