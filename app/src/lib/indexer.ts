import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { contentTypeOf, extractText, InputError } from "./documents";
import { NewDocument, RagService } from "./service";

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

type FileOutcome = { file: string } & ({ skipped: string } | { failed: string } | { created: boolean; chunks: number });

/**
 * Indexes every supported file under `source` through the service, as one stream of documents
 * (RagService.ingestMany: a PostgreSQL transaction and an upsert per thousand chunks, the next files read
 * while one group is written); idempotent by content checksum. The report lists files in path order.
 */
export async function indexDirectory(service: RagService, source: string, log: Logger): Promise<IndexReport> {
    const outcomes: FileOutcome[] = [];
    /** The file (its place in `outcomes`) of each document handed to the service. */
    const fileOf: number[] = [];
    async function* read(): AsyncGenerator<NewDocument> {
        for (const file of await walk(source)) {
            const rel = path.relative(source, file);
            const n = outcomes.push({ file: rel, failed: "not indexed" }) - 1;
            const contentType = contentTypeOf(file, undefined);
            if (!contentType) {
                outcomes[n] = { file: rel, skipped: "unsupported file type" };
                continue;
            }
            let doc: NewDocument;
            try {
                const bytes = await readFile(file);
                const text = extractText(bytes, contentType);
                const title = path.basename(file).replace(/\.[^.]+$/, "");
                doc = { title, source: `file:${rel}`, contentType, bytes: bytes.length, text };
            } catch (err) {
                if (err instanceof InputError) {
                    outcomes[n] = { file: rel, skipped: err.message };
                } else {
                    outcomes[n] = { file: rel, failed: (err as Error).message };
                    log.error({ file: rel, err: (err as Error).message }, "failed");
                }
                continue;
            }
            fileOf.push(n);
            yield doc;
        }
    }
    await service.ingestMany(read(), (i, r) => {
        const n = fileOf[i];
        const file = outcomes[n].file;
        if ("error" in r) {
            if (r.error instanceof InputError) {
                outcomes[n] = { file, skipped: r.error.message };
            } else {
                outcomes[n] = { file, failed: r.error.message };
                log.error({ file, err: r.error.message }, "failed");
            }
        } else if (r.result.created) {
            outcomes[n] = { file, created: true, chunks: r.result.document.chunkCount };
            log.info({ file, id: r.result.document.id, chunks: r.result.document.chunkCount }, "indexed");
        } else {
            outcomes[n] = { file, created: false, chunks: 0 };
            log.debug({ file, id: r.result.document.id }, "unchanged (same checksum already indexed)");
        }
    });
    const report: IndexReport = { scanned: outcomes.length, indexed: 0, unchanged: 0, skipped: [], failed: [], chunks: 0 };
    for (const o of outcomes) {
        if ("skipped" in o) {
            report.skipped.push({ file: o.file, reason: o.skipped });
        } else if ("failed" in o) {
            report.failed.push({ file: o.file, reason: o.failed });
        } else if (o.created) {
            report.indexed++;
            report.chunks += o.chunks;
        } else {
            report.unchanged++;
        }
    }
    return report;
}
