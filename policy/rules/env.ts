// Rule 9: environment variables that look like credentials come from a Secret, never a plain value.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, schema, workloadPolicy } from "./common";

export interface SecretEnvConfig extends BaseConfig {
    /** Name fragments (case-insensitive) that mark an env var as secret. */
    secretNamePatterns: string[];
}

export const DEFAULT_SECRET_PATTERNS = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL", "ACCESS_KEY"];

/** Whether a plain value is only a reference: $(VAR) expansions, or a *_FILE path. */
function isReference(name: string, value: string): boolean {
    return /_FILE$/i.test(name) || /^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$/.test(value);
}

export const envPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<SecretEnvConfig>({
        name: "k8s-secret-env-from-secret",
        displayName: "Secrets only from Secrets",
        severity: "high",
        remediationSteps: "Store the value in a Secret and reference it with env[].valueFrom.secretKeyRef (or mount it as a file).",
        url: "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
        tags: ["kubernetes", "security", "secrets"],
        description: "Env vars whose names look secret (PASSWORD, TOKEN, API_KEY...) use valueFrom.secretKeyRef, never a plain value.",
        defaults: { secretNamePatterns: DEFAULT_SECRET_PATTERNS },
        configSchema: schema({
            secretNamePatterns: {
                type: "array",
                items: { type: "string" },
                default: DEFAULT_SECRET_PATTERNS,
                description: "Name fragments that mark an env var as secret.",
            },
        }),
        container: (r, _pod, c, config, report) => {
            const env: any[] = Array.isArray(c.container.env) ? c.container.env : [];
            const patterns = config.secretNamePatterns.map((p) => p.toUpperCase());
            env.forEach((e, i) => {
                const name = String(e?.name ?? "");
                if (!patterns.some((p) => name.toUpperCase().includes(p))) {
                    return;
                }
                if (typeof e.value === "string" && e.value !== "" && !isReference(name, e.value)) {
                    report(containerMessage(r, c, `env[${i}].value`, `sets ${name} in plain text`, `store it in a Secret and use valueFrom.secretKeyRef`));
                } else if (e.valueFrom && !e.valueFrom.secretKeyRef) {
                    const source = Object.keys(e.valueFrom)[0];
                    report(
                        containerMessage(r, c, `env[${i}].valueFrom.${source}`, `reads ${name} from a ${source}`, `read it from a Secret with secretKeyRef`),
                    );
                }
            });
        },
    }),
];
