// The app on loopback for the browser driver, without a cluster: the API (migrations first) and the frontend
// in-process on 127.0.0.1, against the real PostgreSQL, Redis and Chroma of app/scripts/services.sh (the
// RAG_TEST_* variables of app/scripts/with-services.sh). Used by test/browser.test.ts and, as a script, by
// e2e/browser/local.sh:
//
//   bash app/scripts/with-services.sh node -r ts-node/register/transpile-only e2e/browser/local.ts <artifact dir>
//
// As a script it serves the frontend WITHOUT API_UPSTREAM, like the frontend pod on the node, and gives chat.ts
// --api (its ingress stand-in routes /api to the API), so it takes the same path as the node e2e test.
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import http from "node:http";
import { AddressInfo } from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { Api, buildApi } from "../../app/src/api/server";
import { createFrontend } from "../../app/src/frontend";
import { deriveApiKey } from "../../app/src/lib/auth";
import { loadSettings, secretValues } from "../../app/src/lib/contract";
import { createLogger } from "../../app/src/lib/logger";
import { migrate } from "../../app/src/lib/migrations";
import { createService } from "../../app/src/lib/runtime";
import { createDatabase, testSettings } from "../../app/test/services";

export interface LocalApp {
    frontendUrl: string;
    apiUrl: string;
    key: string;
    /** the API's and the frontend's log lines (JSON), for a failure's diagnosis */
    logs: string[];
    close(): Promise<void>;
}

/** API and frontend on 127.0.0.1, a fresh database and collection; `upstream`: the frontend forwards /api to the API itself (API_UPSTREAM). */
export async function startLocalApp(opts: { database: string; upstream: boolean }): Promise<LocalApp> {
    const logs: string[] = [];
    const sink = new Writable({
        write(chunk, _enc, cb) {
            logs.push(String(chunk));
            cb();
        },
    });
    const url = createDatabase(opts.database);
    const settings = testSettings("api", { DATABASE_URL: url, VECTOR_COLLECTION: `${opts.database}_${Date.now()}` });
    const log = createLogger("info", secretValues(settings), "rag-api", sink);
    await migrate(url, log);
    const service = createService(settings, log);
    const api: Api = await buildApi(settings, service, log);
    await api.app.listen({ host: "127.0.0.1", port: 0 });
    const apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
    const frontend = createFrontend(
        loadSettings("frontend", opts.upstream ? { API_UPSTREAM: apiUrl } : {}),
        path.join(__dirname, "..", "..", "app", "public"),
        (line) => logs.push(line),
    );
    await new Promise<void>((resolve) => frontend.listen(0, "127.0.0.1", resolve));
    return {
        frontendUrl: `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`,
        apiUrl,
        key: deriveApiKey(settings.API_SIGNING_KEY),
        logs,
        async close() {
            await new Promise<void>((resolve) => {
                (frontend as http.Server).closeAllConnections();
                frontend.close(() => resolve());
            });
            await service.store.drop().catch(() => undefined);
            await api.shutdown(5000);
        },
    };
}

if (require.main === module) {
    const artifacts = process.argv[2];
    if (!artifacts) {
        process.stderr.write("usage: local.ts <artifact dir> (under app/scripts/with-services.sh)\n");
        process.exit(2);
    }
    (async () => {
        const app = await startLocalApp({ database: "rag_browser_local", upstream: false });
        console.log(`# API ${app.apiUrl}, frontend ${app.frontendUrl} (no API_UPSTREAM: the driver's ingress stand-in routes /api)`);
        let failed = 0;
        let passed = 0;
        try {
            // the driver exactly as the node e2e test calls it: a process, the key in its environment
            const chat = path.join(__dirname, "chat.ts");
            const args = ["-r", "ts-node/register/transpile-only", chat, "--url", app.frontendUrl, "--api", app.apiUrl, "--artifacts", artifacts];
            console.log(`# RAG_API_KEY=<key> node ${args.join(" ")}`);
            const child = spawn(process.execPath, args, { env: { ...process.env, RAG_API_KEY: app.key }, stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            child.stdout.on("data", (d: Buffer) => {
                out += d;
                process.stdout.write(d);
            });
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            const summary = /^summary\t(\d+)\t(\d+)$/m.exec(out);
            if (code === 0 && summary && summary[2] === "0") {
                passed++;
                console.log(`ok   - local: chat.ts exited 0 (${summary[1]} checks passed)`);
            } else {
                failed++;
                console.log(`FAIL - local: chat.ts exited ${code}, summary ${summary ? `${summary[1]} passed, ${summary[2]} failed` : "missing"}`);
            }
            if (out.includes(app.key)) {
                failed++;
                console.log("FAIL - local: chat.ts printed the write key");
            }
            for (const f of ["chat-answer.png", "chat-refusals.png"].map((n) => path.join(artifacts, n))) {
                if (existsSync(f) && statSync(f).size > 0) {
                    passed++;
                    console.log(`ok   - local: ${f} exists (${statSync(f).size} bytes)`);
                } else {
                    failed++;
                    console.log(`FAIL - local: ${f} is missing`);
                }
            }
            if (failed) console.log(`# the app's last log lines:\n${app.logs.slice(-15).join("")}`);
        } finally {
            await app.close();
        }
        console.log(`${passed} passed, ${failed} failed`);
        process.exit(failed ? 1 : 0);
    })().catch((err) => {
        console.log(`FAIL - local: ${err instanceof Error ? err.stack : String(err)}`);
        process.exit(1);
    });
}
