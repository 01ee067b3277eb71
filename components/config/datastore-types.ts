// Where a datastore runs: in the cluster (a StatefulSet the platform owns, the default), in the cluster as a
// failover cluster (PostgreSQL only: `ha`, Patroni) or outside it (a managed service the stack points at).
// Added to every datastore section (postgres, redis, vectorStore).
import type { SecretKeyConfig } from "./model-serving-types";

export const DATASTORE_MODES = ["in-cluster", "ha", "external"] as const;
/** The modes redis and vectorStore take (`ha` is PostgreSQL's). */
export const SINGLE_DATASTORE_MODES = ["in-cluster", "external"] as const;
export type DatastoreMode = (typeof DATASTORE_MODES)[number];

/** The connection fields of a datastore section; all but `mode` and `tls` apply to `external` only. */
export interface DatastoreConnectionConfig {
    /** `in-cluster` (default): a StatefulSet, its Services and claim; `ha` (postgres only): a Patroni cluster of
     * `postgres.instances`; `external`: none of them, only egress to host:port. */
    mode: DatastoreMode;
    /** External only: DNS name or IP literal of the datastore. */
    host?: string;
    /** External only: TCP port; the engine's usual port when unset. */
    port?: number;
    /** Connect with TLS (external only; the in-cluster datastores serve plain TCP inside the namespace). */
    tls: boolean;
    /** External only: an existing Secret of the namespace and its key holding the password (vector store: API key). */
    existingSecret?: SecretKeyConfig;
}
export const DATASTORE_CONNECTION_KEYS = ["mode", "host", "port", "tls", "existingSecret"] as const satisfies readonly (keyof DatastoreConnectionConfig)[];
