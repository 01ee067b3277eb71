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
