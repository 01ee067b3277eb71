#!/usr/bin/env bash
# One image (called by images/build.sh with HERE NAME REF TAR BASE_TAR APPDIR RECIPE_HASH set):
# an OCI layout built with umoci from the recipe's root filesystem, archived to $TAR.
set -euo pipefail
# shellcheck source=lib.sh
. "$HERE/lib.sh"
WORKDIR=$(mktemp -d "$CACHE/.work-$NAME.XXXXXX")
trap 'rm -rf "$WORKDIR"' EXIT
cd "$WORKDIR"
ROOTFS=$WORKDIR/bundle/rootfs
layout=$WORKDIR/oci
IMAGE_CONFIG=()
if [ -n "$BASE_TAR" ]; then
  # an image on top of another one (the app images on the node image): its layers plus the recipe's
  mkdir -p "$layout" && tar -C "$layout" -xf "$BASE_TAR"
  tag=$(umoci ls --layout "$layout" | head -n1)
  umoci unpack --image "$layout:$tag" "$WORKDIR/bundle"
  [ "$tag" = "$NAME" ] || { umoci tag --image "$layout:$tag" "$NAME"; umoci rm --image "$layout:$tag"; }
  # shellcheck disable=SC1090
  . "$HERE/app/build.sh"
else
  umoci init --layout "$layout"
  umoci new --image "$layout:$NAME"
  umoci unpack --image "$layout:$NAME" "$WORKDIR/bundle"
  # shellcheck disable=SC1090
  . "$HERE/$NAME/build.sh"
fi
umoci repack --image "$layout:$NAME" --history.created_by "images/$NAME/build.sh" "$WORKDIR/bundle"
umoci config --image "$layout:$NAME" --no-history "${IMAGE_CONFIG[@]}" \
  --config.label "org.opencontainers.image.ref.name=$REF" --config.label "rag-platform.recipe=$RECIPE_HASH"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$TAR.tmp" .
mv "$TAR.tmp" "$TAR"
