# shellcheck shell=bash
# AWS CLI v2 from Debian bookworm (`awscli` 2.9.19, built by Debian from aws-cli's source); the stacks name
# amazon/aws-cli:2.22.35. The backup CronJob's upload container (`backup.s3.image`) and the restore from S3
# run `sh -c '... aws s3 cp ...'` in it, as the pod's user (the PostgreSQL UID 70 there) with HOME=/tmp:
# so no user of its own, `sh` from Debian's essential set, `aws` on PATH, no entrypoint.
ROOTFS_HOOK='chroot "$1" aws --version' debian_rootfs "$ROOTFS" awscli ca-certificates
IMAGE_CONFIG=(
  --config.env PATH=/usr/local/bin:/usr/bin:/bin
  --config.env HOME=/tmp
  --config.user 65534:65534 --config.workingdir /tmp
)
