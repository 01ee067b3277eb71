// Issue 12: a dev copy with every datastore external is admitted, and the namespace holds no StatefulSet,
// Service or claim of theirs; with the ExternalSecret CRD installed the platform key comes through one.
import { kubectl, waitNamespacesGone } from "./cluster";
import { CRDS, DEV_PASS, PROG, PROJECT } from "./env";
import { fail, fmt, pass } from "./report";
import { created, initStack, policyOpts, step } from "./steps";

/** A dev copy with PostgreSQL (by IP), Redis and the vector store (by DNS name, TLS) external, up and destroyed. */
export async function externalDatastores(): Promise<void> {
    const ns = "rag-external";
    const ext = await initStack("external", PROG, DEV_PASS, "init-external");
    if (!ext) return;
    const settings: [string, string][] = [
        ["environment", "dev"],
        ["namespace", ns],
        ["skipAwait", "true"],
        ["kubeContext", "e2e"],
        ["postgres.mode", "external"],
        ["postgres.host", "10.1.2.3"],
        ["postgres.existingSecret.name", "pg"],
        ["postgres.existingSecret.key", "password"],
        ["redis.mode", "external"],
        ["redis.host", "redis.example.internal"],
        ["redis.existingSecret.name", "redis"],
        ["redis.existingSecret.key", "password"],
        ["vectorStore.mode", "external"],
        ["vectorStore.host", "vectors.example.internal"],
        ["vectorStore.port", "443"],
        ["vectorStore.tls", "true"],
        ["vectorStore.existingSecret.name", "qdrant"],
        ["vectorStore.existingSecret.key", "api-key"],
        // With the CRD installed, the platform's own key comes through an ExternalSecret, checked against its schema.
        ...(CRDS
            ? ([
                  ["secrets.externalSecret.storeName", "vault"],
                  ["secrets.externalSecret.storeKind", "ClusterSecretStore"],
                  ["secrets.externalSecret.remoteKeys.API_SIGNING_KEY", "rag/signing"],
              ] as [string, string][])
            : []),
    ];
    for (const [key, value] of settings) await ext.setConfig(`${PROJECT}:${key}`, { value }, true);
    const up = await step("up-external", (h) => ext.up({ ...h, ...policyOpts("dev"), diff: false }));
    if (!up.ok) {
        fail("pulumi up of dev with external datastores (with the policy pack)", up.logFile, 80);
    } else {
        const names = (kinds: string) => kubectl(["-n", ns, "get", kinds, "-o", "name"]).out.split("\n").filter(Boolean);
        const datastoreObjects = names("statefulsets,services,persistentvolumeclaims").filter((n) => /postgres|redis|vector/.test(n));
        const egress = names("networkpolicies").filter((n) => n.includes("allow-clients-to-external-"));
        const refs = kubectl([
            "-n",
            ns,
            "get",
            "deployments",
            "-o",
            'jsonpath={range .items[*].spec.template.spec}{range .initContainers[*]}{.env[*].valueFrom.secretKeyRef.name}{" "}{end}{range .containers[*]}{.env[*].valueFrom.secretKeyRef.name}{" "}{end}{end}',
        ]).out.split(/\s+/);
        const missingRefs = ["pg", "redis", "qdrant"].filter((secret) => !refs.includes(secret));
        const externalSecrets = CRDS ? names("externalsecrets.external-secrets.io") : [];
        if (datastoreObjects.length > 0) {
            fail(`external datastores: their in-cluster objects were still created: ${datastoreObjects.join(", ")}`);
        } else if (egress.length !== 3) {
            fail(`external datastores: expected 3 egress NetworkPolicies to them, found ${egress.length}: ${egress.join(", ")}`);
        } else if (missingRefs.length > 0) {
            fail(`external datastores: no container reads the operator's Secret(s) ${missingRefs.join(", ")}`);
        } else if (CRDS && externalSecrets.length !== 1) {
            fail(`secrets.externalSecret: expected 1 ExternalSecret admitted against the upstream CRD schema, found ${externalSecrets.length}`);
        } else {
            pass(
                `external datastores admitted (${fmt(up.secs)}s, ${created(up)}): no StatefulSet, Service or claim of theirs, ${egress.length} egress NetworkPolicies, credentials from the operator's Secrets${CRDS ? `, the platform key from an ExternalSecret admitted against the upstream CRD schema (${externalSecrets.join(", ")})` : ""}`,
            );
        }
        const ds = await step("destroy-external", (h) => ext.destroy(h));
        if (ds.ok) {
            await waitNamespacesGone([ns]);
        } else {
            fail("pulumi destroy of the external-datastore stack", ds.logFile, 40);
        }
    }
    await ext.workspace.removeStack("external").catch(() => undefined);
}
