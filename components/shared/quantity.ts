// Quantity parsing is shared with the policy pack (lib/quantity.ts, the one parser);
// formatting for the capacity report lives here.
export { parseQuantity } from "../../lib/quantity";

/** Formats cores as Kubernetes CPU: whole cores as integers, anything else in millicores. */
export function formatCpu(cores: number): string {
    const milli = Math.round(cores * 1000);
    return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/** Formats bytes with the largest binary suffix that keeps the number whole, or one decimal in Gi. */
export function formatBytes(bytes: number): string {
    for (const [suffix, size] of [
        ["Ti", 2 ** 40],
        ["Gi", 2 ** 30],
        ["Mi", 2 ** 20],
        ["Ki", 2 ** 10],
    ] as const) {
        if (bytes >= size && bytes % size === 0) {
            return `${bytes / size}${suffix}`;
        }
    }
    return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)}Gi` : `${Math.round(bytes / 2 ** 20)}Mi`;
}
