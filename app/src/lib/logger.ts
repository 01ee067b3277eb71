import pino from "pino";
import { pinoLevel } from "./contract";

/**
 * JSON logs on stdout. Every secret value known to the process is replaced by [REDACTED] in the final line,
 * whatever field it hides in (an error message quoting a connection string, a header...), and the usual
 * credential fields are dropped by path as well.
 */
export function createLogger(level: string, secrets: string[], name: string, destination?: pino.DestinationStream): pino.Logger {
    const needles = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
    const variants = needles.flatMap((s) => [...new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)])]);
    return pino(
        {
            name,
            level: pinoLevel(level),
            base: { service: name },
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            redact: {
                paths: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "*.password", "*.apiKey", "*.token"],
                censor: "[REDACTED]",
            },
            hooks: {
                streamWrite: (line: string) => redactAll(line, variants),
            },
        },
        destination ?? pino.destination(1),
    );
}

export function redactAll(text: string, needles: string[]): string {
    let out = text;
    for (const n of needles) {
        if (n && out.includes(n)) {
            out = out.split(n).join("[REDACTED]");
        }
    }
    return out;
}
