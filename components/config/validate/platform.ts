// Validators of the platform-wide sections: namespace, storage, ingress, network, secrets, protection.
import { Checker, DNS_LABEL, DNS_SUBDOMAIN, PROVISIONER } from "../checker";
import { APP_DATA_KEYS, INGRESS_KEYS, INGRESS_TLS_KEYS, NETWORK_POLICY_KEYS, PlatformConfig, STORAGE_KEYS } from "../types";

export function validateNamespace(check: Checker, cfg: PlatformConfig): void {
    check.string("namespace", cfg.namespace, DNS_LABEL, "must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
    if (typeof cfg.namespace === "string" && cfg.namespace.length > 63) {
        check.fail("namespace", cfg.namespace, "must be at most 63 characters");
    }
}

export function validateStorage(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("storage", cfg.storage, STORAGE_KEYS);
    check.bool("storage.createClass", cfg.storage.createClass);
    check.string("storage.provisioner", cfg.storage.provisioner, PROVISIONER, "must be a provisioner name such as ebs.csi.aws.com or rancher.io/local-path");
    check.stringMap("storage.parameters", cfg.storage.parameters);
    check.oneOf("storage.reclaimPolicy", cfg.storage.reclaimPolicy, ["Retain", "Delete"]);
    check.bool("storage.allowVolumeExpansion", cfg.storage.allowVolumeExpansion);
    check.unknownKeys("storage.appData", cfg.storage.appData, APP_DATA_KEYS);
    check.quantity("storage.appData.size", cfg.storage.appData?.size, "storage");
    check.oneOf("storage.appData.accessMode", cfg.storage.appData?.accessMode, ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]);
    if (cfg.storage.appData?.storageClassName !== undefined) {
        check.string("storage.appData.storageClassName", cfg.storage.appData.storageClassName, DNS_SUBDOMAIN, "must be a StorageClass name (DNS subdomain)");
    }
    if (cfg.environment === "prod" && cfg.storage.reclaimPolicy !== "Retain") {
        check.fail("storage.reclaimPolicy", cfg.storage.reclaimPolicy, `must be "Retain" in prod, so that deleting a claim keeps the data`);
    }
}

export function validateIngress(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("ingress", cfg.ingress, INGRESS_KEYS);
    check.bool("ingress.enabled", cfg.ingress.enabled);
    check.string("ingress.className", cfg.ingress.className, DNS_SUBDOMAIN, "must be an IngressClass name");
    if (cfg.ingress.host === undefined && cfg.environment === "prod") {
        check.fail("ingress.host", undefined, "is required in prod: the public host name of the platform, e.g. rag.example.com");
    } else {
        check.string("ingress.host", cfg.ingress.host, DNS_SUBDOMAIN, "must be a lower-case DNS host name such as rag.example.com (no scheme, port or path)");
    }
    check.unknownKeys("ingress.tls", cfg.ingress.tls, INGRESS_TLS_KEYS);
    check.bool("ingress.tls.enabled", cfg.ingress.tls?.enabled);
    check.string("ingress.tls.secretName", cfg.ingress.tls?.secretName, DNS_SUBDOMAIN, "must be a Secret name");
    if (cfg.ingress.tls?.clusterIssuer !== undefined) {
        check.string("ingress.tls.clusterIssuer", cfg.ingress.tls?.clusterIssuer, DNS_SUBDOMAIN, "must be a cert-manager ClusterIssuer name");
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
}

export function validateNetworkPolicy(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("networkPolicy", cfg.networkPolicy, NETWORK_POLICY_KEYS);
    check.string("networkPolicy.ingressControllerNamespace", cfg.networkPolicy.ingressControllerNamespace, DNS_LABEL, "must be a namespace name");
    check.bool("networkPolicy.allowExternalHttps", cfg.networkPolicy.allowExternalHttps);
}

export function validateImagePullSecrets(check: Checker, cfg: PlatformConfig): void {
    check.stringList("imagePullSecrets", cfg.imagePullSecrets, DNS_SUBDOMAIN, "must be a Secret name");
}

export function validateSecretsRotation(check: Checker, cfg: PlatformConfig): void {
    check.string(
        "secretsRotation",
        cfg.secretsRotation,
        /^\S{1,64}$/,
        "must be a non-empty token of at most 64 characters; change it to rotate every generated secret",
    );
}

export function validateProtectStateful(check: Checker, cfg: PlatformConfig): void {
    if (cfg.environment === "prod" && !cfg.protectStateful) {
        check.fail("protectStateful", cfg.protectStateful, "must be true in prod");
    }
}
