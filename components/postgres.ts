import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "./config";
import { SECRET_KEYS } from "./secrets";
import { StatefulService } from "./stateful-service";
import { execProbe, Identity, secretEnv, startupProbe } from "./workload";

export const POSTGRES_PORT = 5432;
const DATA_PATH = "/var/lib/postgresql/data";

// The schema belongs to the application: its migrations (app/src/migrations, run by the API pod's `migrate`
// init container) create the tables. The database starts empty.

export interface PostgresDatabaseArgs {
    identity: Identity;
    config: PostgresConfig;
    secretName: pulumi.Input<string>;
    storageClassName?: pulumi.Input<string>;
    imagePullSecrets: string[];
    protect: boolean;
}

/**
 * PostgreSQL (official alpine image, UID 70): PGDATA in a subdirectory of the volume (its root holds
 * lost+found), pg_isready probes, an empty database (the app migrates it), password from the platform Secret.
 */
export class PostgresDatabase extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;

    constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PostgresDatabase", name, {}, opts);
        const { identity, config } = args;
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
                    writablePaths: ["/var/run/postgresql", "/tmp"],
                },
            },
            { parent: this },
        );
        this.serviceName = store.serviceName;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
