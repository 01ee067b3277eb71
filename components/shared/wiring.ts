// The shapes components share: the arguments several of them take, and what each exposes of what it owns
// (so that RagPlatform reads names and ports from its children instead of re-deriving them).
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadsConfig } from "../config";
import type { Identity } from "./workload";

/** Where a credential lives: a Secret and its key (the platform Secret, the operator's own, or ESO's). */
export interface SecretRef {
    name: pulumi.Input<string>;
    key: string;
    /** The pod starts without it when the key is absent (LLM_API_KEY). */
    optional?: boolean;
}

/** The credentials the API, the indexer and the migrate step read, by env var name (app/src/lib/contract.ts). */
export interface AppSecrets {
    POSTGRES_PASSWORD: SecretRef;
    REDIS_PASSWORD: SecretRef;
    VECTOR_STORE_API_KEY: SecretRef;
    API_SIGNING_KEY: SecretRef;
    LLM_API_KEY: SecretRef;
}

/** The arguments every datastore (PostgreSQL, Redis, the vector store) takes; `C` is its config section. */
export interface DatastoreArgs<C> {
    identity: Identity;
    config: C;
    /** Where the datastore's password or key lives. */
    credential: SecretRef;
    /** The platform StorageClass; the cluster default when undefined. */
    storageClassName?: pulumi.Input<string>;
    imagePullSecrets: string[];
    /** Protect the StatefulSet from deletion and retain its claims (prod). */
    protect: boolean;
    /** Per-workload options; each datastore applies its own. @default none */
    workloads?: WorkloadsConfig;
}

/** How the API and the indexer are wired into the platform: settings, credentials, the shared volume. */
export interface AppWiring {
    /** The platform ConfigMap, read whole (envFrom). */
    configMapName: pulumi.Input<string>;
    /** Where each credential lives. */
    secrets: AppSecrets;
    /** Whether the app connects to PostgreSQL and Redis over TLS (external datastores). */
    tls: { postgres: boolean; redis: boolean };
    /** The shared app-data claim (documents to index). */
    appDataClaimName: pulumi.Input<string>;
    imagePullSecrets: string[];
    /** Per-workload options; the API and the indexer each apply their own. @default none */
    workloads?: WorkloadsConfig;
}

/** A platform component as the policies see it: its name label and the TCP ports it serves. */
export interface Endpoint {
    component: string;
    ports: number[];
    /** Ports its pods open to each other (the PostgreSQL members: replication, Patroni's REST API). @default none */
    peerPorts?: number[];
    /** Its pods call the Kubernetes API (Patroni keeps its DCS there). @default false */
    callsKubeApi?: boolean;
}

/** A component whose Service Prometheus scrapes. */
export interface ScrapeTarget {
    identity: Identity;
    /** Name of the Service port that serves metrics. */
    portName: string;
    path: string;
    /**
     * A Secret key whose value Prometheus sends as `Authorization: Bearer <value>` (the ServiceMonitor
     * endpoint's `authorization.credentials`; the Secret must live in the ServiceMonitor's namespace and the
     * Prometheus Operator must be allowed to read it). @default no authorization
     */
    bearerToken?: { secretName: pulumi.Input<string>; key: string };
}

/** A workload a component owns: its kind and Kubernetes name (known before deployment, from objectName). */
export interface WorkloadRef {
    kind: "Deployment" | "StatefulSet";
    name: string;
}

/** Where Prometheus scrapes a component: the Service port (by name and number) and the path. */
export interface MetricsEndpoint extends ScrapeTarget {
    port: number;
    /**
     * The Service Prometheus scrapes it through, where alerts select its series by their `service` label (the
     * datastores' exporters). @default not named
     */
    service?: string;
}
