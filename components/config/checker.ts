// The checker: collects every problem of a stack, each naming the stack, the full key, the bad value and
// what is allowed; and the error that reports them all at once.
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity } from "../../lib/quantity";
import { isPlainObject } from "./defaults";
import { cronProblem, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "./k8s-validation";
import { PROJECT } from "./types";

/**
 * Every problem of a stack's config. A `pulumi.RunError`: the Pulumi CLI prints its message as it is,
 * without a stack trace, so `pulumi preview` shows the headline and one line per problem.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        /** The stack whose config is invalid (not `stack`: that would shadow Error.stack). */
        readonly stackName: string,
        readonly problems: readonly string[],
    ) {
        super(
            `Invalid configuration for stack "${stackName}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export const PROVISIONER = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/;
const IMAGE = /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Collects problems while reading values out of the merged config, each with its full key. */
export class Checker {
    readonly problems: string[] = [];

    constructor(private readonly stack: string) {}

    fail(key: string, value: unknown, allowed: string): void {
        const shown = value === undefined ? "(missing)" : JSON.stringify(value);
        this.problems.push(`${PROJECT}:${key} = ${shown}: ${allowed} (stack "${this.stack}")`);
    }

    /** Throws a ConfigError when any problem was found. */
    throwIfAny(): void {
        if (this.problems.length > 0) {
            throw new ConfigError(this.stack, this.problems);
        }
    }

    int(key: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
            this.fail(key, value, `must be ${range}`);
        }
    }

    number(key: string, value: unknown, min: number, max: number): void {
        if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
            this.fail(key, value, `must be a number from ${min} to ${max}`);
        }
    }

    bool(key: string, value: unknown): void {
        if (typeof value !== "boolean") {
            this.fail(key, value, "must be true or false");
        }
    }

    string(key: string, value: unknown, pattern: RegExp, allowed: string): void {
        if (typeof value !== "string" || !pattern.test(value)) {
            this.fail(key, value, allowed);
        }
    }

    oneOf(key: string, value: unknown, allowed: readonly string[]): void {
        if (typeof value !== "string" || !allowed.includes(value)) {
            this.fail(key, value, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
        }
    }

    quantity(key: string, value: unknown, what: "cpu" | "memory" | "storage"): number | undefined {
        const parsed = typeof value === "string" || typeof value === "number" ? parseQuantity(value) : undefined;
        if (parsed === undefined || parsed <= 0) {
            const example = what === "cpu" ? `"500m" or "2"` : `"512Mi" or "10Gi"`;
            this.fail(key, value, `must be a positive Kubernetes ${what} quantity such as ${example}`);
            return undefined;
        }
        return parsed;
    }

    image(key: string, value: unknown): void {
        const match = typeof value === "string" ? IMAGE.exec(value) : null;
        if (!match) {
            this.fail(key, value, `must be an image reference "repository:tag" or "repository@sha256:<digest>"`);
        } else if (!match[1] && !match[2]) {
            this.fail(key, value, "must pin a tag or a digest; an untagged image means `latest`");
        } else if (match[1] === "latest") {
            this.fail(key, value, "must pin a version tag or a digest, not `latest`");
        }
    }

    stringMap(key: string, value: unknown): void {
        if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
            this.fail(key, value, "must be a map of string to string");
        }
    }

    stringList(key: string, value: unknown, pattern: RegExp, allowed: string): void {
        if (!Array.isArray(value)) {
            this.fail(key, value, "must be a list");
            return;
        }
        value.forEach((v, i) => this.string(`${key}[${i}]`, v, pattern, allowed));
    }

    /** `value` must be an object whose keys are all in `known` (a key list from types.ts). */
    unknownKeys(key: string, value: unknown, known: readonly string[]): void {
        if (!isPlainObject(value)) {
            this.fail(key, value, "must be an object");
            return;
        }
        for (const k of Object.keys(value)) {
            if (!known.includes(k)) {
                this.fail(`${key}.${k}`, value[k], `is not a known key; known keys of ${key}: ${known.join(", ")}`);
            }
        }
    }

    /** A CronJob schedule the API server accepts (k8s-validation.ts cronProblem). */
    cron(key: string, value: unknown): void {
        const problem = cronProblem(value);
        if (problem !== undefined) {
            this.fail(key, value, `must be a 5-field cron schedule such as "0 2 * * *" or "30 1 * * MON-FRI": it ${problem}`);
        }
    }

    /** A DNS-1123 label (IsDNS1123Label): lower-case letters, digits and '-', at most 63 characters. */
    dnsLabel(key: string, value: unknown, what: string): void {
        if (!isDns1123Label(value)) {
            this.fail(key, value, `must be ${what}: a DNS label (lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters)`);
        }
    }

    /** A DNS-1123 subdomain (IsDNS1123Subdomain): dot-separated DNS labels, at most 253 characters. */
    dnsSubdomain(key: string, value: unknown, what: string): void {
        if (!isDns1123Subdomain(value)) {
            this.fail(key, value, `must be ${what}: a lower-case DNS subdomain (labels of letters, digits and '-' joined by '.', at most 253 characters)`);
        }
    }

    /** A label map: keys qualified names (IsQualifiedName), values valid label values (IsValidLabelValue). */
    labelMap(key: string, value: unknown): void {
        if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
            this.fail(key, value, "must be a map of string to string (label keys to label values)");
            return;
        }
        for (const [k, v] of Object.entries(value)) {
            if (!isQualifiedName(k)) {
                this.fail(
                    `${key}.${k}`,
                    v,
                    "has an invalid label key: [prefix/]name, the prefix a DNS subdomain, the name at most 63 characters of letters, digits, '-', '_', '.'",
                );
            } else if (!isValidLabelValue(v)) {
                this.fail(
                    `${key}.${k}`,
                    v,
                    "must be a label value: a string of at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric (or empty)",
                );
            }
        }
    }
}
