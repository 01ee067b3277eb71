// Reporting, in the protocol e2e/run.sh reads: `ok   - ...` / `FAIL - ...` lines (one per check),
// `time\t<label>\t<seconds>` lines for the timing table, and the `summary\t<passed>\t<failed>` line last.
import * as fs from "fs";

let passed = 0;
let failed = 0;
const times = new Map<string, number>();
export function pass(msg: string): void {
    passed++;
    console.log(`ok   - ${msg}`);
}
export function fail(msg: string, logFile?: string, lines = 40): void {
    failed++;
    console.log(`FAIL - ${msg}`);
    if (logFile && fs.existsSync(logFile)) {
        console.log(`----- last lines of ${logFile}`);
        console.log(fs.readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n"));
        console.log("-----");
    }
}
export function recordTime(label: string, secs: number): void {
    times.set(label, secs);
    console.log(`time\t${label}\t${secs.toFixed(1)}`);
}
export const fmt = (s: number): string => s.toFixed(1);

/** The last line run.sh reads: how many checks passed and failed. */
export function summary(): string {
    return `summary\t${passed}\t${failed}`;
}
