import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "./config";
import type { Endpoint } from "./network-policy";
import type { DatastoreArgs, WorkloadRef } from "./wiring";
import { SECRET_KEYS } from "./secrets";
import { StatefulService } from "./stateful-service";
import { execProbe, metadata, secretEnv, startupProbe } from "./workload";
import { objectName } from "./naming";

export const POSTGRES_PORT = 5432;
const DATA_PATH = "/var/lib/postgresql/data";

/** Schema the RAG API and the indexer share: document bookkeeping and conversation history. */
export const INIT_SQL = `-- Applied once, by the image's entrypoint, when the data directory is initialised.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS documents (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT        NOT NULL,
    checksum    TEXT        NOT NULL UNIQUE,
    metadata    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    chunk_count INTEGER     NOT NULL DEFAULT 0,
    indexed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_source_trgm ON documents USING gin (source gin_trgm_ops);

CREATE TABLE IF NOT EXISTS conversations (
    id         UUID        PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS messages (
    id              BIGSERIAL   PRIMARY KEY,
    conversation_id UUID        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT        NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content         TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, created_at);
`;

export type PostgresDatabaseArgs = DatastoreArgs<PostgresConfig>;

/**
 * Applies the password in the platform Secret to the running database at every container start: the
 * image's entrypoint sets POSTGRES_PASSWORD only when it initialises an empty data directory, so without
 * this a rotated Secret would lock every client out of a database that keeps its old password. The Secret
 * is autonamed (see PlatformSecrets), so a rotation changes the pod template and restarts PostgreSQL.
 * Runs over the local socket (the image trusts local connections); the password travels on psql's stdin,
 * never on a command line. Waits up to two minutes for the server; a failure restarts the container.
 */
export const APPLY_PASSWORD_SCRIPT = [
    "set -eu",
    'for i in $(seq 1 120); do pg_isready -q -h /var/run/postgresql -U "$POSTGRES_USER" && break; sleep 1; done',
    // Generated passwords are alphanumeric (see PlatformSecrets), so they need no SQL quoting beyond '...'.
    'printf \'ALTER ROLE "%s" WITH PASSWORD \'\\\'\'%s\'\\\'\';\\n\' "$POSTGRES_USER" "$POSTGRES_PASSWORD" | psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
].join("\n");

/**
 * PostgreSQL (official alpine image, UID 70): PGDATA in a subdirectory of the volume (its root holds
 * lost+found), init SQL from a ConfigMap, pg_isready probes, password from the platform Secret (applied to
 * the running database at every start, so that a rotation needs no manual step).
 */
export class PostgresDatabase extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;

    constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PostgresDatabase", name, {}, opts);
        const { identity, config } = args;
        const init = new k8s.core.v1.ConfigMap(
            `${name}-init`,
            { metadata: metadata(identity, objectName(identity, "init")), data: { "01-schema.sql": INIT_SQL } },
            { parent: this },
        );
        const ready = execProbe(["pg_isready", "-U", config.user, "-d", config.database, "-h", "127.0.0.1", "-p", `${POSTGRES_PORT}`]);
        const store = new StatefulService(
            name,
            {
                identity,
                runAs: { uid: 70, gid: 70 },
                dataPath: DATA_PATH,
                storageSize: config.storage,
                storageClassName: args.storageClassName,
                imagePullSecrets: args.imagePullSecrets,
                protect: args.protect,
                terminationGracePeriodSeconds: 120,
                volumes: [{ name: "init-sql", configMap: { name: init.metadata.name } }],
                container: {
                    name: "postgres",
                    image: config.image,
                    resources: config.resources,
                    ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                    env: [
                        { name: "POSTGRES_USER", value: config.user },
                        { name: "POSTGRES_DB", value: config.database },
                        secretEnv("POSTGRES_PASSWORD", args.secretName, SECRET_KEYS.postgresPassword),
                        { name: "PGDATA", value: `${DATA_PATH}/pgdata` },
                    ],
                    probes: {
                        liveness: { ...ready, periodSeconds: 20, failureThreshold: 6 },
                        readiness: ready,
                        startup: startupProbe(ready, 300),
                    },
                    postStartCommand: ["sh", "-c", APPLY_PASSWORD_SCRIPT],
                    writablePaths: ["/var/run/postgresql", "/tmp"],
                    volumeMounts: [{ name: "init-sql", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }],
                },
            },
            { parent: this },
        );
        this.serviceName = store.serviceName;
        this.workload = store.workload;
        this.endpoint = store.endpoint;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
