import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PostgresConfig } from "../config";
import type { DatastoreArgs, Endpoint, MetricsEndpoint, WorkloadRef } from "../shared";
import {
    httpProbe,
    labels,
    metadata,
    objectName,
    pod,
    podAnnotations,
    secretRefEnv,
    selectorLabels,
    serviceAccount,
    serviceAccountAnnotations,
    serviceMetadata,
    HEADLESS_LABEL,
} from "../shared";
import { ExporterArgs, postgresExporter } from "./exporters";
import { APPLY_PASSWORD, CONFIG_PATH, patroniConfig, POST_BOOTSTRAP, REPLICATION_USER, SUPERUSER } from "./patroni-config";
import { POSTGRES_PORT, POSTGRES_RUN_AS } from "./postgres";
import { dataClaimTemplate } from "./stateful-service";

/** Patroni's REST API: the probes, and the members' view of each other (health checks before a failover). */
export const PATRONI_PORT = 8008;
const DATA_PATH = "/var/lib/postgresql/data";
/** The pod label Patroni keeps on each member: `master` on the primary (the client Service selects it), `replica` on the others. */
export const ROLE_LABEL = "rag-platform/postgres-role";
/** The pod label naming the Patroni cluster (its scope); Patroni lists the members by it. */
export const SCOPE_LABEL = "rag-platform/patroni-cluster";
/** Where Kubernetes mounts a ServiceAccount token; Patroni reads it there (and again every minute). */
const TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

export type PostgresClusterArgs = DatastoreArgs<PostgresConfig> & {
    /** postgres_exporter as a sidecar of every member (monitoring on). @default no exporter */
    exporter?: ExporterArgs;
};

/**
 * PostgreSQL that fails over (`postgres.mode: ha`): a Patroni cluster of `instances` members, one per node
 * (required anti-affinity), Kubernetes itself as Patroni's DCS (ConfigMaps `<scope>-leader|-config|-sync`, the
 * members' role as a pod label), synchronous replication. Clients reach the primary through the Service
 * `<instance>-postgres-primary`, which selects the pod labelled master. The app's role owns its database and is no
 * superuser; its password is the platform Secret's. Patroni's superuser and replication role have passwords of
 * their own (generated, in the Secret `<instance>-postgres-patroni-roles`). The ServiceAccount's token is mounted
 * into the Patroni container only (projected, expiring);
 * its Role lets Patroni edit its ConfigMaps and label its pods, nothing else.
 */
export class PostgresCluster extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;
    readonly runAs = POSTGRES_RUN_AS;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    /** Where Prometheus scrapes the members' postgres_exporter (through the primary's Service); undefined without it. */
    readonly metrics?: MetricsEndpoint;
    /** The Patroni scope: the StatefulSet's name, the prefix of the ConfigMaps Patroni writes. */
    readonly scope: string;

    constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PostgresCluster", name, {}, opts);
        const { identity, config } = args;
        const scope = objectName(identity, "ha");
        this.scope = scope;
        // The members, and only they: while a stack switches modes the single instance's pod has the same name labels
        const members = { ...selectorLabels(identity), [SCOPE_LABEL]: scope };
        // the exporters are scraped through the primary's Service only: one series set, the primary's
        const exporter = postgresExporter(args, POSTGRES_PORT, objectName(identity, "primary"));
        this.metrics = exporter?.metrics;
        this.workload = { kind: "StatefulSet", name: scope };
        this.endpoint = { component: identity.component, ports: [POSTGRES_PORT], peerPorts: [POSTGRES_PORT, PATRONI_PORT], callsKubeApi: true };
        const options = args.workloads?.postgres;

        const sa = serviceAccount(identity, scope, { parent: this }, serviceAccountAnnotations(options));
        const role = new k8s.rbac.v1.Role(
            `${name}-patroni-role`,
            {
                metadata: metadata(identity, scope),
                rules: [
                    { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "get", "list", "patch", "update", "watch", "delete"] },
                    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "patch", "update", "watch"] },
                ],
            },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-patroni-rolebinding`,
            {
                metadata: metadata(identity, scope),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: sa.metadata.name }],
            },
            { parent: this },
        );
        // Patroni's own roles' passwords: generated here, kept in a Secret of the cluster's own, never rotated with
        // the app's credentials (a rotation then never breaks replication half-way through the members' restarts)
        const generated = (suffix: string) =>
            new random.RandomPassword(`${name}-${suffix}`, { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 }, { parent: this }).result;
        const roles = new k8s.core.v1.Secret(
            `${name}-patroni-roles`,
            {
                metadata: metadata(identity, objectName(identity, "patroni", "roles")),
                type: "Opaque",
                stringData: pulumi.secret({ SUPERUSER_PASSWORD: generated("superuser-password"), REPLICATION_PASSWORD: generated("replication-password") }),
            },
            { parent: this, additionalSecretOutputs: ["data", "stringData"] },
        );
        const rolePassword = (key: string) => ({ name: roles.metadata.name, key });
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-patroni-config`,
            {
                metadata: metadata(identity, objectName(identity, "patroni")),
                data: {
                    "patroni.yml": JSON.stringify(patroniConfig(), null, 2),
                    "post-bootstrap.sh": POST_BOOTSTRAP,
                    "apply-password.sh": APPLY_PASSWORD,
                },
            },
            { parent: this },
        );

        const ports = [
            { name: "postgres", containerPort: POSTGRES_PORT },
            { name: "patroni", containerPort: PATRONI_PORT },
        ];
        const servicePorts = (list: { name: string; containerPort: number }[]) =>
            list.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name, protocol: "TCP" }));
        const exporterPorts = exporter?.container.ports ?? [];
        const headless = new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: { ...serviceMetadata(identity, objectName(identity, "ha", "headless")), labels: { ...labels(identity), [HEADLESS_LABEL]: "true" } },
                spec: {
                    clusterIP: "None",
                    publishNotReadyAddresses: true,
                    selector: members,
                    ports: servicePorts([...ports, ...exporterPorts]),
                },
            },
            { parent: this },
        );
        const client = new k8s.core.v1.Service(
            `${name}-primary`,
            {
                metadata: serviceMetadata(identity, objectName(identity, "primary")),
                spec: {
                    type: "ClusterIP",
                    selector: { ...members, [ROLE_LABEL]: "master" },
                    ports: servicePorts([ports[0], ...exporterPorts]),
                },
            },
            { parent: this },
        );
        this.serviceName = client.metadata.name;

        const labelMap = JSON.stringify(selectorLabels(identity));
        const probeTiming = { periodSeconds: 5, timeoutSeconds: 3 };
        const podSpec = pod({
            serviceAccountName: sa.metadata.name,
            runAs: this.runAs,
            spreadBy: members,
            requireSeparateNodes: true,
            terminationGracePeriodSeconds: 120,
            imagePullSecrets: args.imagePullSecrets,
            options,
            containers: [
                {
                    name: "postgres",
                    image: config.patroniImage,
                    resources: config.resources,
                    ports,
                    args: [`${CONFIG_PATH}/patroni.yml`],
                    env: [
                        { name: "PATRONI_SCOPE", value: scope },
                        { name: "PATRONI_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                        { name: "PATRONI_KUBERNETES_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                        { name: "PATRONI_KUBERNETES_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                        { name: "PATRONI_KUBERNETES_LABELS", value: labelMap },
                        { name: "PATRONI_KUBERNETES_SCOPE_LABEL", value: SCOPE_LABEL },
                        { name: "PATRONI_KUBERNETES_ROLE_LABEL", value: ROLE_LABEL },
                        { name: "PATRONI_SUPERUSER_USERNAME", value: SUPERUSER },
                        secretRefEnv("PATRONI_SUPERUSER_PASSWORD", rolePassword("SUPERUSER_PASSWORD")),
                        { name: "PATRONI_REPLICATION_USERNAME", value: REPLICATION_USER },
                        secretRefEnv("PATRONI_REPLICATION_PASSWORD", rolePassword("REPLICATION_PASSWORD")),
                        // the app's role and database (post-bootstrap.sh, apply-password.sh)
                        { name: "POSTGRES_USER", value: config.user },
                        secretRefEnv("POSTGRES_PASSWORD", args.credential),
                        { name: "POSTGRES_DB", value: config.database },
                        { name: "PATRONI_POSTGRESQL_DATA_DIR", value: `${DATA_PATH}/pgdata` },
                        { name: "PATRONI_POSTGRESQL_PGPASS", value: "/tmp/pgpass" },
                        { name: "PATRONI_POSTGRESQL_LISTEN", value: `0.0.0.0:${POSTGRES_PORT}` },
                        { name: "PATRONI_POSTGRESQL_CONNECT_ADDRESS", value: `$(PATRONI_KUBERNETES_POD_IP):${POSTGRES_PORT}` },
                        { name: "PATRONI_RESTAPI_LISTEN", value: `0.0.0.0:${PATRONI_PORT}` },
                        { name: "PATRONI_RESTAPI_CONNECT_ADDRESS", value: `$(PATRONI_KUBERNETES_POD_IP):${PATRONI_PORT}` },
                    ],
                    probes: {
                        // Patroni's heartbeat loop runs (a stuck member is restarted; its primary role expires with the lock's TTL)
                        liveness: httpProbe("/liveness", "patroni", { ...probeTiming, periodSeconds: 10, failureThreshold: 6 }),
                        // the leader, or a member whose PostgreSQL runs while the cluster is known
                        readiness: httpProbe("/readiness", "patroni", probeTiming),
                    },
                    writablePaths: ["/var/run/postgresql", "/tmp"],
                    volumeMounts: [
                        { name: "data", mountPath: DATA_PATH },
                        { name: "patroni-config", mountPath: CONFIG_PATH, readOnly: true },
                        { name: "kube-api-access", mountPath: TOKEN_PATH, readOnly: true },
                    ],
                },
                ...(exporter ? [exporter.container] : []),
            ],
            volumes: [
                { name: "patroni-config", configMap: { name: configMap.metadata.name, defaultMode: 0o555 } },
                {
                    name: "kube-api-access",
                    projected: {
                        sources: [
                            { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
                            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                            { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
                        ],
                    },
                },
            ],
        });
        const retention = args.protect ? "Retain" : "Delete";
        const annotations = podAnnotations(undefined, options);
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: metadata(identity, scope),
                spec: {
                    serviceName: headless.metadata.name,
                    replicas: config.instances,
                    // members start together: each waits for the leader (or, the first time, races to initialise)
                    podManagementPolicy: "Parallel",
                    updateStrategy: { type: "RollingUpdate" },
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: members },
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: retention },
                    template: {
                        metadata: { labels: { ...labels(identity), [SCOPE_LABEL]: scope }, ...(annotations ? { annotations } : {}) },
                        spec: podSpec,
                    },
                    volumeClaimTemplates: [dataClaimTemplate(identity, config.storage, args.storageClassName)],
                },
            },
            { parent: this, protect: args.protect },
        );
        // one member at a time: a drain never takes the primary and its synchronous standby together
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: metadata(identity, scope),
                spec: { maxUnavailable: 1, selector: { matchLabels: members } },
            },
            { parent: this, dependsOn: [statefulSet] },
        );
        this.registerOutputs({ serviceName: this.serviceName, statefulSetName: statefulSet.metadata.name });
    }
}
