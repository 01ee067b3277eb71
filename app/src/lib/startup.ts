// Waiting for the datastores when a batch process starts: PostgreSQL may still be starting, or restarting
// during a secret rotation (the StatefulSet rolls while the new API pod's `migrate` and the new indexer Job
// already run; the new password reaches the database when its new pod starts; see components/postgres.ts).
// Only errors that go away by themselves are retried; a wrong database name or a syntax error fails at once.
import type { Logger } from "pino";

/**
 * Errors of a datastore that is not there yet, restarting (its Service has no endpoint: kube-proxy answers
 * EHOSTUNREACH), or not yet on the rotated password. The Chroma client replaces a refused connection with its own
 * "Failed to connect to chromadb" (a new indexer pod met it while Chroma started, and while the policy engine had
 * not yet let the new pod in).
 */
export const TRANSIENT_ERROR =
    /Failed to connect to chromadb|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timeout|starting up|shutting down|Connection terminated|terminating connection|server closed the connection|not queryable|password authentication failed/i;

export interface RetryOptions {
    /** @default 30 */
    attempts?: number;
    /** @default 2000 */
    delayMs?: number;
}

/** Runs `fn` until it succeeds, retrying transient errors (`attempts` x `delayMs`: a minute by default). */
export async function retryTransient<T>(what: string, fn: () => Promise<T>, log: Logger, { attempts = 30, delayMs = 2000 }: RetryOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (err) {
            const msg = (err as Error).message;
            if (!TRANSIENT_ERROR.test(msg) || attempt >= attempts) {
                throw err;
            }
            log.warn({ err: msg, attempt }, `${what} not reachable yet; retrying in ${delayMs / 1000} s`);
            await new Promise((r) => setTimeout(r, delayMs));
        }
    }
}
