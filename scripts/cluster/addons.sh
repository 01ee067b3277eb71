# shellcheck shell=bash
# Cluster add-ons (sourced by common.sh): local-path-provisioner for the `rancher.io/local-path`
# StorageClass the dev stack names, metrics-server (kubectl top, resource-metrics HPAs).

# local-path-provisioner, out of cluster (its helper pods run on the nodes). Volumes are node-local (a
# folder per node, the PV pinned to its node, like a laptop disk), or with CL_SHARED_VOLUMES=1 in one folder
# every node sees (`sharedFileSystemPath`: no node affinity, like network-attached storage, so a datastore's
# pod can move to another node with its data: the multi-node test's stand-in for EBS/PD/NFS).
cl_local_path_start() {
  local d=$CL_DIR/lpp n=${CL_NODES:-1} i map=""
  mkdir -p "$d"
  if [ "${CL_SHARED_VOLUMES:-0}" = 1 ]; then
    mkdir -p "$CL_DIR/volumes"
    printf '{ "sharedFileSystemPath": "%s" }\n' "$CL_DIR/volumes" >"$d/config.json"
  else
    for ((i = 1; i <= n; i++)); do
      mkdir -p "$(cl_node_dir "$i")/local-path"
      map+="${map:+, }{ \"node\": \"$(cl_node_name "$i")\", \"paths\": [\"$(cl_node_dir "$i")/local-path\"] }"
    done
    printf '{ "nodePathMap": [ %s ] }\n' "$map" >"$d/config.json"
  fi
  printf '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n' >"$d/setup"
  printf '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n' >"$d/teardown"
  cat >"$d/helperPod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  containers:
  - name: helper-pod
    image: $CL_BUSYBOX_IMAGE
    imagePullPolicy: Never
EOF
  kubectl create namespace local-path-storage >/dev/null 2>&1
  kubectl -n local-path-storage create serviceaccount local-path-provisioner >/dev/null 2>&1
  kubectl -n local-path-storage create configmap local-path-config --from-file="$d/config.json" \
    --from-file="$d/setup" --from-file="$d/teardown" --from-file="$d/helperPod.yaml" >/dev/null 2>&1
  cl_spawn local-path-provisioner - local-path-provisioner --debug start --kubeconfig "$KUBECONFIG" --config "$d/config.json" \
    --provisioner-name rancher.io/local-path --namespace local-path-storage \
    --configmap-name local-path-config --helper-image "$CL_BUSYBOX_IMAGE" \
    --service-account-name local-path-provisioner --helper-pod-file "$d/helperPod.yaml"
}

# metrics-server (image built here, images/metrics-server), as its upstream manifest deploys it, under
# restricted Pod Security; the kubelets' serving certificates are self-signed: --kubelet-insecure-tls.
cl_metrics_server_start() {
  kubectl apply -f - >"$CL_DIR/logs/metrics-server-apply.log" 2>&1 <<EOF || return 1
apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels: {k8s-app: metrics-server, rbac.authorization.k8s.io/aggregate-to-admin: "true", rbac.authorization.k8s.io/aggregate-to-edit: "true", rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:metrics-server, labels: {k8s-app: metrics-server}}
rules:
- {apiGroups: [""], resources: [nodes/metrics], verbs: [get]}
- {apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: metrics-server-auth-reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: metrics-server:system:auth-delegator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:metrics-server}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:metrics-server}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  ports: [{name: https, port: 443, protocol: TCP, targetPort: https}]
  selector: {k8s-app: metrics-server}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  selector: {matchLabels: {k8s-app: metrics-server}}
  strategy: {rollingUpdate: {maxUnavailable: 0}}
  template:
    metadata: {labels: {k8s-app: metrics-server}}
    spec:
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: metrics-server
        image: $CL_METRICS_SERVER_IMAGE
        imagePullPolicy: Never
        args: [--cert-dir=/tmp, --secure-port=10250, --kubelet-preferred-address-types=InternalIP,
          --kubelet-use-node-status-port, --metric-resolution=15s, --kubelet-insecure-tls]
        ports: [{containerPort: 10250, name: https, protocol: TCP}]
        readinessProbe: {httpGet: {path: /readyz, port: https, scheme: HTTPS}, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3}
        livenessProbe: {httpGet: {path: /livez, port: https, scheme: HTTPS}, periodSeconds: 10, failureThreshold: 3}
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        volumeMounts: [{mountPath: /tmp, name: tmp-dir}]
      volumes: [{name: tmp-dir, emptyDir: {}}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {k8s-app: metrics-server}}
spec:
  group: metrics.k8s.io
  groupPriorityMinimum: 100
  insecureSkipTLSVerify: true
  service: {name: metrics-server, namespace: kube-system}
  version: v1beta1
  versionPriority: 100
EOF
}

# metrics flow: the API answers and every node has a figure
cl_metrics_ready() { [ "$(kubectl top nodes --no-headers 2>/dev/null | wc -l)" -ge "${CL_NODES:-1}" ]; }

# --- NetworkPolicies enforced (CL_NETPOL=1) -------------------------------------------------------
# The engine is kube-router's network-policy controller alone (--run-firewall; no routing, no service proxy:
# the bridge CNI and kube-proxy stay), one per node, in the node's network namespace like kube-proxy: its
# iptables chains (KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-*) and ipsets live in that namespace and go with
# it at teardown; cl_leftovers also checks that none reached the host's. Same-node pod traffic crosses the CNI
# bridge, so br_netfilter's bridge-nf-call-iptables is on in each node namespace (network.sh).
# Why not kube-network-policies (kind's engine; the toolchain no longer builds it): it hands every new connection to user
# space through an nftables `queue`, and this kernel has no CONFIG_NFT_QUEUE (nft refuses the rule).
cl_netpol_start() {
  local i
  for ((i = 1; i <= ${CL_NODES:-1}; i++)); do
    cl_spawn "n$i-kube-router" "$(cl_netns "$i")" kube-router --kubeconfig "$KUBECONFIG" \
      --hostname-override "$(cl_node_name "$i")" --run-firewall=true --run-router=false --run-service-proxy=false \
      --enable-cni=false --enable-ipv4=true --enable-ipv6=false --service-cluster-ip-range "$CL_SERVICE_CIDR" \
      --health-port 20244 --metrics-port 0 --iptables-sync-period 5m --v 1
  done
  for ((i = 1; i <= ${CL_NODES:-1}; i++)); do
    cl_wait 60 cl_netpol_synced "$i" || {
      echo "node $i: kube-router's network-policy controller did not install its chains; last lines of its log:" >&2
      tail -n 20 "$CL_DIR/logs/n$i-kube-router.log" >&2
      return 1
    }
  done
}
# the controller's top-level chains are in node I's filter table and hooked into FORWARD
cl_netpol_synced() { ip netns exec "$(cl_netns "$1")" iptables -S FORWARD 2>/dev/null | grep -q -- '-j KUBE-ROUTER-FORWARD'; }

# Cluster DNS as real clusters serve it: CoreDNS pods in kube-system (label k8s-app=kube-dns) behind the
# Service kube-dns at CL_DNS_IP (the kubelets' clusterDNS). The binary is the toolchain's (hostPath, read
# only, in the busybox image), the API through the admin kubeconfig (a copy in the state folder); nothing is
# forwarded (every name outside cluster.local is NXDOMAIN, no query leaves the machine).
cl_cluster_dns_start() {
  local d=$CL_DIR/coredns/pod replicas=1
  [ "${CL_NODES:-1}" -gt 1 ] && replicas=2
  mkdir -p "$d"
  cp "$KUBECONFIG" "$d/kubeconfig"
  cat >"$d/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig /etc/coredns/kubeconfig
        pods insecure
        ttl 5
    }
}
.:53 {
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  kubectl apply -f - >"$CL_DIR/logs/cluster-dns-apply.log" 2>&1 <<EOF || return 1
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $CL_DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: $replicas
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      automountServiceAccountToken: false
      enableServiceLinks: false
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {k8s-app: kube-dns}}}
      containers:
      - name: coredns
        image: $CL_BUSYBOX_IMAGE
        imagePullPolicy: Never
        command: [/coredns/coredns, -conf, /etc/coredns/Corefile, -dns.port, "53"]
        ports: [{containerPort: 53, name: dns, protocol: UDP}, {containerPort: 53, name: dns-tcp, protocol: TCP}]
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
        resources: {requests: {cpu: 20m, memory: 32Mi}, limits: {memory: 128Mi}}
        volumeMounts:
        - {name: binary, mountPath: /coredns/coredns, readOnly: true}
        - {name: config, mountPath: /etc/coredns, readOnly: true}
      volumes:
      - {name: binary, hostPath: {path: $(command -v coredns), type: File}}
      - {name: config, hostPath: {path: $d, type: Directory}}
EOF
  cl_wait 120 kubectl -n kube-system rollout status deployment/coredns --timeout=5s || {
    echo "cluster DNS: the CoreDNS pods did not become Ready" >&2
    kubectl -n kube-system get pods -o wide >&2
    return 1
  }
}
