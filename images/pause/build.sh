# shellcheck shell=bash
# The pod sandbox image: one static Go binary (pause.go) in an otherwise empty root filesystem,
# UID 65535 like registry.k8s.io/pause.
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
mkdir -p "$WORKDIR/src" && cp "$HERE/pause/pause.go" "$WORKDIR/src/"
printf 'module pause\n\ngo 1.22\n' >"$WORKDIR/src/go.mod"
(cd "$WORKDIR/src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= GOCACHE="$WORKDIR/gocache" "$GO" build -trimpath -ldflags "-s -w" -o "$ROOTFS/pause" .)
IMAGE_CONFIG=(--config.entrypoint /pause --config.user 65535:65535)
