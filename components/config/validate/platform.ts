// Validators of the platform-wide sections: namespace, storage, ingress, network, secrets, protection.
import { Checker, PROVISIONER } from "../checker";
import { isQualifiedName } from "../k8s-validation";
import { APP_DATA_KEYS, INGRESS_KEYS, INGRESS_TLS_KEYS, NETWORK_POLICY_KEYS, PlatformConfig, STORAGE_KEYS } from "../types";
import { validateIngressAnnotations } from "./workload-options";

export function validateNamespace(check: Checker, cfg: PlatformConfig): void {
    check.dnsLabel("namespace", cfg.namespace, "a namespace name");
}

export function validateStorage(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("storage", cfg.storage, STORAGE_KEYS);
    check.bool("storage.createClass", cfg.storage.createClass);
    // The API server checks IsQualifiedName(lower-case provisioner) (pkg/apis/storage/validation validateProvisioner).
    if (
        !isQualifiedName(String(cfg.storage.provisioner).toLowerCase()) ||
        typeof cfg.storage.provisioner !== "string" ||
        !PROVISIONER.test(cfg.storage.provisioner)
    ) {
        check.fail(
            "storage.provisioner",
            cfg.storage.provisioner,
            "must be a provisioner name such as ebs.csi.aws.com or rancher.io/local-path (the name part at most 63 characters)",
        );
    }
    check.stringMap("storage.parameters", cfg.storage.parameters);
    check.oneOf("storage.reclaimPolicy", cfg.storage.reclaimPolicy, ["Retain", "Delete"]);
    check.bool("storage.allowVolumeExpansion", cfg.storage.allowVolumeExpansion);
    check.unknownKeys("storage.appData", cfg.storage.appData, APP_DATA_KEYS);
    check.quantity("storage.appData.size", cfg.storage.appData?.size, "storage");
    check.oneOf("storage.appData.accessMode", cfg.storage.appData?.accessMode, ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]);
    if (cfg.storage.appData?.storageClassName !== undefined) {
        check.dnsSubdomain("storage.appData.storageClassName", cfg.storage.appData.storageClassName, "a StorageClass name");
    }
    if (cfg.environment === "prod" && cfg.storage.reclaimPolicy !== "Retain") {
        check.fail("storage.reclaimPolicy", cfg.storage.reclaimPolicy, `must be "Retain" in prod, so that deleting a claim keeps the data`);
    }
}

export function validateIngress(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("ingress", cfg.ingress, INGRESS_KEYS);
    validateIngressAnnotations(check, cfg.ingress);
    check.bool("ingress.enabled", cfg.ingress.enabled);
    check.dnsSubdomain("ingress.className", cfg.ingress.className, "an IngressClass name");
    if (cfg.ingress.host === undefined && cfg.environment === "prod") {
        check.fail("ingress.host", undefined, "is required in prod: the public host name of the platform, e.g. rag.example.com");
    } else {
        check.dnsSubdomain("ingress.host", cfg.ingress.host, "a DNS host name such as rag.example.com (no scheme, port or path)");
    }
    check.unknownKeys("ingress.tls", cfg.ingress.tls, INGRESS_TLS_KEYS);
    check.bool("ingress.tls.enabled", cfg.ingress.tls?.enabled);
    check.dnsSubdomain("ingress.tls.secretName", cfg.ingress.tls?.secretName, "a Secret name");
    if (cfg.ingress.tls?.clusterIssuer !== undefined) {
        check.dnsSubdomain("ingress.tls.clusterIssuer", cfg.ingress.tls?.clusterIssuer, "a cert-manager ClusterIssuer name");
    }
    if (cfg.environment === "prod") {
        if (cfg.ingress.tls?.enabled !== true) {
            check.fail("ingress.tls.enabled", cfg.ingress.tls?.enabled, "must be true in prod");
        }
        if (cfg.ingress.tls?.clusterIssuer === undefined) {
            check.fail("ingress.tls.clusterIssuer", undefined, "is required in prod: the cert-manager ClusterIssuer that issues the certificate");
        }
    }
    check.int("ingress.rateLimitRps", cfg.ingress.rateLimitRps, 1, 100_000);
    if (typeof cfg.ingress.proxyBodySize !== "string" || !/^\d+[kKmMgG]?$/.test(cfg.ingress.proxyBodySize)) {
        check.fail("ingress.proxyBodySize", cfg.ingress.proxyBodySize, `must be an nginx size such as "50m" or "1g"`);
    }
    check.int("ingress.proxyTimeoutSeconds", cfg.ingress.proxyTimeoutSeconds, 1, 3600);
    check.stringList(
        "ingress.corsOrigins",
        cfg.ingress.corsOrigins,
        /^(https?:\/\/[a-z0-9.-]+(:\d+)?|\*)$/,
        `must be an origin such as "https://app.example.com"`,
    );
    // A wildcard lets any web site call the API with its users' browsers; prod names its origins.
    if (cfg.environment === "prod" && Array.isArray(cfg.ingress.corsOrigins)) {
        cfg.ingress.corsOrigins.forEach((o, i) => {
            if (o === "*") {
                check.fail(`ingress.corsOrigins[${i}]`, o, `must not be "*" in prod: list the origins that may call the API, e.g. "https://app.example.com"`);
            }
        });
    }
}

export function validateNetworkPolicy(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("networkPolicy", cfg.networkPolicy, NETWORK_POLICY_KEYS);
    check.dnsLabel("networkPolicy.ingressControllerNamespace", cfg.networkPolicy.ingressControllerNamespace, "a namespace name");
    check.bool("networkPolicy.allowExternalHttps", cfg.networkPolicy.allowExternalHttps);
}

export function validateImagePullSecrets(check: Checker, cfg: PlatformConfig): void {
    if (!Array.isArray(cfg.imagePullSecrets)) {
        check.fail("imagePullSecrets", cfg.imagePullSecrets, "must be a list");
        return;
    }
    cfg.imagePullSecrets.forEach((s, i) => check.dnsSubdomain(`imagePullSecrets[${i}]`, s, "a Secret name"));
}

export function validateSecretsRotation(check: Checker, cfg: PlatformConfig): void {
    check.string(
        "secretsRotation",
        cfg.secretsRotation,
        /^\S{1,64}$/,
        "must be a non-empty token of at most 64 characters; change it to rotate every generated secret",
    );
}

/**
 * The kube context is pinned in prod, so that a preview or up cannot reach whatever cluster the current
 * context points at; render mode touches no cluster and needs none. Context names are free-form in a
 * kubeconfig (EKS: arn:aws:eks:…:cluster/name, GKE: gke_project_zone_name): non-empty, no whitespace.
 */
export function validateKubeContext(check: Checker, cfg: PlatformConfig): void {
    if (cfg.kubeContext === undefined) {
        if (cfg.environment === "prod" && cfg.renderYamlToDirectory === undefined) {
            check.fail(
                "kubeContext",
                undefined,
                "is required in prod: the kubeconfig context of the prod cluster (kubectl config get-contexts), so that no other cluster is touched",
            );
        }
        return;
    }
    check.string("kubeContext", cfg.kubeContext, /^\S{1,253}$/, "must be a kubeconfig context name: no whitespace, at most 253 characters");
}

export function validateProtectStateful(check: Checker, cfg: PlatformConfig): void {
    if (cfg.environment === "prod" && !cfg.protectStateful) {
        check.fail("protectStateful", cfg.protectStateful, "must be true in prod");
    }
}
