#!/usr/bin/env bash
# Prints the paths of the CustomResourceDefinitions the platform's optional objects need, taken from the
# upstream Go modules through the module proxy (cached in the toolchain's module cache, no other download):
#   github.com/prometheus-operator/prometheus-operator  example/prometheus-operator-crd/  ServiceMonitor, PrometheusRule
#   k8s.io/autoscaler/vertical-pod-autoscaler           deploy/vpa-v1-crd-gen.yaml        VerticalPodAutoscaler
#   github.com/external-secrets/external-secrets        config/crds/bases/                ExternalSecret (v1)
# With --module MODULE@VERSION it prints that module's directory instead (e2e/lib/monitoring.sh reads
# kube-state-metrics' upstream manifests there).
set -euo pipefail
PROMETHEUS_OPERATOR_VERSION=v0.85.0
VPA_VERSION=v1.8.1
EXTERNAL_SECRETS_VERSION=v1.3.2
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export GOMODCACHE=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/go/mod GOFLAGS=-mod=mod GOTOOLCHAIN=local
export PATH="$PATH:/usr/local/go/bin"
module_dir() { (cd "${TMPDIR:-/tmp}" && go mod download -json "$1") | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'; }
if [ "${1:-}" = --module ]; then
  d=$(module_dir "$2") && [ -d "$d" ] && echo "$d" && exit 0
  echo "module $2 not downloaded" >&2 && exit 1
fi
po=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
vpa=$(module_dir "k8s.io/autoscaler/vertical-pod-autoscaler@$VPA_VERSION")
eso=$(module_dir "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION")
for f in "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
  "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
  "$vpa/deploy/vpa-v1-crd-gen.yaml" \
  "$eso/config/crds/bases/external-secrets.io_externalsecrets.yaml"; do
  [ -f "$f" ] || { echo "missing $f" >&2; exit 1; }
  echo "$f"
done
