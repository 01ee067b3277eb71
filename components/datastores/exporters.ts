// The datastores' Prometheus exporters, the established ones: prometheus-community's postgres_exporter and
// oliver006's redis_exporter. Each runs as a sidecar of its datastore's pod (docs/architecture.md says why),
// reaches the datastore on 127.0.0.1 and reads its password from the Secret the datastore reads it from
// (secretKeyRef: never in the spec). Rendered only with monitoring on, for an in-cluster datastore.
import type { DatastoreExportersConfig } from "../config";
import type { ContainerArgs, Identity, MetricsEndpoint, SecretRef } from "../shared";
import { httpProbe, secretRefEnv } from "../shared";

/** postgres_exporter's and redis_exporter's own default ports. */
export const POSTGRES_EXPORTER_PORT = 9187;
export const REDIS_EXPORTER_PORT = 9121;
/** The name of the exporter's port, on the container and on the datastore's Services. */
export const EXPORTER_PORT_NAME = "metrics";

/** A datastore's exporter: the sidecar container and where Prometheus scrapes it. */
export interface DatastoreExporter {
    container: ContainerArgs;
    metrics: MetricsEndpoint;
}

/** What a datastore component takes to add its exporter (absent: no exporter). */
export interface ExporterArgs {
    config: DatastoreExportersConfig;
}

/** One exporter sidecar: its container name, image, port and health page, and the env that points it at its datastore. */
interface ExporterSpec {
    identity: Identity;
    name: string;
    image: string;
    port: number;
    healthPath: string;
    config: DatastoreExportersConfig;
    /** The Service Prometheus scrapes it through. */
    service: string;
    env: ContainerArgs["env"];
}

function exporter({ identity, name, image, port, healthPath, config, service, env }: ExporterSpec): DatastoreExporter {
    // Liveness and readiness read the exporter's own page, never the datastore: a datastore that is down is
    // what the exporter reports (pg_up, redis_up 0), not a reason to restart or unready the exporter.
    const probe = httpProbe(healthPath, EXPORTER_PORT_NAME);
    return {
        container: {
            name,
            image,
            resources: config.resources,
            ports: [{ name: EXPORTER_PORT_NAME, containerPort: port }],
            env,
            probes: { liveness: { ...probe, periodSeconds: 20 }, readiness: probe },
        },
        metrics: { identity, portName: EXPORTER_PORT_NAME, port, path: "/metrics", service },
    };
}

/** What the exporters read from their datastore component's args; `exporter` absent: monitoring off, no exporter. */
interface ExportedDatastore {
    identity: Identity;
    credential: SecretRef;
    exporter?: ExporterArgs;
}

/**
 * postgres_exporter against the pod's own PostgreSQL (either mode): DATA_SOURCE_URI (host, port, database, no TLS
 * inside the pod), DATA_SOURCE_USER and DATA_SOURCE_PASS, the password from the datastore's credential. It serves
 * a landing page on `/` that needs no database: the probes read it. `service`: the Service Prometheus scrapes it
 * through.
 */
export function postgresExporter(
    args: ExportedDatastore & { config: { user: string; database: string } },
    port: number,
    service: string,
): DatastoreExporter | undefined {
    const { identity, config, credential, exporter: on } = args;
    return (
        on &&
        exporter({
            identity,
            name: "postgres-exporter",
            image: on.config.postgresImage,
            port: POSTGRES_EXPORTER_PORT,
            healthPath: "/",
            config: on.config,
            service,
            env: [
                { name: "DATA_SOURCE_URI", value: `127.0.0.1:${port}/${config.database}?sslmode=disable` },
                { name: "DATA_SOURCE_USER", value: config.user },
                secretRefEnv("DATA_SOURCE_PASS", credential),
            ],
        })
    );
}

/** redis_exporter against the pod's own Redis: REDIS_ADDR and REDIS_PASSWORD; it serves `/health` for the probes. */
export function redisExporter(args: ExportedDatastore, port: number, service: string): DatastoreExporter | undefined {
    const { identity, credential, exporter: on } = args;
    return (
        on &&
        exporter({
            identity,
            name: "redis-exporter",
            image: on.config.redisImage,
            port: REDIS_EXPORTER_PORT,
            healthPath: "/health",
            config: on.config,
            service,
            env: [{ name: "REDIS_ADDR", value: `redis://127.0.0.1:${port}` }, secretRefEnv("REDIS_PASSWORD", credential)],
        })
    );
}
