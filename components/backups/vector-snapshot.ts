import * as pulumi from "@pulumi/pulumi";
import { APP_RUN_AS, APP_WRITABLE_PATHS } from "../workloads";
import type { BackupConfig, PlatformConfig } from "../config";
import type { Datastore, VectorStore } from "../datastores";
import { jobSpec, scheduledJob, objectName, secretRefEnv, Identity, pod, serviceAccount } from "../shared";
import type { NetworkPoliciesArgs } from "../network";
import type { SecretRef } from "../shared";

/** The app's Qdrant collection (VECTOR_COLLECTION's default in app/src/lib/contract.ts; a test ties the two). */
export const QDRANT_COLLECTION = "rag_chunks";

/**
 * Takes a snapshot of the app's collection through Qdrant's API (`POST /collections/<c>/snapshots?wait=true`,
 * the API key in the `api-key` header), which Qdrant writes to its snapshot claim, then deletes all but the
 * newest SNAPSHOT_RETENTION snapshots (`DELETE /collections/<c>/snapshots/<name>`). The app's collection is
 * COLLECTION or, once `indexer.js index --rebuild` has built a new generation, COLLECTION_g<n> (which one is
 * active is recorded in PostgreSQL, which this Job does not reach): every collection so named is snapshotted
 * (two only while a rebuild runs). Node's fetch, so the app's image (Node 22) runs it; exit 1 on any failed
 * request, or when there is no such collection. The first request is retried while Qdrant cannot be reached at
 * all (up to a minute): a new pod's NetworkPolicy allow rules may take effect a moment after it starts.
 */
export const SNAPSHOT_SCRIPT = `
const { QDRANT_URL: base, QDRANT_API_KEY: key, COLLECTION: prefix, SNAPSHOT_RETENTION: keep } = process.env;
const call = async (method, path) => {
    const r = await fetch(base + path, { method, headers: { "api-key": key } });
    if (!r.ok) throw new Error(method + " " + path + ": HTTP " + r.status + " " + (await r.text()).slice(0, 200));
    return (await r.json()).result;
};
const reachable = async () => {
    for (let i = 1; ; i++) {
        try {
            return await call("GET", "/collections");
        } catch (e) {
            if (!(e instanceof TypeError) || i >= 60) throw e; // fetch's network failure; an HTTP error is final
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
};
(async () => {
    const generation = new RegExp("^" + prefix + "_g[0-9]+$");
    const names = (await reachable()).collections.map((x) => x.name).filter((n) => n === prefix || generation.test(n));
    if (names.length === 0) throw new Error("no collection " + prefix + " (or " + prefix + "_g<n>) to snapshot");
    for (const c of names) {
        const snaps = "/collections/" + encodeURIComponent(c) + "/snapshots";
        const made = await call("POST", snaps + "?wait=true");
        console.log("snapshot: " + made.name + " (" + made.size + " bytes)");
        const all = (await call("GET", snaps)).sort((a, b) => (a.creation_time < b.creation_time ? 1 : a.creation_time > b.creation_time ? -1 : 0));
        for (const old of all.slice(Number(keep))) {
            await call("DELETE", snaps + "/" + encodeURIComponent(old.name) + "?wait=true");
            console.log("snapshot: removed " + old.name + " (retention " + keep + ")");
        }
    }
})().catch((e) => { console.error("snapshot: " + e.message); process.exit(1); });
`;

export interface VectorSnapshotArgs {
    /** Identity of the snapshot CronJob (component "vector-snapshot"). */
    identity: Identity;
    /** Schedule, resources and limits: the backup's (one night, one PostgreSQL dump and one snapshot); its own retention. */
    config: BackupConfig;
    vectorStore: VectorStore;
    /** An image with Node.js 18 or later: the indexer's. */
    image: string;
    /** Qdrant's API key (the platform Secret, or the operator's own). */
    apiKey: SecretRef;
    imagePullSecrets: string[];
}

/**
 * Scheduled Qdrant snapshots: a CronJob (`concurrencyPolicy: Forbid`) that asks Qdrant for a snapshot of the
 * app's collection, which Qdrant writes to its own snapshot claim (`rag-vector-store-snapshots`), and keeps the
 * newest `vectorSnapshotRetention`. Qdrant only: Chroma and Milvus have no snapshot API for a running server.
 */
export class VectorSnapshot extends pulumi.ComponentResource {
    readonly cronJobName: pulumi.Output<string>;
    /** The CronJob's Kubernetes name: its Jobs are named `<name>-<scheduled minute>`. */
    readonly scheduledName: string;
    private readonly component: string;
    private readonly store: { component: string; ports: number[] };

    constructor(name: string, args: VectorSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:VectorSnapshot", name, {}, opts);
        const { identity, config, vectorStore } = args;
        const k8sName = objectName(identity);
        this.scheduledName = k8sName;
        this.component = identity.component;
        this.store = { component: vectorStore.endpoint.component, ports: [vectorStore.port] };
        const sa = serviceAccount(identity, k8sName, { parent: this });
        const cron = scheduledJob(
            `${name}-cronjob`,
            {
                identity,
                name: k8sName,
                schedule: config.schedule,
                job: jobSpec(
                    identity,
                    config,
                    pod({
                        serviceAccountName: sa.metadata.name,
                        runAs: APP_RUN_AS,
                        restartPolicy: "Never",
                        imagePullSecrets: args.imagePullSecrets,
                        containers: [
                            {
                                name: "snapshot",
                                image: args.image,
                                resources: config.resources,
                                command: ["node", "-e", SNAPSHOT_SCRIPT],
                                env: [
                                    { name: "QDRANT_URL", value: pulumi.interpolate`http://${vectorStore.serviceName}:${vectorStore.port}` },
                                    { name: "COLLECTION", value: QDRANT_COLLECTION },
                                    { name: "SNAPSHOT_RETENTION", value: `${config.vectorSnapshotRetention}` },
                                    secretRefEnv("QDRANT_API_KEY", args.apiKey),
                                ],
                                writablePaths: APP_WRITABLE_PATHS,
                            },
                        ],
                    }),
                ),
            },
            this,
        );
        this.cronJobName = cron.metadata.name;
        this.registerOutputs({ cronJobName: this.cronJobName });
    }

    /** Its NetworkPolicies: to the vector store's client port (ingress there, egress here). */
    networkAccess(): Pick<NetworkPoliciesArgs, "extraAccess"> {
        return { extraAccess: [{ server: this.store, clients: [this.component] }] };
    }
}

/** The snapshot CronJob when backups are on and the engine is an in-cluster Qdrant. */
export function createVectorSnapshot(
    instance: string,
    identity: Identity,
    cfg: PlatformConfig,
    { inCluster: vectorStore, credential }: Datastore<VectorStore>,
    shared: { imagePullSecrets: string[] },
    opts: pulumi.ComponentResourceOptions,
): VectorSnapshot | undefined {
    if (!cfg.backup.enabled || cfg.vectorStore.engine !== "qdrant" || !vectorStore) {
        return undefined;
    }
    const args = { identity, config: cfg.backup, vectorStore, apiKey: credential, image: cfg.indexer.image, ...shared };
    return new VectorSnapshot(`${instance}-vector-snapshot`, args, opts);
}
