import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressConfig } from "../config";
import { Identity, metadata, objectName } from "../shared";

export interface PlatformIngressArgs {
    identity: Identity;
    config: IngressConfig;
    api: { serviceName: pulumi.Input<string>; port: number };
    frontend: { serviceName: pulumi.Input<string>; port: number };
    apiBasePath: string;
}

/** ingress-nginx annotations for TLS, rate limiting, body size, timeouts and CORS, over the stack's extra ones (validated: none overrides these). */
export function ingressAnnotations(config: IngressConfig): Record<string, string> {
    const nginx = "nginx.ingress.kubernetes.io";
    const annotations: Record<string, string> = {
        ...(config.extraAnnotations ?? {}),
        [`${nginx}/limit-rps`]: `${config.rateLimitRps}`,
        [`${nginx}/limit-burst-multiplier`]: "3",
        [`${nginx}/proxy-body-size`]: config.proxyBodySize,
        [`${nginx}/proxy-connect-timeout`]: "10",
        [`${nginx}/proxy-read-timeout`]: `${config.proxyTimeoutSeconds}`,
        [`${nginx}/proxy-send-timeout`]: `${config.proxyTimeoutSeconds}`,
        [`${nginx}/ssl-redirect`]: `${config.tls.enabled}`,
        [`${nginx}/force-ssl-redirect`]: `${config.tls.enabled}`,
    };
    if (config.tls.enabled && config.tls.clusterIssuer) {
        annotations["cert-manager.io/cluster-issuer"] = config.tls.clusterIssuer;
    }
    if (config.corsOrigins.length > 0) {
        annotations[`${nginx}/enable-cors`] = "true";
        annotations[`${nginx}/cors-allow-origin`] = config.corsOrigins.join(", ");
        annotations[`${nginx}/cors-allow-methods`] = "GET, POST, PUT, DELETE, OPTIONS";
        annotations[`${nginx}/cors-allow-credentials`] = "true";
    }
    return annotations;
}

/** One host: `/api` to the RAG API, `/` to the frontend; TLS from cert-manager when enabled. */
export class PlatformIngress extends pulumi.ComponentResource {
    readonly host: string;
    readonly url: string;

    constructor(name: string, args: PlatformIngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PlatformIngress", name, {}, opts);
        const { identity, config } = args;
        const backend = (svc: { serviceName: pulumi.Input<string>; port: number }) => ({
            service: { name: svc.serviceName, port: { number: svc.port } },
        });
        new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: metadata(identity, objectName(identity.instance), ingressAnnotations(config)),
                spec: {
                    ingressClassName: config.className,
                    ...(config.tls.enabled ? { tls: [{ hosts: [config.host], secretName: config.tls.secretName }] } : {}),
                    rules: [
                        {
                            host: config.host,
                            http: {
                                paths: [
                                    { path: args.apiBasePath, pathType: "Prefix", backend: backend(args.api) },
                                    { path: "/", pathType: "Prefix", backend: backend(args.frontend) },
                                ],
                            },
                        },
                    ],
                },
            },
            { parent: this },
        );
        this.host = config.host;
        this.url = `${config.tls.enabled ? "https" : "http"}://${config.host}`;
        this.registerOutputs({ host: this.host, url: this.url });
    }
}
