#!/usr/bin/env bash
# The operator's entry point behind `npm run up|preview|destroy|render`:
#   scripts/pulumi.sh up      [--stack dev] [extra pulumi flags]   deploy (policy pack always applied)
#   scripts/pulumi.sh preview [--stack dev] [extra pulumi flags]   preview with the policy pack
#   scripts/pulumi.sh destroy [--stack dev] [extra pulumi flags]
#   scripts/pulumi.sh render  [--stack dev]                        manifests to rendered/<stack>/, no cluster
# No Pulumi Cloud account needed: when you are not logged in to any backend and PULUMI_BACKEND_URL is unset,
# state goes to .pulumi-state/ in the repository. The dev stack is created on first run with the passphrase
# secrets provider and a dev-only passphrase; other stacks use your own backend, passphrase or KMS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV_PASSPHRASE="rag-platform-dev-only-passphrase"

die() {
    echo "rag-platform: $*" >&2
    exit 1
}

command=${1:-}
case "$command" in
up | preview | destroy | render) shift ;;
*) die "usage: scripts/pulumi.sh up|preview|destroy|render [--stack NAME] [pulumi flags...]" ;;
esac

stack=dev
passthrough=()
while [ $# -gt 0 ]; do
    case "$1" in
    --stack | -s)
        [ $# -ge 2 ] || die "$1 needs a stack name"
        stack=$2
        shift 2
        ;;
    --stack=* | -s=*)
        stack=${1#*=}
        shift
        ;;
    *)
        passthrough+=("$1")
        shift
        ;;
    esac
done

# --- the Pulumi CLI: on PATH, or built by scripts/toolchain.sh -------------------------------------------
if ! command -v pulumi >/dev/null 2>&1; then
    for bin in "${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}"/*/bin; do
        if [ -x "$bin/pulumi" ]; then
            export PATH="$bin:$PATH"
            if [ -z "${PULUMI_HOME:-}" ] && [ -d "$bin/../pulumi-home" ]; then
                PULUMI_HOME=$(cd "$bin/../pulumi-home" && pwd)
                export PULUMI_HOME
                # The toolchain installed the plugins it built; never try to download others.
                export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
            fi
            break
        fi
    done
fi
command -v pulumi >/dev/null 2>&1 ||
    die "the Pulumi CLI was not found: install it (https://www.pulumi.com/docs/install/) or build it from Go modules with scripts/toolchain.sh"
export PULUMI_SKIP_UPDATE_CHECK=true

# --- secrets: the dev stack gets a dev-only passphrase unless you set your own ----------------------------
if [ "$stack" = dev ] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=$DEV_PASSPHRASE
fi

policy_args() {
    local args=(--policy-pack "$ROOT/policy")
    [ -f "$ROOT/policy/config/$stack.json" ] && args+=(--policy-pack-config "$ROOT/policy/config/$stack.json")
    printf '%s\n' "${args[@]}"
}

# --- render: a throwaway copy of the project and a throwaway backend, so neither Pulumi.<stack>.yaml nor
# --- the stack's real state is touched ----------------------------------------------------------------------
if [ "$command" = render ]; then
    [ -f "$ROOT/Pulumi.$stack.yaml" ] || die "no Pulumi.$stack.yaml: nothing to render for stack $stack"
    out="$ROOT/rendered/$stack"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp -R "$ROOT/Pulumi.yaml" "$ROOT/index.ts" "$ROOT/tsconfig.json" "$ROOT/package.json" "$ROOT/components" "$ROOT/policy" "$work/"
    ln -s "$ROOT/node_modules" "$work/node_modules"
    # Secure values are encrypted for the real stack's secrets provider: leave them (and its salt) out.
    grep -vE '^(encryptionsalt|secretsprovider|encryptedkey):' "$ROOT/Pulumi.$stack.yaml" >"$work/Pulumi.$stack.yaml"
    if grep -q 'secure:' "$work/Pulumi.$stack.yaml"; then
        echo "rag-platform: note: secure config values (e.g. llmApiKey) are not rendered" >&2
        # Drop "key:\n    secure: ..." pairs and inline "key: {secure: ...}" entries.
        awk '{ line[NR] = $0 } END { for (i = 1; i <= NR; i++) { if (line[i + 1] ~ /^ +secure: /) { i++; continue } if (line[i] ~ /: *\{ *secure:/) continue; print line[i] } }' \
            "$work/Pulumi.$stack.yaml" >"$work/stack.yaml" && mv "$work/stack.yaml" "$work/Pulumi.$stack.yaml"
    fi
    rm -rf "$out"
    mkdir -p "$out"
    (
        cd "$work"
        export PULUMI_BACKEND_URL="file://$work/.state"
        export PULUMI_CONFIG_PASSPHRASE="render-$RANDOM$RANDOM"
        unset PULUMI_CONFIG_PASSPHRASE_FILE
        mkdir -p .state
        pulumi stack init "$stack" --secrets-provider passphrase >/dev/null
        pulumi config set --stack "$stack" rag-platform:renderYamlToDirectory "$out" >/dev/null
        mapfile -t policy < <(policy_args)
        pulumi up --stack "$stack" --yes --skip-preview --non-interactive "${policy[@]}" "${passthrough[@]}"
    )
    echo "rag-platform: manifests of stack $stack written to rendered/$stack/ ($(find "$out" -name '*.yaml' | wc -l) files)"
    echo "rag-platform: WARNING: rendered Secrets contain the generated passwords in plain text (base64). Keep rendered/ out of git and hand it to your GitOps tool through a secret store." >&2
    exit 0
fi

# --- state backend: yours if you are logged in, else a local folder in the repository ----------------------
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
    mkdir -p "$ROOT/.pulumi-state"
    export PULUMI_BACKEND_URL="file://$ROOT/.pulumi-state"
    echo "rag-platform: not logged in to a Pulumi backend; using local state in .pulumi-state/" >&2
fi

# --- a reachable cluster for up and destroy ---------------------------------------------------------------
if [ "$command" != preview ] && [ "${RAG_SKIP_CLUSTER_CHECK:-}" != 1 ]; then
    # The stack's pinned context (kubeContext, required in prod) if its file names one; dev may use the current one.
    pinned=$(sed -n 's/^  rag-platform:kubeContext: *//p' "$ROOT/Pulumi.$stack.yaml" 2>/dev/null | tr -d "\"'")
    if command -v kubectl >/dev/null 2>&1 && kubectl version --client >/dev/null 2>&1; then
        context=${pinned:-$(kubectl config current-context 2>/dev/null || echo "none")}
        kubectl ${pinned:+--context "$pinned"} --request-timeout=5s get --raw=/version >/dev/null 2>&1 ||
            die "no reachable Kubernetes cluster in kube context $context${pinned:+ (kubeContext of stack $stack)}; start one (kind, minikube, k3d) or run: npm run render -- --stack $stack"
    elif [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ]; then
        die "no kube context (no KUBECONFIG, no ~/.kube/config); point kubectl at a cluster or run: npm run render -- --stack $stack"
    fi
fi

cd "$ROOT"
if ! pulumi stack select "$stack" >/dev/null 2>&1; then
    if [ "$stack" = dev ]; then
        echo "rag-platform: creating stack dev (passphrase secrets provider)" >&2
        pulumi stack init dev --secrets-provider passphrase >/dev/null
    else
        die "stack $stack does not exist in this backend; create it with your secrets provider, e.g. PULUMI_CONFIG_PASSPHRASE=... pulumi stack init $stack --secrets-provider passphrase (or awskms://..., gcpkms://...)"
    fi
fi

case "$command" in
up | preview)
    mapfile -t policy < <(policy_args)
    exec pulumi "$command" --stack "$stack" "${policy[@]}" "${passthrough[@]}"
    ;;
destroy)
    exec pulumi destroy --stack "$stack" "${passthrough[@]}"
    ;;
esac
