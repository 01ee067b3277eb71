// Validator of the model-serving tier (vLLM inference, TEI embeddings and reranking).
import { parseQuantity } from "../../../lib/quantity";
import type { Checker } from "../checker";
import {
    ANTI_AFFINITY_MODES,
    GPU_SCHEDULING_KEYS,
    GpuSchedulingConfig,
    LLM_DTYPES,
    LLM_SERVER_KEYS,
    MODEL_AUTOSCALING_KEYS,
    MODEL_MODES,
    MODEL_SERVING_ALERT_KEYS,
    MODEL_SERVING_KEYS,
    ModelServerBaseConfig,
    OPTIONAL_GPU_KEYS,
    PlatformConfig,
    SECRET_KEY_KEYS,
    TAINT_EFFECTS,
    TEI_SERVER_KEYS,
    TOLERATION_OPERATORS,
} from "../types";
import { checkResources } from "./shared";

/** A Hugging Face model id: `org/name` (letters, digits, '-', '_', '.'). */
export const HF_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HF_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const BASE_URL = /^https?:\/\/[a-z0-9.-]+(:\d+)?(\/[\w.~%-]*)*$/;
const EXTENDED_RESOURCE = /^[a-z0-9.-]+\/[a-z0-9.-]+$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkGpu(check: Checker, key: string, gpu: GpuSchedulingConfig, on: boolean): void {
    check.string(`${key}.resourceName`, gpu?.resourceName, EXTENDED_RESOURCE, "must be an extended resource name such as nvidia.com/gpu");
    if (on && (typeof gpu?.count !== "number" || gpu.count < 1)) {
        check.fail(`${key}.count`, gpu?.count, "must be at least 1 while the server runs in the cluster on GPUs");
    } else {
        check.int(`${key}.count`, gpu?.count, 1, 16);
    }
    check.labelMap(`${key}.nodeSelector`, gpu?.nodeSelector);
    if (on && gpu?.nodeSelector && Object.keys(gpu.nodeSelector).length === 0) {
        check.fail(`${key}.nodeSelector`, gpu.nodeSelector, `must select GPU nodes, e.g. { "nvidia.com/gpu.present": "true" }`);
    }
    if (!Array.isArray(gpu?.tolerations)) {
        check.fail(`${key}.tolerations`, gpu?.tolerations, "must be a list of { key, operator, effect } tolerations");
        return;
    }
    gpu.tolerations.forEach((t, i) => {
        const k = `${key}.tolerations[${i}]`;
        check.unknownKeys(k, t, ["key", "operator", "value", "effect"]);
        check.string(`${k}.key`, t?.key, LABEL_KEY, "must be a taint key such as nvidia.com/gpu");
        check.oneOf(`${k}.operator`, t?.operator, TOLERATION_OPERATORS);
        check.oneOf(`${k}.effect`, t?.effect, TAINT_EFFECTS);
        if (t?.operator === "Equal" && typeof t.value !== "string") {
            check.fail(`${k}.value`, t.value, 'is required with operator "Equal"');
        }
    });
    if (on && !gpu.tolerations.some((t) => t?.key === gpu.resourceName && t?.effect === "NoSchedule")) {
        check.fail(
            `${key}.tolerations`,
            gpu.tolerations,
            `must tolerate the GPU nodes' taint: { key: "${gpu.resourceName}", operator: "Exists", effect: "NoSchedule" }`,
        );
    }
}

/** What every server shares; `inCluster` turns on the checks that matter only when its objects are rendered. */
function checkServer(check: Checker, key: string, s: ModelServerBaseConfig): boolean {
    check.oneOf(`${key}.mode`, s.mode, MODEL_MODES);
    const inCluster = s.mode === "in-cluster";
    if (s.mode === "external") {
        check.string(
            `${key}.baseUrl`,
            s.baseUrl,
            BASE_URL,
            'must be an OpenAI-compatible base URL such as "https://api.openai.com/v1" when mode is "external"',
        );
    } else if (typeof s.baseUrl !== "string" || s.baseUrl !== "") {
        check.fail(`${key}.baseUrl`, s.baseUrl, `must be empty unless mode is "external" (mode is ${JSON.stringify(s.mode)})`);
    }
    check.image(`${key}.image`, s.image);
    if (inCluster || s.mode === "local") {
        check.string(`${key}.model`, s.model, HF_MODEL_ID, 'must be a Hugging Face model id "org/name", e.g. "Qwen/Qwen2.5-7B-Instruct"');
    } else {
        check.string(`${key}.model`, s.model, /^\S+$/, "must be the model name the external endpoint serves");
    }
    check.string(`${key}.revision`, s.revision, HF_REVISION, "must be a branch, tag or commit of the model repository");
    check.int(`${key}.replicas`, s.replicas, inCluster ? 1 : 0, 64);
    checkResources(check, `${key}.resources`, s.resources);
    check.quantity(`${key}.cacheSize`, s.cacheSize, "storage");
    check.int(`${key}.startupProbeSeconds`, s.startupProbeSeconds, 60, 7200);
    if (s.hfTokenSecret !== undefined) {
        check.unknownKeys(`${key}.hfTokenSecret`, s.hfTokenSecret, SECRET_KEY_KEYS);
        check.dnsSubdomain(`${key}.hfTokenSecret.name`, s.hfTokenSecret?.name, "the name of an existing Secret");
        check.string(`${key}.hfTokenSecret.key`, s.hfTokenSecret?.key, /^[-._a-zA-Z0-9]+$/, "must be a key of that Secret");
    }
    return inCluster;
}

export function validateModelServing(check: Checker, cfg: PlatformConfig): void {
    const ms = cfg.modelServing;
    check.unknownKeys("modelServing", ms, MODEL_SERVING_KEYS);

    const llm = ms.llm;
    check.unknownKeys("modelServing.llm", llm, LLM_SERVER_KEYS);
    const llmOn = checkServer(check, "modelServing.llm", llm);
    check.oneOf("modelServing.llm.dtype", llm.dtype, LLM_DTYPES);
    check.int("modelServing.llm.maxModelLen", llm.maxModelLen, 256, 1_048_576);
    check.int("modelServing.llm.tensorParallelSize", llm.tensorParallelSize, 1, 16);
    check.unknownKeys("modelServing.llm.gpu", llm.gpu, GPU_SCHEDULING_KEYS);
    checkGpu(check, "modelServing.llm.gpu", llm.gpu, llmOn);
    if (llmOn && typeof llm.gpu?.count === "number" && llm.gpu.count !== llm.tensorParallelSize) {
        check.fail(
            "modelServing.llm.tensorParallelSize",
            llm.tensorParallelSize,
            `must equal modelServing.llm.gpu.count (${llm.gpu.count}): vLLM shards the model over exactly the pod's GPUs`,
        );
    }
    const a = llm.autoscaling;
    check.unknownKeys("modelServing.llm.autoscaling", a, MODEL_AUTOSCALING_KEYS);
    check.bool("modelServing.llm.autoscaling.enabled", a?.enabled);
    check.int("modelServing.llm.autoscaling.minReplicas", a?.minReplicas, 1, 64);
    check.int("modelServing.llm.autoscaling.maxReplicas", a?.maxReplicas, 1, 64);
    if (a?.minReplicas > a?.maxReplicas) {
        check.fail("modelServing.llm.autoscaling.minReplicas", a.minReplicas, `must not exceed modelServing.llm.autoscaling.maxReplicas (${a.maxReplicas})`);
    }
    if (llmOn && a?.enabled && (llm.replicas < a.minReplicas || llm.replicas > a.maxReplicas)) {
        check.fail(
            "modelServing.llm.replicas",
            llm.replicas,
            `must lie within modelServing.llm.autoscaling.minReplicas..maxReplicas (${a.minReplicas}..${a.maxReplicas})`,
        );
    }
    check.string("modelServing.llm.autoscaling.metricName", a?.metricName, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name");
    if (typeof a?.targetAverageValue !== "string" || parseQuantity(a.targetAverageValue) === undefined) {
        check.fail("modelServing.llm.autoscaling.targetAverageValue", a?.targetAverageValue, `must be a quantity string such as "5" or "500m"`);
    }
    check.int("modelServing.llm.autoscaling.scaleDownStabilizationSeconds", a?.scaleDownStabilizationSeconds, 0, 3600);
    check.oneOf("modelServing.llm.antiAffinity", llm.antiAffinity, ANTI_AFFINITY_MODES);
    const maxReplicas = a?.enabled ? a.maxReplicas : llm.replicas;
    if (llmOn && cfg.environment === "prod" && maxReplicas > 1 && llm.antiAffinity !== "required") {
        check.fail(
            "modelServing.llm.antiAffinity",
            llm.antiAffinity,
            `must be "required" in prod with more than one replica (up to ${maxReplicas}): two replicas on one node fail together`,
        );
    }
    const shm = check.quantity("modelServing.llm.shmSize", llm.shmSize, "memory");
    const memLimit = parseQuantity(llm.resources?.limits?.memory ?? "");
    if (shm !== undefined && memLimit !== undefined && shm >= memLimit) {
        check.fail(
            "modelServing.llm.shmSize",
            llm.shmSize,
            `must be below modelServing.llm.resources.limits.memory (${llm.resources.limits.memory}): /dev/shm is memory of the pod`,
        );
    }
    check.int("modelServing.llm.drainSeconds", llm.drainSeconds, 10, 3600);

    for (const name of ["embedding", "reranker"] as const) {
        const key = `modelServing.${name}`;
        const tei = ms[name];
        check.unknownKeys(key, tei, TEI_SERVER_KEYS);
        const on = checkServer(check, key, tei);
        check.image(`${key}.gpuImage`, tei.gpuImage);
        check.unknownKeys(`${key}.gpu`, tei.gpu, OPTIONAL_GPU_KEYS);
        check.bool(`${key}.gpu.enabled`, tei.gpu?.enabled);
        checkGpu(check, `${key}.gpu`, tei.gpu, on && tei.gpu?.enabled === true);
    }

    const t = ms.alerts;
    check.unknownKeys("modelServing.alerts", t, MODEL_SERVING_ALERT_KEYS);
    check.number("modelServing.alerts.timeToFirstTokenP99Seconds", t?.timeToFirstTokenP99Seconds, 0.01, 600);
    check.int("modelServing.alerts.requestsWaiting", t?.requestsWaiting, 1, 10_000);
    check.number("modelServing.alerts.kvCacheUsageRatio", t?.kvCacheUsageRatio, 0.01, 1);
    check.number("modelServing.alerts.gpuMemoryUsageRatio", t?.gpuMemoryUsageRatio, 0.01, 1);
}
