import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isIP } from "net";
import type { NetworkPolicyConfig } from "../config";
import type { Endpoint } from "../shared";
import { Identity, metadata, objectName } from "../shared";

type Rule = k8s.types.input.networking.v1.NetworkPolicySpec;
type Port = k8s.types.input.networking.v1.NetworkPolicyPort;

/** A server in the namespace (a model server, PostgreSQL for the backup, ...) and the components allowed to call it. */
export interface ServerAccess {
    /** The server's component label and its API port (not its metrics port). */
    server: Endpoint;
    clients: string[];
}

export interface NetworkPoliciesArgs {
    /** Identity of the platform (component "network-policy"). */
    identity: Identity;
    config: NetworkPolicyConfig;
    api: Endpoint;
    frontend: Endpoint;
    indexer: { component: string };
    /** The in-cluster datastores (may be none). */
    datastores: Endpoint[];
    /** Datastores outside the cluster: the API and the indexer may open connections to each one's host and port. */
    externalDatastores?: { name: string; host: string; port: number }[];
    /** Extra ingress: e.g. the monitoring namespace to metrics ports; no `fromNamespace` means any source (NodePorts). */
    extraIngress?: { name: string; fromNamespace?: string; to: Endpoint[] }[];
    /** In-cluster model servers: only their clients may reach them; they may download weights over HTTPS. */
    modelServers?: ServerAccess[];
    /** More client -> server pairs (e.g. the backup to PostgreSQL): an ingress and an egress policy each. */
    extraAccess?: ServerAccess[];
    /** Egress out of the cluster on one TCP port (e.g. the backup's S3 endpoint). */
    externalEgress?: { name: string; from: string[]; port: number }[];
}

/**
 * The Kubernetes API server's ports: 443 (the `kubernetes` Service) and 6443 (the usual port of the servers
 * behind it). NetworkPolicy sees the address after the Service is resolved, which varies by cluster (a managed
 * control plane's, or a node's): the rule names the ports, to any destination, from the clients' pods only.
 */
export const KUBE_API_PORTS = [443, 6443];

/**
 * Egress to an external datastore. An IP literal: that address only (/32, IPv6 /128) on its port. A DNS name:
 * NetworkPolicy matches addresses, never names, and the name's addresses are neither known at deploy time nor
 * fixed (managed databases fail over to new addresses), and may well be private (a VPC): the rule can only
 * name the port, to any destination. Still scoped: only the API and indexer pods, only that TCP port.
 */
export function externalEgress(ext: { host: string; port: number }): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
    const ports: Port[] = [{ protocol: "TCP", port: ext.port }];
    const family = isIP(ext.host);
    return family === 0 ? { ports } : { to: [{ ipBlock: { cidr: `${ext.host}/${family === 4 ? 32 : 128}` } }], ports };
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"];

/**
 * Zero trust inside the namespace: deny all ingress and egress, then allow exactly the platform's traffic —
 * DNS for everyone, the ingress controller to the API and frontend, the API and indexer to the datastores
 * (in the cluster, or an external one's host and port), and (optionally) the API and indexer out to HTTPS endpoints outside the cluster.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    readonly policyNames: pulumi.Output<string>[] = [];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:NetworkPolicies", name, {}, opts);
        const { identity } = args;
        const instance = identity.instance;
        const pods = (...components: string[]) => ({
            matchLabels: { "app.kubernetes.io/instance": instance },
            matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: components }],
        });
        const tcp = (endpoints: Endpoint[]): Port[] => [...new Set(endpoints.flatMap((e) => e.ports))].map((port) => ({ protocol: "TCP", port }));
        const namespace = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
        const clients = [args.api.component, args.indexer.component];

        const policies: Record<string, Rule> = {
            "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            "allow-dns": {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [namespace("kube-system")],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
            "allow-ingress-controller": {
                podSelector: pods(args.api.component, args.frontend.component),
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespace(args.config.ingressControllerNamespace)], ports: tcp([args.api, args.frontend]) }],
            },
        };
        if (args.datastores.length > 0) {
            policies["allow-datastore-clients"] = {
                podSelector: pods(...args.datastores.map((d) => d.component)),
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: pods(...clients) }], ports: tcp(args.datastores) }],
            };
            policies["allow-clients-to-datastores"] = {
                podSelector: pods(...clients),
                policyTypes: ["Egress"],
                egress: [{ to: [{ podSelector: pods(...args.datastores.map((d) => d.component)) }], ports: tcp(args.datastores) }],
            };
        }
        for (const ext of args.externalDatastores ?? []) {
            policies[`allow-clients-to-external-${ext.name}`] = { podSelector: pods(...clients), policyTypes: ["Egress"], egress: [externalEgress(ext)] };
        }
        if (args.config.allowExternalHttps) {
            policies["allow-external-https"] = {
                podSelector: pods(...clients),
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }], ports: [{ protocol: "TCP", port: 443 }] }],
            };
        }
        for (const { server, clients: callers } of [...(args.modelServers ?? []), ...(args.extraAccess ?? [])]) {
            policies[`allow-${server.component}-clients`] = {
                podSelector: pods(server.component),
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: pods(...callers) }], ports: tcp([server]) }],
            };
            policies[`allow-clients-to-${server.component}`] = {
                podSelector: pods(...callers),
                policyTypes: ["Egress"],
                egress: [{ to: [{ podSelector: pods(server.component) }], ports: tcp([server]) }],
            };
        }
        if (args.modelServers?.length) {
            // Model weights come from the Hugging Face Hub (or a mirror) over HTTPS on first start of each replica.
            policies["allow-model-download"] = {
                podSelector: pods(...args.modelServers.map((m) => m.server.component)),
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }], ports: [{ protocol: "TCP", port: 443 }] }],
            };
        }
        for (const egress of args.externalEgress ?? []) {
            policies[egress.name] = {
                podSelector: pods(...egress.from),
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: egress.port }] }],
            };
        }
        // a datastore's members among themselves (PostgreSQL mode ha: replication and Patroni's health checks)
        for (const peer of args.datastores.filter((d) => d.peerPorts?.length)) {
            const ports = tcp([{ component: peer.component, ports: peer.peerPorts ?? [] }]);
            policies[`allow-${peer.component}-peers`] = {
                podSelector: pods(peer.component),
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: pods(peer.component) }], ports }],
                egress: [{ to: [{ podSelector: pods(peer.component) }], ports }],
            };
        }
        const kubeApiClients = args.datastores.filter((d) => d.callsKubeApi).map((d) => d.component);
        if (kubeApiClients.length) {
            policies["allow-kube-api"] = {
                podSelector: pods(...kubeApiClients),
                policyTypes: ["Egress"],
                egress: [{ ports: KUBE_API_PORTS.map((port) => ({ protocol: "TCP", port })) }],
            };
        }
        for (const extra of args.extraIngress ?? []) {
            policies[extra.name] = {
                podSelector: pods(...extra.to.map((e) => e.component)),
                policyTypes: ["Ingress"],
                ingress: [{ ...(extra.fromNamespace ? { from: [namespace(extra.fromNamespace)] } : {}), ports: tcp(extra.to) }],
            };
        }
        for (const [policy, spec] of Object.entries(policies)) {
            const np = new k8s.networking.v1.NetworkPolicy(
                `${name}-${policy}`,
                { metadata: metadata(identity, objectName(instance, policy)), spec },
                { parent: this },
            );
            this.policyNames.push(np.metadata.name);
        }
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
