// Validator of the backup section: the PostgreSQL dump CronJob, its S3 upload, Qdrant's snapshot claim.
import type { Checker } from "../checker";
import { parseQuantity } from "../../../lib/quantity";
import { backupClaimNeeds, ClaimNeed } from "../backup-sizing";
import { BACKUP_KEYS, BACKUP_S3_KEYS, PlatformConfig } from "../types";
import { checkResources } from "./shared";

/** An http(s) URL of a host (and port), nothing after it but an optional '/'. */
const ENDPOINT = /^https?:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?\/?$/;
/** S3 bucket names (AWS rules): 3–63 lower-case letters, digits, '.', '-', starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A key prefix: no leading '/', printable characters without spaces, quotes or '$'. */
const PREFIX = /^([A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*\/)?$/;
const REGION = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
/** A key of a Secret (IsConfigMapKey): letters, digits, '-', '_', '.'. */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** A claim size: "auto", or a quantity that holds what the claim must (when the claim exists). */
function checkClaimSize(check: Checker, key: ClaimNeed["key"], value: unknown, need: ClaimNeed | undefined, exists: boolean, what: string): void {
    if (value === "auto") return;
    const bytes = typeof value === "string" ? parseQuantity(value) : undefined;
    if (bytes === undefined || bytes <= 0) {
        check.fail(key, value, `must be "auto" (sized from what it holds) or a positive Kubernetes storage quantity such as "10Gi"`);
        return;
    }
    if (!need || !exists || bytes >= need.bytes) return;
    check.fail(
        key,
        value,
        `is too small for the ${what} it must hold: at least ${need.quantity} = ${need.formula} (the next one is written before the oldest is removed); ` +
            `set "auto", a larger size, or lower the retention or the ratio`,
    );
}

export function validateBackup(check: Checker, cfg: PlatformConfig): void {
    const b = cfg.backup;
    check.unknownKeys("backup", b, BACKUP_KEYS);
    check.bool("backup.enabled", b.enabled);
    check.cron("backup.schedule", b.schedule);
    check.int("backup.retention", b.retention, 1, 1000);
    check.number("backup.dumpSizeRatio", b.dumpSizeRatio, 0.01, 1);
    checkResources(check, "backup.resources", b.resources);
    check.int("backup.backoffLimit", b.backoffLimit, 0, 10);
    check.int("backup.activeDeadlineSeconds", b.activeDeadlineSeconds, 60, 86_400);
    check.int("backup.vectorSnapshotRetention", b.vectorSnapshotRetention, 1, 1000);
    check.number("backup.vectorSnapshotSizeRatio", b.vectorSnapshotSizeRatio, 0.01, 1);
    const needs = backupClaimNeeds(cfg);
    // the dump claim exists with the backup and an in-cluster PostgreSQL; the snapshot claim with an in-cluster Qdrant
    const inCluster = (mode: string | undefined) => mode !== "external";
    checkClaimSize(check, "backup.storage", b.storage, needs.dump, b.enabled === true && inCluster(cfg.postgres.mode), "dumps");
    checkClaimSize(
        check,
        "backup.vectorSnapshotStorage",
        b.vectorSnapshotStorage,
        needs.snapshots,
        cfg.vectorStore.engine === "qdrant" && inCluster(cfg.vectorStore.mode),
        "snapshots",
    );
    const s3 = b.s3;
    check.unknownKeys("backup.s3", s3, BACKUP_S3_KEYS);
    check.bool("backup.s3.enabled", s3?.enabled);
    check.image("backup.s3.image", s3?.image);
    if (s3?.enabled !== true) {
        return;
    }
    if (b.enabled !== true) {
        check.fail("backup.s3.enabled", s3.enabled, "must be false while backup.enabled is false: the upload sends the dump the backup CronJob writes");
    }
    check.string("backup.s3.endpoint", s3.endpoint, ENDPOINT, `must be the S3 endpoint URL, "https://host[:port]" (e.g. https://s3.eu-west-1.amazonaws.com)`);
    check.string(
        "backup.s3.bucket",
        s3.bucket,
        BUCKET,
        "must be an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending alphanumeric",
    );
    check.string("backup.s3.prefix", s3.prefix, PREFIX, `must be empty or a key prefix ending in '/' without a leading '/', e.g. "rag-prod/postgres/"`);
    check.string("backup.s3.region", s3.region, REGION, `must be a region name such as "eu-west-1" (MinIO: "us-east-1")`);
    check.dnsSubdomain("backup.s3.secretName", s3.secretName, "the name of an existing Secret holding the access keys");
    check.string("backup.s3.accessKeyIdKey", s3.accessKeyIdKey, SECRET_KEY, "must be a key of that Secret (letters, digits, '-', '_', '.')");
    check.string("backup.s3.secretAccessKeyKey", s3.secretAccessKeyKey, SECRET_KEY, "must be a key of that Secret (letters, digits, '-', '_', '.')");
}
