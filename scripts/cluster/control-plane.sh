# shellcheck shell=bash
# The control plane (sourced by common.sh): certificates, etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler. Without nodes (CL_NODES=0, the admission-only e2e) the API server listens on 127.0.0.1;
# with nodes on the bridge's gateway, where the nodes' kubelets and the pods (Service `kubernetes`) reach it.

# cl_certs: a CA, the API server's serving certificate, an admin client certificate (system:masters), the
# service-account key pair, and a front-proxy CA + client for aggregated APIs (metrics-server)
cl_certs() {
  local d=$CL_DIR/pki
  mkdir -p "$d"
  (
    cd "$d" || exit 1
    ossl() { openssl "$@" 2>/dev/null; }
    ossl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rag-$CL_NAME-ca" -keyout ca.key -out ca.crt
    ossl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr
    printf 'subjectAltName=IP:127.0.0.1,IP:%s,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
      "$CL_GW" "$CL_SERVICE_IP1" >apiserver.ext
    ossl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile apiserver.ext -out apiserver.crt
    ossl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=rag-admin" -keyout admin.key -out admin.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    ossl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out admin.crt
    ossl genrsa -out sa.key 2048
    ossl rsa -in sa.key -pubout -out sa.pub
    ossl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rag-$CL_NAME-front-proxy-ca" -keyout front-proxy-ca.key -out front-proxy-ca.crt
    ossl req -newkey rsa:2048 -nodes -subj "/CN=front-proxy-client" -keyout front-proxy-client.key -out front-proxy-client.csr
    ossl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial -days 30 \
      -extfile client.ext -out front-proxy-client.crt
    rm -f ./*.csr
  )
  [ -s "$d/admin.crt" ] && [ -s "$d/front-proxy-client.crt" ]
}

# cl_kubeconfig FILE CONTEXT: the admin kubeconfig (embedded certificates)
cl_kubeconfig() {
  local d=$CL_DIR/pki
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $2
  cluster:
    server: $CL_API_URL
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: $2-admin
  user:
    client-certificate-data: $(base64 -w0 <"$d/admin.crt")
    client-key-data: $(base64 -w0 <"$d/admin.key")
contexts:
- name: $2
  context: {cluster: $2, user: $2-admin}
current-context: $2
EOF
}

cl_wait_https() { # URL SECONDS LOG
  local d=$CL_DIR/pki
  cl_wait "$2" curl -fsS --max-time 2 --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" "$1" && return 0
  echo "timed out waiting for $1; last lines of $3:" >&2
  tail -n 30 "$3" >&2
  return 1
}

# cl_control_plane_start: etcd, kube-apiserver, kube-controller-manager (unless CL_CONTROLLER_MANAGER=0),
# kube-scheduler when the cluster has nodes. Sets CL_API_URL and KUBECONFIG (exported).
cl_control_plane_start() {
  local d=$CL_DIR etcd_port peer_port api_port bind
  mkdir -p "$d/etcd"
  cl_certs || { echo "cluster: could not make certificates" >&2; return 1; }
  etcd_port=$(cl_free_port)
  peer_port=$(cl_free_port)
  cl_spawn etcd - etcd --name "rag-$CL_NAME" --data-dir "$d/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "rag-$CL_NAME=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
  cl_wait 30 curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" || { tail -n 20 "$d/logs/etcd.log" >&2; return 1; }

  bind=127.0.0.1
  [ "${CL_NODES:-0}" -gt 0 ] && bind=$CL_GW
  api_port=${CL_API_PORT:-$(cl_free_port)}
  local p=$d/pki
  # shellcheck disable=SC2086
  cl_spawn kube-apiserver - kube-apiserver \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address "$bind" --advertise-address "$bind" --secure-port "$api_port" \
    --cert-dir "$p" --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --client-ca-file "$p/ca.crt" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins PodSecurity \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --service-cluster-ip-range "$CL_SERVICE_CIDR" \
    --allow-privileged="${CL_ALLOW_PRIVILEGED:-false}" \
    --enable-priority-and-fairness=false \
    --kubelet-preferred-address-types InternalIP \
    --requestheader-client-ca-file "$p/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
    --requestheader-username-headers X-Remote-User \
    --proxy-client-cert-file "$p/front-proxy-client.crt" --proxy-client-key-file "$p/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    ${CL_APISERVER_ARGS:-}
  CL_API_URL="https://$bind:$api_port"
  KUBECONFIG=$d/kubeconfig
  export KUBECONFIG CL_API_URL
  cl_kubeconfig "$KUBECONFIG" "rag-$CL_NAME"
  cl_wait_https "$CL_API_URL/readyz" 90 "$d/logs/kube-apiserver.log" || return 1

  if [ "${CL_CONTROLLER_MANAGER:-1}" = 1 ]; then
    cl_spawn kube-controller-manager - kube-controller-manager \
      --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
      --leader-elect=false --secure-port 0 \
      --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
      --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
      --use-service-account-credentials=false \
      --controllers '*,-bootstrapsigner,-tokencleaner' \
      --concurrent-gc-syncs 5 --namespace-sync-period 10s \
      ${CL_CONTROLLER_MANAGER_ARGS:-}
  fi
  if [ "${CL_NODES:-0}" -gt 0 ] || [ "${CL_SCHEDULER:-0}" = 1 ]; then
    cl_spawn kube-scheduler - kube-scheduler --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
      --authorization-kubeconfig "$KUBECONFIG" --leader-elect=false --secure-port 0
  fi
  return 0
}

# The node-monitoring settings in force (upstream defaults unless CL_CONTROLLER_MANAGER_ARGS changes them),
# read from the binaries' own help, so that what is printed is what runs.
cl_node_monitoring() {
  local kcm grace period
  kcm=$(kube-controller-manager --help 2>&1)
  grace=$(grep -oE -- '--node-monitor-grace-period duration[^(]*\(default [^)]*\)' <<<"$kcm" | grep -oE 'default [^)]*' | cut -d' ' -f2)
  period=$(grep -oE -- '--node-monitor-period duration[^(]*\(default [^)]*\)' <<<"$kcm" | grep -oE 'default [^)]*' | cut -d' ' -f2)
  echo "node-monitor-period=${period:-?} node-monitor-grace-period=${grace:-?} (kube-controller-manager defaults${CL_CONTROLLER_MANAGER_ARGS:+, overridden: $CL_CONTROLLER_MANAGER_ARGS}); kubelet nodeStatusUpdateFrequency=10s and a node lease renewed every 10s (kubelet defaults); pods tolerate not-ready/unreachable for 300s unless they say otherwise (DefaultTolerationSeconds admission)"
}
