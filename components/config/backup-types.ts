// Backup config types: the PostgreSQL dump CronJob, its optional upload to S3-compatible storage, and the
// size of Qdrant's snapshot claim. Split from types.ts, which re-exports everything here.
import type { ResourceSpec } from "./types";

/** Upload of each dump to S3-compatible storage (AWS S3, MinIO, Ceph RGW…), after it is on the claim. */
export interface BackupS3Config {
    /** Off by default: the dumps stay on the backup claim only. */
    enabled: boolean;
    /** The S3 endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com or https://minio.example.com:9000. */
    endpoint: string;
    bucket: string;
    /** Key prefix in the bucket, e.g. "rag-prod/postgres/" (empty: the bucket's root). */
    prefix: string;
    region: string;
    /** An existing Secret in the platform namespace holding the access keys (never created by the platform). */
    secretName: string;
    /** Key of that Secret holding the access key id. */
    accessKeyIdKey: string;
    /** Key of that Secret holding the secret access key. */
    secretAccessKeyKey: string;
    /** The uploader: an image with the AWS CLI v2 (`aws s3 cp`) and `sh`; the PostgreSQL image has no S3 client. */
    image: string;
}
export const BACKUP_S3_KEYS = [
    "enabled",
    "endpoint",
    "bucket",
    "prefix",
    "region",
    "secretName",
    "accessKeyIdKey",
    "secretAccessKeyKey",
    "image",
] as const satisfies readonly (keyof BackupS3Config)[];

export interface BackupConfig {
    /** A CronJob that dumps PostgreSQL (pg_dump --format=custom) to the backup claim. */
    enabled: boolean;
    /** Cron schedule of the dump (the API server's parser, see k8s-validation.ts). */
    schedule: string;
    /** Dumps kept on the claim: the newest N; older ones are deleted after each successful dump. */
    retention: number;
    /**
     * Size of the backup claim: a quantity, or "auto" (the default): sized by backupClaimNeeds (backup-sizing.ts) from
     * `retention`, PostgreSQL's volume and `dumpSizeRatio`. A quantity below that is refused.
     */
    storage: string;
    /** The largest dump expected, as a fraction of PostgreSQL's volume (`postgres.storage`): (0, 1]. */
    dumpSizeRatio: number;
    resources: ResourceSpec;
    backoffLimit: number;
    activeDeadlineSeconds: number;
    s3: BackupS3Config;
    /** Size of Qdrant's snapshot claim (/qdrant/snapshots), a quantity or "auto"; unused by the other engines. */
    vectorSnapshotStorage: string;
    /** Qdrant snapshots kept: the newest N (the index is rebuilt from PostgreSQL anyway; a snapshot is a faster way back). */
    vectorSnapshotRetention: number;
    /** The largest snapshot expected, as a fraction of the vector store's volume (`vectorStore.storage`): (0, 1]. */
    vectorSnapshotSizeRatio: number;
}
export const BACKUP_KEYS = [
    "enabled",
    "schedule",
    "retention",
    "storage",
    "resources",
    "backoffLimit",
    "activeDeadlineSeconds",
    "s3",
    "vectorSnapshotStorage",
    "dumpSizeRatio",
    "vectorSnapshotRetention",
    "vectorSnapshotSizeRatio",
] as const satisfies readonly (keyof BackupConfig)[];
