import client from "prom-client";

/**
 * The names the platform's alerts, dashboard and HPA query (components/metrics.ts APP_METRICS):
 * http_request_duration_seconds and http_requests_total with labels method, handler (the route pattern)
 * and status (the class: "2xx", "4xx", "5xx"), and rag_queue_length.
 */
export function createMetrics() {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const labelNames = ["method", "handler", "status"] as const;
    return {
        registry,
        requestDuration: new client.Histogram({
            name: "http_request_duration_seconds",
            help: "HTTP request latency in seconds",
            labelNames,
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            registers: [registry],
        }),
        requestsTotal: new client.Counter({ name: "http_requests_total", help: "HTTP requests", labelNames, registers: [registry] }),
        queueLength: new client.Gauge({ name: "rag_queue_length", help: "RAG operations waiting for a worker slot (WORKERS)", registers: [registry] }),
        inFlight: new client.Gauge({ name: "rag_operations_in_flight", help: "RAG operations running", registers: [registry] }),
        documentsIngested: new client.Counter({ name: "rag_documents_ingested_total", help: "Documents stored", registers: [registry] }),
        vectorIndexMissing: new client.Gauge({
            name: "rag_vector_index_missing_chunks",
            help: "Chunks PostgreSQL holds that the active vector collection lacks (a wiped or partial index: run index --rebuild); NaN while either store is unreachable",
            registers: [registry],
        }),
        queryCache: new client.Counter({
            name: "rag_query_cache_total",
            help: "Queries by cache result",
            labelNames: ["result"] as const,
            registers: [registry],
        }),
    };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** At most `slots` operations at once; the others wait in FIFO order (their number is rag_queue_length). */
export class Limiter {
    private running = 0;
    private readonly waiting: (() => void)[] = [];

    constructor(
        private readonly slots: number,
        private readonly metrics: Metrics,
    ) {}

    async run<T>(fn: () => Promise<T>): Promise<T> {
        if (this.running >= this.slots) {
            // Wait for a finishing operation to hand its slot over (running stays counted).
            await new Promise<void>((resolve) => {
                this.waiting.push(resolve);
                this.metrics.queueLength.set(this.waiting.length);
            });
            this.metrics.queueLength.set(this.waiting.length);
        } else {
            this.running++;
        }
        this.metrics.inFlight.set(this.running);
        try {
            return await fn();
        } finally {
            const next = this.waiting.shift();
            if (next) {
                next();
            } else {
                this.running--;
                this.metrics.inFlight.set(this.running);
            }
        }
    }
}
