// The rendered alerting rules of a stack and the scope the promtool cases need, read off the rendered
// objects (names) and the stack's validated config (thresholds).
import { parseConfig } from "../../components/config";
import { readRawConfig } from "../../scripts/stack-config";
import { apiProbePaths, ofType, renderStack, T } from "../harness";
import { AlertScope, RenderedAlert } from "./promtool-cases";

export const RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";

export interface RenderedRules {
    /** The PrometheusRule's spec.groups: the rule file promtool checks. */
    groups: { name: string; rules: RenderedAlert[] }[];
    scope: AlertScope;
}

export async function renderRules(stack: string): Promise<RenderedRules> {
    const r = await renderStack(stack);
    const rule = ofType(r, RULE_TYPE)[0];
    if (!rule) {
        throw new Error(`stack ${stack} renders no PrometheusRule (monitoring.enabled is false)`);
    }
    const component = (c: string) => (o: { inputs: any }) => o.inputs.metadata?.labels?.["app.kubernetes.io/component"] === c;
    const name = (type: string, c: string) => {
        const found = ofType(r, type).find(component(c));
        if (!found) {
            throw new Error(`no ${type} of component ${c}`);
        }
        return found.inputs.metadata.name as string;
    };
    const cfg = parseConfig(stack, readRawConfig(stack));
    const llmService = ofType(r, T.Service).find((s) => component("llm")(s) && s.inputs.spec.type === "ClusterIP");
    // The exporters' series carry the Service their ServiceMonitor selects (the datastore's client Service, port metrics).
    const exporterService = (c: string) =>
        ofType(r, T.Service).find((s) => component(c)(s) && s.inputs.spec.type === "ClusterIP" && s.inputs.spec.ports.some((p: any) => p.name === "metrics"))
            ?.inputs.metadata.name;
    return {
        groups: rule.inputs.spec.groups,
        scope: {
            namespace: rule.inputs.metadata.namespace,
            apiService: ofType(r, T.Service).find((s) => component("api")(s) && s.inputs.spec.type === "ClusterIP")!.inputs.metadata.name,
            apiProbePaths: apiProbePaths(r),
            hpas: ofType(r, T.HPA).map((h) => h.inputs.metadata.name),
            statefulSets: {
                RagPostgresDown: name(T.StatefulSet, "postgres"),
                RagRedisDown: name(T.StatefulSet, "redis"),
                RagVectorStoreDown: name(T.StatefulSet, "vector-store"),
            },
            indexerCronJob: ofType(r, T.CronJob).find(component("indexer"))?.inputs.metadata.name,
            backupCronJob: ofType(r, T.CronJob).find(component("postgres-backup"))?.inputs.metadata.name,
            vectorSnapshotCronJob: ofType(r, T.CronJob).find(component("vector-snapshot"))?.inputs.metadata.name,
            exporters: { postgres: exporterService("postgres"), redis: exporterService("redis") },
            thresholds: cfg.monitoring.alerts,
            ...(llmService
                ? { llm: { service: llmService.inputs.metadata.name, statefulSet: name(T.StatefulSet, "llm"), thresholds: cfg.modelServing.alerts } }
                : {}),
        },
    };
}
