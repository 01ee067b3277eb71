import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { API_PATHS, ApiService, WebFrontend, DocumentIndexer } from "../workloads";
import type { PlatformConfig } from "../config";
import { EmbeddingServer, InferenceServer } from "../model-serving";
import { PlatformIngress, ServerAccess, NetworkPolicies } from "../network";
import { PlatformMonitoring, VerticalAutoscaling } from "../observability";
import { platformNamespace } from "./namespace";
import { createModelServers, ModelServers, sampleDocuments, settingsData } from "./platform-settings";
import { appSecrets, createDatastores, Datastores, externalCredentialKeys, externalDatastores, inClusterDatastores, inClusterServices } from "../datastores";
import { createPostgresBackup, PostgresBackup, createVectorSnapshot, VectorSnapshot } from "../backups";
import { PlatformSecrets, autonamedMetadata, Identity, type AppWiring, type Endpoint, type MetricsEndpoint } from "../shared";
import { PlatformStorage } from "./storage";

export interface RagPlatformArgs {
    config: PlatformConfig;
    /** Optional LLM provider key, a Pulumi secret. */
    llmApiKey?: pulumi.Output<string>;
}

const API_BASE_PATH = "/api";

interface Backups {
    backup?: PostgresBackup;
    snapshots?: VectorSnapshot;
}

interface Apps {
    api: ApiService;
    frontend: WebFrontend;
    indexer: DocumentIndexer;
}

/** An ingress rule beyond the fixed ones: who (a namespace, or anyone) may reach which endpoints. */
type ExtraIngress = { name: string; fromNamespace?: string; to: Endpoint[] };

/**
 * The whole RAG platform in one namespace: Namespace (Pod Security `restricted`), generated secrets, the
 * platform ConfigMap, storage, PostgreSQL, Redis, the vector store, the API, the frontend, the indexer, the
 * Ingress and the NetworkPolicies. Several instances can live side by side, each in its own namespace.
 * The constructor is the sequence of steps; every name and port comes from the child that owns it.
 */
export class RagPlatform extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly url?: string;
    /** In-cluster DNS names of the platform's services. */
    readonly services: Record<string, pulumi.Output<string>>;
    readonly secretName: pulumi.Output<string>;

    private readonly cfg: PlatformConfig;
    private readonly child: pulumi.CustomResourceOptions = { parent: this };

    constructor(
        private readonly instance: string,
        args: RagPlatformArgs,
        opts: pulumi.ComponentResourceOptions = {},
    ) {
        const cfg = args.config;
        super("rag-platform:index:RagPlatform", instance, {}, opts);
        this.cfg = cfg;
        this.namespace = platformNamespace(instance, cfg, { parent: this, protect: cfg.protectStateful }).metadata.name;
        const secrets = new PlatformSecrets(
            `${instance}-secrets`,
            { identity: this.id("secrets"), rotation: cfg.secretsRotation, llmApiKey: args.llmApiKey, source: cfg.secrets, skip: externalCredentialKeys(cfg) },
            this.child,
        );
        this.secretName = secrets.secretName;
        const storage = new PlatformStorage(
            `${instance}-storage`,
            { identity: this.id("storage"), config: cfg.storage, protect: cfg.protectStateful },
            this.child,
        );
        const datastores = createDatastores({
            instance,
            cfg,
            id: (c) => this.id(c),
            dns: (s) => this.dns(s),
            secrets,
            storageClassName: storage.storageClassName,
            opts: this.child,
        });
        const backups = this.createBackups(datastores, storage.storageClassName);
        const models = createModelServers({
            instance: this.instance,
            cfg: this.cfg,
            id: (c) => this.id(c),
            storageClassName: storage.storageClassName,
            opts: this.child,
        });
        const configMap = this.createConfigMap(datastores, models);
        const apps = this.createApps({
            configMapName: configMap.metadata.name,
            secrets: appSecrets(secrets, datastores),
            tls: { postgres: datastores.postgres.tls, redis: datastores.redis.tls },
            appDataClaimName: storage.appDataClaimName,
            imagePullSecrets: cfg.imagePullSecrets,
            workloads: cfg.workloads,
        });
        this.url = cfg.ingress.enabled ? this.createIngress(apps).url : undefined;
        const extraIngress: ExtraIngress[] = [];
        if (cfg.localAccess.enabled) {
            extraIngress.push({ name: "allow-node-ports", to: [apps.api.endpoint, apps.frontend.endpoint] });
        }
        if (cfg.monitoring.enabled) {
            extraIngress.push(this.createMonitoring(apps, datastores, backups, models));
        }
        if (cfg.verticalAutoscaling.enabled) {
            this.createVerticalAutoscaling(apps, datastores);
        }
        this.createNetworkPolicies(apps, datastores, backups, extraIngress, models);

        this.services = {
            api: this.dns(apps.api.serviceName),
            frontend: this.dns(apps.frontend.serviceName),
            ...inClusterServices(datastores),
            ...Object.fromEntries(Object.entries(models).map(([role, server]) => [role, this.dns(server.serviceName)])),
        };
        this.registerOutputs({ namespace: this.namespace, url: this.url, services: this.services, secretName: this.secretName });
    }

    /** The identity of one of the platform's components. */
    private id(component: string): Identity {
        return { instance: this.instance, component, environment: this.cfg.environment, namespace: this.namespace };
    }

    private dns(service: pulumi.Output<string>): pulumi.Output<string> {
        return pulumi.interpolate`${service}.${this.namespace}.svc.cluster.local`;
    }

    /** PostgreSQL dumps and Qdrant snapshots (`backup.enabled`; in-cluster datastores only). */
    private createBackups(ds: Datastores, storageClassName?: pulumi.Output<string>): Backups {
        const cfg = this.cfg;
        const shared = { storageClassName, imagePullSecrets: cfg.imagePullSecrets, protect: cfg.protectStateful };
        return {
            backup: createPostgresBackup(this.instance, this.id("postgres-backup"), cfg, ds.postgres, shared, this.child),
            snapshots: createVectorSnapshot(this.instance, this.id("vector-snapshot"), cfg, ds.vector, shared, this.child),
        };
    }

    /** The platform ConfigMap (see platform-settings.ts): settings only, no credential. */
    private createConfigMap(datastores: Datastores, models: ModelServers): k8s.core.v1.ConfigMap {
        const sources = { cfg: this.cfg, datastores, models, apiPort: ApiService.CONTAINER_PORT, apiBasePath: API_BASE_PATH };
        return new k8s.core.v1.ConfigMap(
            `${this.instance}-config`,
            {
                // Autonamed: a changed setting replaces the ConfigMap under a new name and rolls its consumers.
                metadata: autonamedMetadata(this.id("config")),
                data: settingsData({ ...sources, dns: (s) => this.dns(s) }),
            },
            this.child,
        );
    }

    /** The API, the frontend and the indexer, side by side (each waits for the datastores and migrates by itself). */
    private createApps(wiring: AppWiring): Apps {
        const { cfg, instance: name } = this;
        const local = cfg.localAccess;
        const api = new ApiService(
            `${name}-api`,
            { identity: this.id("api"), config: cfg.api, ...wiring, nodePort: local.enabled ? local.apiNodePort : undefined },
            this.child,
        );
        const frontend = new WebFrontend(
            `${name}-frontend`,
            {
                identity: this.id("frontend"),
                config: cfg.frontend,
                imagePullSecrets: cfg.imagePullSecrets,
                configMapName: wiring.configMapName,
                nodePort: local.enabled ? local.frontendNodePort : undefined,
                options: cfg.workloads.frontend,
                // no Ingress sends /api to the API: the frontend forwards it (the NetworkPolicies allow it)
                apiUpstream: cfg.ingress.enabled ? undefined : pulumi.interpolate`http://${api.serviceName}:${api.port}`,
            },
            this.child,
        );
        // The indexer waits for the datastores and migrates the schema itself (as the API's pods do): it is created
        // with everything else, not after the datastores and the API are ready.
        const indexer = new DocumentIndexer(
            `${name}-indexer`,
            {
                identity: this.id("indexer"),
                config: cfg.indexer,
                ...wiring,
                // Dev has nothing on the app-data claim yet: index the sample documents instead.
                sampleDocuments: cfg.environment === "dev" ? sampleDocuments() : undefined,
            },
            this.child,
        );
        return { api, frontend, indexer };
    }

    private createIngress({ api, frontend }: Apps): PlatformIngress {
        return new PlatformIngress(
            `${this.instance}-ingress`,
            { identity: this.id("ingress"), config: this.cfg.ingress, api, frontend, apiBasePath: API_BASE_PATH },
            this.child,
        );
    }

    /** ServiceMonitors, alert rules and the dashboard; returns the ingress rule that lets Prometheus scrape. */
    private createMonitoring({ api, frontend, indexer }: Apps, { postgres, redis, vector }: Datastores, backups: Backups, models: ModelServers): ExtraIngress {
        const cfg = this.cfg;
        const targets: MetricsEndpoint[] = [
            api.metrics,
            frontend.metrics,
            // the vector store's own metrics; PostgreSQL's and Redis' exporter sidecars (monitoring on, in-cluster only)
            ...[vector, postgres, redis].flatMap((d) => (d.inCluster?.metrics ? [d.inCluster.metrics] : [])),
            ...Object.values(models).map((m: InferenceServer | EmbeddingServer) => m.metrics),
        ];
        new PlatformMonitoring(
            `${this.instance}-monitoring`,
            {
                identity: this.id("monitoring"),
                config: cfg.monitoring,
                targets: targets.map(({ identity, portName, path, bearerToken }) => ({ identity, portName, path, bearerToken })),
                names: {
                    namespace: cfg.namespace,
                    apiService: api.workload.name,
                    apiInternalPaths: Object.values(API_PATHS),
                    hpas: [api.hpaName, frontend.hpaName, models.llm?.hpaName].filter((n): n is string => n !== undefined),
                    datastores: {
                        postgres: postgres.inCluster?.workload.name,
                        redis: redis.inCluster?.workload.name,
                        vectorStore: vector.inCluster?.workload.name,
                    },
                    exporters: {
                        postgres: postgres.inCluster?.metrics?.service,
                        redis: redis.inCluster?.metrics?.service,
                    },
                    postgresStandbys: cfg.postgres.mode === "ha" ? cfg.postgres.instances - 1 : 0,
                    indexerCronJob: indexer.scheduledName,
                    backupCronJob: backups.backup?.scheduledName,
                    vectorSnapshotCronJob: backups.snapshots?.scheduledName,
                    ...(models.llm ? { llm: { service: models.llm.workload.name, statefulSet: models.llm.workload.name } } : {}),
                },
                modelServingAlerts: cfg.modelServing.alerts,
            },
            this.child,
        );
        return {
            name: "allow-monitoring",
            fromNamespace: cfg.monitoring.prometheusNamespace,
            to: targets.map((t) => ({ component: t.identity.component, ports: [t.port] })),
        };
    }

    private createVerticalAutoscaling(apps: Apps, datastores: Datastores): void {
        const owners = [apps.api, apps.frontend, ...inClusterDatastores(datastores)];
        new VerticalAutoscaling(
            `${this.instance}-vpa`,
            {
                identity: this.id("vpa"),
                config: this.cfg.verticalAutoscaling,
                targets: owners.map((o) => ({ identity: this.id(o.endpoint.component), kind: o.workload.kind, name: o.workload.name })),
            },
            this.child,
        );
    }

    private createNetworkPolicies(
        { api, frontend }: Apps,
        datastores: Datastores,
        { backup, snapshots }: Backups,
        extraIngress: ExtraIngress[],
        models: ModelServers,
    ): void {
        // Only the API reaches the LLM and the reranker; the API and the indexer reach the embeddings.
        const access = (server: InferenceServer | EmbeddingServer | undefined, clients: string[]): ServerAccess[] =>
            server ? [{ server: { component: server.endpoint.component, ports: [server.port] }, clients }] : [];
        const modelServers = [
            ...access(models.llm, [api.endpoint.component]),
            ...access(models.embedding, [api.endpoint.component, "indexer"]),
            ...access(models.reranker, [api.endpoint.component]),
        ];
        const backupAccess = backup?.networkAccess();
        new NetworkPolicies(
            `${this.instance}-network`,
            {
                identity: this.id("network-policy"),
                config: this.cfg.networkPolicy,
                api: api.endpoint,
                frontend: frontend.endpoint,
                indexer: { component: "indexer" },
                datastores: inClusterDatastores(datastores).map((d) => d.endpoint),
                externalDatastores: externalDatastores(datastores),
                extraIngress,
                modelServers,
                extraAccess: [
                    ...(backupAccess?.extraAccess ?? []),
                    ...(snapshots?.networkAccess().extraAccess ?? []),
                    // without an Ingress the frontend forwards the page's API calls itself
                    ...(this.cfg.ingress.enabled ? [] : [{ server: api.endpoint, clients: [frontend.endpoint.component] }]),
                ],
                externalEgress: backupAccess?.externalEgress,
            },
            this.child,
        );
    }
}
