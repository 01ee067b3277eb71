// The two Services every StatefulSet here gets: a headless one (the StatefulSet's serviceName, stable pod
// DNS) and a ClusterIP one for clients. Datastores and model servers share this; only the headless
// Service's treatment of not-ready pods differs.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectName } from "./naming";
import { ContainerArgs, Identity, labels, selectorLabels, serviceMetadata } from "./workload";

/** Label on headless Services, so that ServiceMonitors select only the client Service (no double scraping). */
export const HEADLESS_LABEL = "rag-platform/headless";

export interface StatefulServicesArgs {
    identity: Identity;
    /** Every port of the container is exposed by both Services, by name. */
    containerPorts: NonNullable<ContainerArgs["ports"]>;
    /** Publish pods in DNS before they are Ready (peers that must find each other to become Ready). @default false */
    publishNotReadyAddresses?: boolean;
}

/** Creates both Services under `parent`; the client Service is named like the workload. */
export function statefulServices(
    name: string,
    { identity, containerPorts, publishNotReadyAddresses }: StatefulServicesArgs,
    parent: pulumi.Resource,
): { headless: k8s.core.v1.Service; client: k8s.core.v1.Service } {
    const ports = containerPorts.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name, protocol: "TCP" }));
    const headless = new k8s.core.v1.Service(
        `${name}-headless`,
        {
            metadata: { ...serviceMetadata(identity, objectName(identity, "headless")), labels: { ...labels(identity), [HEADLESS_LABEL]: "true" } },
            spec: { clusterIP: "None", ...(publishNotReadyAddresses ? { publishNotReadyAddresses } : {}), selector: selectorLabels(identity), ports },
        },
        { parent },
    );
    const client = new k8s.core.v1.Service(
        `${name}-service`,
        { metadata: serviceMetadata(identity, objectName(identity)), spec: { type: "ClusterIP", selector: selectorLabels(identity), ports } },
        { parent },
    );
    return { headless, client };
}
