// The backup claims' sizes, derived from what they must hold (issue 20): each claim keeps `retention` copies and
// writes the next one before the oldest is removed, so it must hold retention + 1 of the largest copy expected.
// That copy is a fraction of the datastore's volume: a compressed pg_dump holds no index, WAL or free space
// (dumpSizeRatio, default 0.25); a Qdrant snapshot is a tar of the collection's segments, vectors that do not
// compress (vectorSnapshotSizeRatio, default 1). "auto" takes the size; a smaller explicit size is refused.
import { parseQuantity } from "../../lib/quantity";
import type { PlatformConfig } from "./types";

const GI = 2 ** 30;

export interface ClaimNeed {
    /** The config key of the claim's size. */
    key: "backup.storage" | "backup.vectorSnapshotStorage";
    /** The least the claim must hold, in bytes (rounded up to a whole Gi). */
    bytes: number;
    /** That size as a quantity ("38Gi"). */
    quantity: string;
    /** How it was derived, for messages and docs: "(14 + 1) x postgres.storage 10Gi x backup.dumpSizeRatio 0.25". */
    formula: string;
}

function need(
    key: ClaimNeed["key"],
    kept: number,
    retentionKey: string,
    volumeKey: string,
    volume: string,
    ratioKey: string,
    ratio: number,
): ClaimNeed | undefined {
    const bytes = parseQuantity(volume);
    if (bytes === undefined || !Number.isInteger(kept) || kept < 1 || !(ratio > 0)) return undefined;
    const gi = Math.max(1, Math.ceil(((kept + 1) * bytes * ratio) / GI - 1e-9));
    return { key, bytes: gi * GI, quantity: `${gi}Gi`, formula: `(${retentionKey} ${kept} + 1) x ${volumeKey} ${volume} x ${ratioKey} ${ratio}` };
}

/** What the dump claim and Qdrant's snapshot claim need (undefined where an input is itself invalid). */
export function backupClaimNeeds(cfg: PlatformConfig): { dump?: ClaimNeed; snapshots?: ClaimNeed } {
    const b = cfg.backup;
    return {
        dump: need("backup.storage", b.retention, "backup.retention", "postgres.storage", cfg.postgres.storage, "backup.dumpSizeRatio", b.dumpSizeRatio),
        snapshots: need(
            "backup.vectorSnapshotStorage",
            b.vectorSnapshotRetention,
            "backup.vectorSnapshotRetention",
            "vectorStore.storage",
            cfg.vectorStore.storage,
            "backup.vectorSnapshotSizeRatio",
            b.vectorSnapshotSizeRatio,
        ),
    };
}

/** The config with "auto" claim sizes replaced by what they need (called once the config is valid). */
export function resolveBackupSizes(cfg: PlatformConfig): PlatformConfig {
    const { dump, snapshots } = backupClaimNeeds(cfg);
    const b = cfg.backup;
    return {
        ...cfg,
        backup: {
            ...b,
            storage: b.storage === "auto" && dump ? dump.quantity : b.storage,
            vectorSnapshotStorage: b.vectorSnapshotStorage === "auto" && snapshots ? snapshots.quantity : b.vectorSnapshotStorage,
        },
    };
}
