import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { contentTypeOf, extractText, InputError } from "./documents";
import { RagService } from "./service";

export interface IndexReport {
    scanned: number;
    indexed: number;
    unchanged: number;
    skipped: { file: string; reason: string }[];
    failed: { file: string; reason: string }[];
    chunks: number;
}

async function walk(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        // ConfigMap volumes hold ..data and timestamped dirs of symlinks: index the visible names only.
        if (entry.name.startsWith(".")) {
            continue;
        }
        const full = path.join(dir, entry.name);
        const st = await stat(full);
        if (st.isDirectory()) {
            out.push(...(await walk(full)));
        } else if (st.isFile()) {
            out.push(full);
        }
    }
    return out.sort();
}

/** Indexes every supported file under `source` through the service; idempotent by content checksum. */
export async function indexDirectory(service: RagService, source: string, log: Logger): Promise<IndexReport> {
    const report: IndexReport = { scanned: 0, indexed: 0, unchanged: 0, skipped: [], failed: [], chunks: 0 };
    for (const file of await walk(source)) {
        const rel = path.relative(source, file);
        report.scanned++;
        const contentType = contentTypeOf(file, undefined);
        if (!contentType) {
            report.skipped.push({ file: rel, reason: "unsupported file type" });
            continue;
        }
        try {
            const bytes = await readFile(file);
            const text = extractText(bytes, contentType);
            const title = path.basename(file).replace(/\.[^.]+$/, "");
            const res = await service.ingest({ title, source: `file:${rel}`, contentType, bytes: bytes.length, text });
            if (res.created) {
                report.indexed++;
                report.chunks += res.document.chunkCount;
                log.info({ file: rel, id: res.document.id, chunks: res.document.chunkCount }, "indexed");
            } else {
                report.unchanged++;
                log.debug({ file: rel, id: res.document.id }, "unchanged (same checksum already indexed)");
            }
        } catch (err) {
            if (err instanceof InputError) {
                report.skipped.push({ file: rel, reason: err.message });
            } else {
                report.failed.push({ file: rel, reason: (err as Error).message });
                log.error({ file: rel, err: (err as Error).message }, "failed");
            }
        }
    }
    return report;
}
