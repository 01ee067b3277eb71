# shellcheck shell=bash
# The reference app's images (rag-api, rag-frontend, rag-indexer) on the node image: the packaged app
# (`bash app/scripts/package.sh OUTDIR` -> OUTDIR/app) at /app, owned by root and read-only to the
# app user, run as UID/GID 10001 from /app. One entry point each, as the platform runs them:
#   rag-api       node /app/dist/api.js          (the platform's migrate step runs migrate.js from it)
#   rag-frontend  node /app/dist/frontend.js
#   rag-indexer   node /app/dist/indexer.js <args>   (the Job passes `index --source <dir>`)
[ -n "$APPDIR" ] && [ -f "$APPDIR/dist/api.js" ] || { echo "no packaged app at APPDIR=$APPDIR"; exit 1; }
rm -rf "$ROOTFS/app"
cp -a "$APPDIR" "$ROOTFS/app"
chown -R 0:0 "$ROOTFS/app"
chmod -R a+rX,go-w "$ROOTFS/app"
case "$NAME" in
  rag-api) entry=api.js ;;
  rag-frontend) entry=frontend.js ;;
  rag-indexer) entry=indexer.js ;;
  *) echo "unknown app image $NAME"; exit 1 ;;
esac
IMAGE_CONFIG=(
  --clear=config.cmd --clear=config.entrypoint
  --config.entrypoint node --config.entrypoint "/app/dist/$entry"
  --config.user 10001:10001 --config.workingdir /app
  --config.env NODE_ENV=production
)
