#!/usr/bin/env bash
# One OCI archive into a node's containerd (namespace k8s.io) under REF, without unpacking it (the CRI unpacks an
# image when a container of it is first created, so a node unpacks only what it runs):
#   bash images/import.sh SOCKET REF ARCHIVE [--index-name]
# --index-name names the image REF (for an archive whose index does not name it; images/build.sh's import copies).
# Nothing is imported when REF is there from this very archive already: after an import the image is labelled
# rag-platform.archive=<archive's file name>@<the image's digest>, and the archives' names carry a hash of what
# their image is made of (images/build.sh, npm run images), so a second `npm run up` or `npm run cluster -- import`
# reads no archive it imported before. Another archive, or an import by anyone else (another digest), imports
# again. Prints "present" or "imported"; ctr's errors go to stderr.
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: images/import.sh SOCKET REF ARCHIVE [--index-name]" >&2; exit 2; }
sock=$1 ref=$2 archive=$3 index=${4:-}
mark="rag-platform.archive=$(basename "$archive")"
digest_labels() { ctr --address "$sock" -n k8s.io images ls "name==$ref" | awk 'NR == 2 {print $3, $NF}'; }
read -r digest labels < <(digest_labels)
case ",${labels:-}," in *",$mark@${digest:-none},"*)
  echo present
  exit 0
  ;;
esac
ctr --address "$sock" -n k8s.io images import --no-unpack ${index:+--index-name "$ref"} "$archive" >/dev/null || exit 1
digest=
read -r digest labels < <(digest_labels)
[ -n "$digest" ] || { echo "$archive does not name its image $ref (this containerd has: $(ctr --address "$sock" -n k8s.io images ls -q | tr '\n' ' '))" >&2; exit 1; }
ctr --address "$sock" -n k8s.io images label "$ref" "$mark@$digest" >/dev/null || exit 1
echo imported
