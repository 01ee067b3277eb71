// The platform's datastores, each in the cluster (a component with its StatefulSet) or external (a host and
// port the app connects to): what the ConfigMap, the workloads' credentials and the NetworkPolicies read.
import * as pulumi from "@pulumi/pulumi";
import { DatastoreConnectionConfig, exportersEnabled, PlatformConfig, PlatformSecretKey, SecretKeyConfig, VectorEngine } from "../config";
import { POSTGRES_PORT, PostgresDatabase } from "./postgres";
import { PostgresCluster } from "./postgres-ha";
import { REDIS_PORT, RedisCache } from "./redis";
import type { PlatformSecrets, AppSecrets, SecretRef, Identity } from "../shared";
import { ENGINES, VectorStore } from "./vector-store";

/** How the app reaches one datastore. */
export interface Datastore<C> {
    /** The component running it in the cluster; undefined for an external datastore. */
    inCluster?: C;
    /** The in-cluster Service's DNS name, or the external host. */
    host: pulumi.Input<string>;
    port: number;
    tls: boolean;
    /** Where its password / API key lives (the platform's Secret, or the external datastore's own). */
    credential: SecretRef;
}

export interface Datastores {
    postgres: Datastore<PostgresDatabase | PostgresCluster>;
    redis: Datastore<RedisCache>;
    vector: Datastore<VectorStore> & { engine: VectorEngine; authRequired: boolean };
}

/** An external datastore as the NetworkPolicies see it. */
export interface ExternalEndpoint {
    name: string;
    host: string;
    port: number;
}

type Section = "postgres" | "redis" | "vectorStore";
const CREDENTIAL: Record<Section, PlatformSecretKey> = {
    postgres: "POSTGRES_PASSWORD",
    redis: "REDIS_PASSWORD",
    vectorStore: "VECTOR_STORE_API_KEY",
};

/** The platform keys that belong to external datastores: not generated, not mapped. */
export function externalCredentialKeys(cfg: PlatformConfig): PlatformSecretKey[] {
    return (Object.keys(CREDENTIAL) as Section[]).filter((s) => cfg[s].mode === "external").map((s) => CREDENTIAL[s]);
}

export interface CreateDatastoresArgs {
    instance: string;
    cfg: PlatformConfig;
    id: (component: string) => Identity;
    dns: (service: pulumi.Output<string>) => pulumi.Output<string>;
    secrets: PlatformSecrets;
    storageClassName?: pulumi.Output<string>;
    opts: pulumi.CustomResourceOptions;
}

/** PostgreSQL, Redis and the vector store: each a StatefulService in the cluster, or a reference to an external one. */
export function createDatastores(args: CreateDatastoresArgs): Datastores {
    const { cfg, instance: name, id, dns, secrets, opts } = args;
    const shared = { storageClassName: args.storageClassName, imagePullSecrets: cfg.imagePullSecrets, protect: cfg.protectStateful, workloads: cfg.workloads };
    const credential = (section: Section): SecretRef => {
        const own: SecretKeyConfig | undefined = cfg[section].existingSecret;
        if (own) {
            return { name: own.name, key: own.key };
        }
        // An external Chroma without a key (it checks none): the app's VECTOR_STORE_API_KEY stays unset.
        return cfg[section].mode === "external" ? { name: secrets.secretName, key: CREDENTIAL[section], optional: true } : secrets.ref(CREDENTIAL[section]);
    };
    function datastore<C extends { serviceName: pulumi.Output<string>; port: number }>(
        section: Section,
        defaultPort: number,
        create: (credential: SecretRef) => C,
    ): Datastore<C> {
        const c: DatastoreConnectionConfig = cfg[section];
        if (c.mode === "external") {
            return { host: c.host ?? "", port: c.port ?? defaultPort, tls: c.tls, credential: credential(section) };
        }
        const component = create(credential(section));
        return { inCluster: component, host: dns(component.serviceName), port: component.port, tls: false, credential: credential(section) };
    }
    // Registered in this order, as before: PostgreSQL, Redis, the vector store.
    // The exporters run wherever monitoring is on (prod by default): sidecars of the in-cluster PostgreSQL and Redis.
    const exporter = exportersEnabled(cfg.monitoring) ? { config: cfg.monitoring.exporters } : undefined;
    const postgres = datastore<PostgresDatabase | PostgresCluster>("postgres", POSTGRES_PORT, (credential) => {
        const args = { identity: id("postgres"), config: cfg.postgres, credential, exporter, ...shared };
        return cfg.postgres.mode === "ha" ? new PostgresCluster(`${name}-postgres`, args, opts) : new PostgresDatabase(`${name}-postgres`, args, opts);
    });
    const redis = datastore("redis", REDIS_PORT, (credential) => {
        return new RedisCache(`${name}-redis`, { identity: id("redis"), config: cfg.redis, credential, exporter, ...shared }, opts);
    });
    const engine = cfg.vectorStore.engine;
    const vector = datastore("vectorStore", ENGINES[engine].clientPort, (credential) => {
        const snapshotStorage = cfg.backup.vectorSnapshotStorage;
        return new VectorStore(`${name}-vector-store`, { identity: id("vector-store"), config: cfg.vectorStore, credential, snapshotStorage, ...shared }, opts);
    });
    return {
        postgres,
        redis,
        // An external store: the key is the operator's, sent whenever the engine takes one (Chroma takes none).
        vector: { ...vector, engine, authRequired: vector.inCluster ? vector.inCluster.apiKeySupported : engine !== "chroma" },
    };
}

/** The datastores running in the cluster. */
export function inClusterDatastores({ postgres, redis, vector }: Datastores): (PostgresDatabase | PostgresCluster | RedisCache | VectorStore)[] {
    return [postgres.inCluster, redis.inCluster, vector.inCluster].filter(
        (d): d is PostgresDatabase | PostgresCluster | RedisCache | VectorStore => d !== undefined,
    );
}

/** The in-cluster datastores' Service DNS names by role (an external one is the stack's own host: not listed). */
export function inClusterServices({ postgres, redis, vector }: Datastores): Record<string, pulumi.Output<string>> {
    const all: [string, Datastore<unknown>][] = [
        ["postgres", postgres],
        ["redis", redis],
        ["vectorStore", vector],
    ];
    return Object.fromEntries(all.filter(([, d]) => d.inCluster !== undefined).map(([role, d]) => [role, pulumi.output(d.host)]));
}

/** The external datastores (their host is the stack's string), for the egress NetworkPolicies. */
export function externalDatastores({ postgres, redis, vector }: Datastores): ExternalEndpoint[] {
    const all: [string, Datastore<unknown>][] = [
        ["postgres", postgres],
        ["redis", redis],
        ["vector-store", vector],
    ];
    return all.filter(([, d]) => d.inCluster === undefined).map(([name, d]) => ({ name, host: String(d.host), port: d.port }));
}

/** Each credential the apps read, from where it lives: an external datastore's own Secret, else the platform's. */
export function appSecrets(secrets: PlatformSecrets, { postgres, redis, vector }: Datastores): AppSecrets {
    return {
        POSTGRES_PASSWORD: postgres.credential,
        REDIS_PASSWORD: redis.credential,
        VECTOR_STORE_API_KEY: vector.credential,
        API_SIGNING_KEY: secrets.ref("API_SIGNING_KEY"),
        LLM_API_KEY: secrets.ref("LLM_API_KEY"),
    };
}
