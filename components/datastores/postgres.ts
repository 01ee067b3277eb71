import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "../config";
import type { Endpoint, DatastoreArgs, MetricsEndpoint, WorkloadRef } from "../shared";
import { secretRefEnv, execProbe, objectName, RunAs, startupProbe } from "../shared";
import { ExporterArgs, postgresExporter } from "./exporters";
import { StatefulService } from "./stateful-service";

export const POSTGRES_PORT = 5432;
/** The image's UID/GID (postgres:*-alpine: 70), in both modes; also what the backup runs as. */
export const POSTGRES_RUN_AS: RunAs = { uid: 70, gid: 70 };
const DATA_PATH = "/var/lib/postgresql/data";

// The schema belongs to the application: its migrations (app/src/migrations, run by the API pod's `migrate`
// init container) create the tables. The database starts empty.

export type PostgresDatabaseArgs = DatastoreArgs<PostgresConfig> & {
    /** postgres_exporter as a sidecar (monitoring on). @default no exporter */
    exporter?: ExporterArgs;
};

/**
 * Applies the password in the platform Secret to the running database at every container start: the
 * image's entrypoint sets POSTGRES_PASSWORD only when it initialises an empty data directory, so without
 * this a rotated Secret would lock every client out of a database that keeps its old password. The Secret
 * is autonamed (see PlatformSecrets), so a rotation changes the pod template and restarts PostgreSQL.
 * Runs over the local socket (the image trusts local connections); the password travels on psql's stdin,
 * never on a command line. Retries for up to three minutes; only then does a failure restart the container.
 */
export const APPLY_PASSWORD_SCRIPT = [
    "set -u",
    // Retried: on a first start the image's entrypoint runs a temporary server for its init scripts and stops
    // it again, so one attempt can meet a server that is shutting down.
    "for i in $(seq 1 180); do",
    '  if pg_isready -q -h /var/run/postgresql -U "$POSTGRES_USER" &&',
    // Generated passwords are alphanumeric (see PlatformSecrets), so they need no SQL quoting beyond '...'.
    '    printf \'ALTER ROLE "%s" WITH PASSWORD \'\\\'\'%s\'\\\'\';\\n\' "$POSTGRES_USER" "$POSTGRES_PASSWORD" | psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U "$POSTGRES_USER" -d "$POSTGRES_DB"; then',
    "    exit 0",
    "  fi",
    "  sleep 1",
    "done",
    'echo "could not apply the password from the platform Secret to role $POSTGRES_USER" >&2',
    "exit 1",
].join("\n");

/**
 * PostgreSQL (official alpine image, UID 70): PGDATA in a subdirectory of the volume (its root holds
 * lost+found), pg_isready probes, an empty database (the app migrates it), password from the platform Secret
 * (applied to the running database at every start, so that a rotation needs no manual step).
 */
export class PostgresDatabase extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;
    readonly runAs = POSTGRES_RUN_AS;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    /** Where Prometheus scrapes postgres_exporter (through the client Service); undefined without it. */
    readonly metrics?: MetricsEndpoint;

    constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PostgresDatabase", name, {}, opts);
        const { identity, config } = args;
        const exporter = postgresExporter(args, POSTGRES_PORT, objectName(identity));
        this.metrics = exporter?.metrics;
        const ready = execProbe(["pg_isready", "-U", config.user, "-d", config.database, "-h", "127.0.0.1", "-p", `${POSTGRES_PORT}`]);
        const store = new StatefulService(
            name,
            {
                identity,
                runAs: this.runAs,
                dataPath: DATA_PATH,
                storageSize: config.storage,
                storageClassName: args.storageClassName,
                imagePullSecrets: args.imagePullSecrets,
                protect: args.protect,
                options: args.workloads?.postgres,
                terminationGracePeriodSeconds: 120,
                sidecars: exporter ? [exporter.container] : [],
                container: {
                    name: "postgres",
                    image: config.image,
                    resources: config.resources,
                    ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                    env: [
                        { name: "POSTGRES_USER", value: config.user },
                        { name: "POSTGRES_DB", value: config.database },
                        secretRefEnv("POSTGRES_PASSWORD", args.credential),
                        { name: "PGDATA", value: `${DATA_PATH}/pgdata` },
                    ],
                    probes: {
                        liveness: { ...ready, periodSeconds: 20, failureThreshold: 6 },
                        readiness: ready,
                        startup: startupProbe(ready, 300),
                    },
                    postStartCommand: ["sh", "-c", APPLY_PASSWORD_SCRIPT],
                    writablePaths: ["/var/run/postgresql", "/tmp"],
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
