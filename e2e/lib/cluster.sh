# shellcheck shell=bash
# A throw-away Kubernetes control plane on loopback: etcd, kube-apiserver (TLS with a generated CA,
# admin client certificate in system:masters, Pod Security admission, service-account keys) and
# kube-controller-manager (ReplicaSets, garbage collector, namespace deletion). No kubelet and no
# scheduler here: Pods are created (so Pod Security admission is enforced on them) but stay Pending,
# unless e2e/lib/node.sh adds a node.
#
# Needs: etcd, kube-apiserver, kube-controller-manager on PATH, openssl, curl, python3.
# Use: cluster_start DIR  (exports KUBECONFIG, CLUSTER_API_URL)   ...   cluster_stop
# The API server reaches kubelets (e2e/lib/node.sh) by InternalIP only: never a host name lookup.

CLUSTER_PIDS=()
CLUSTER_DIR=

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cluster_certs() {
  local d=$1
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e2e-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=e2e-admin" -keyout admin.key -out admin.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

cluster_kubeconfig() { # DIR URL
  local d=$1 url=$2
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $url
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $(base64 -w0 <"$d/admin.crt")
    client-key-data: $(base64 -w0 <"$d/admin.key")
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
}

wait_http() { # URL SECONDS LOGFILE [curl args...]
  local url=$1 secs=$2 logf=$3
  shift 3
  local i
  for ((i = 0; i < secs * 2; i++)); do
    if curl -fsS --max-time 2 "$@" "$url" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $url; last lines of $logf:" >&2
  tail -n 40 "$logf" >&2
  return 1
}

cluster_start() { # DIR
  CLUSTER_DIR=$1
  local d=$CLUSTER_DIR
  mkdir -p "$d/etcd" "$d/certs"
  cluster_certs "$d"
  local etcd_port peer_port api_port
  etcd_port=$(free_port)
  peer_port=$(free_port)
  api_port=$(free_port)

  etcd --name e2e --data-dir "$d/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn \
    >"$d/etcd.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  wait_http "http://127.0.0.1:$etcd_port/health" 30 "$d/etcd.log" || return 1

  kube-apiserver \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$d/certs" --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
    --client-ca-file "$d/ca.crt" \
    --authorization-mode RBAC \
    --enable-admission-plugins PodSecurity \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=false \
    --enable-priority-and-fairness=false \
    --kubelet-preferred-address-types InternalIP \
    ${CLUSTER_APISERVER_ARGS:-} \
    >"$d/kube-apiserver.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  CLUSTER_API_URL="https://127.0.0.1:$api_port"
  cluster_kubeconfig "$d" "$CLUSTER_API_URL"
  export KUBECONFIG=$d/kubeconfig CLUSTER_API_URL
  wait_http "$CLUSTER_API_URL/readyz" 90 "$d/kube-apiserver.log" \
    --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" || return 1

  if [ "${E2E_CONTROLLER_MANAGER:-1}" = 1 ]; then
    kube-controller-manager \
      --kubeconfig "$d/kubeconfig" --authentication-kubeconfig "$d/kubeconfig" --authorization-kubeconfig "$d/kubeconfig" \
      --leader-elect=false --secure-port 0 \
      --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
      --cluster-signing-cert-file "$d/ca.crt" --cluster-signing-key-file "$d/ca.key" \
      --use-service-account-credentials=false \
      --controllers '*,-bootstrapsigner,-tokencleaner' \
      --concurrent-gc-syncs 5 --namespace-sync-period 10s \
      >"$d/kube-controller-manager.log" 2>&1 &
    CLUSTER_PIDS+=($!)
  fi
}

cluster_curl() { # PATH [curl args]
  local p=$1
  shift
  curl -sS --cacert "$CLUSTER_DIR/ca.crt" --cert "$CLUSTER_DIR/admin.crt" --key "$CLUSTER_DIR/admin.key" "$@" "$CLUSTER_API_URL$p"
}

cluster_stop() {
  local pid i
  # reverse order: controller-manager, apiserver, etcd
  for ((i = ${#CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${CLUSTER_PIDS[$i]}
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${CLUSTER_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
}
