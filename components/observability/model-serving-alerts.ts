// Alerts of the model-serving tier: what hurts LLM inference (slow first tokens, a growing queue, a full
// KV cache, GPU memory), with thresholds from modelServing.alerts. Only with an in-cluster LLM server.
import { AlertDraft, AlertRule, withRunbook } from "./alerts";
import type { ModelServingAlertThresholds } from "../config";
import { GPU_METRICS as GPU, llmSeries, MODEL_METRICS as M, MonitoredNames } from "./metrics";

export function modelServingAlertRules(names: MonitoredNames, t: ModelServingAlertThresholds): AlertRule[] {
    if (!names.llm) {
        return [];
    }
    const { server: llm, gpuPods } = llmSeries(names, names.llm);
    const drafts: AlertDraft[] = [
        {
            alert: "RagLlmTimeToFirstTokenP99",
            expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(${M.llmTimeToFirstToken}_bucket{${llm}}[5m]))) > ${t.timeToFirstTokenP99Seconds}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM time to first token p99 is high",
                description: `The 99th percentile of vLLM's time to first token has been above ${t.timeToFirstTokenP99Seconds}s for 10 minutes: prompts wait for prefill. Scale out or shorten prompts.`,
            },
        },
        {
            alert: "RagLlmRequestsWaiting",
            expr: `max by (namespace, pod) (${M.llmRequestsWaiting}{${llm}}) > ${t.requestsWaiting}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM replica {{ $labels.pod }} has a growing queue",
                description: `More than ${t.requestsWaiting} requests have waited in vLLM for 5 minutes: the HPA is at its maximum or new replicas cannot start (GPU nodes, model download).`,
            },
        },
        {
            alert: "RagLlmKvCacheNearlyFull",
            expr: `max by (namespace, pod) (${M.llmKvCacheUsage}{${llm}}) > ${t.kvCacheUsageRatio}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM replica {{ $labels.pod }} KV cache is nearly full",
                description: `vLLM's KV cache has been above ${Math.round(t.kvCacheUsageRatio * 100)}% for 10 minutes: requests get preempted. Lower maxModelLen, add GPUs or replicas.`,
            },
        },
        {
            alert: "RagGpuMemoryNearlyFull",
            expr:
                `max by (namespace, pod, gpu) (${GPU.framebufferUsed}{${gpuPods}}\n` +
                `  / (${GPU.framebufferUsed}{${gpuPods}} + ${GPU.framebufferFree}{${gpuPods}})) > ${t.gpuMemoryUsageRatio}`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "GPU {{ $labels.gpu }} of {{ $labels.pod }} is nearly out of memory",
                description: `More than ${Math.round(t.gpuMemoryUsageRatio * 100)}% of the GPU's memory has been in use for 15 minutes (DCGM exporter). vLLM preallocates gpu-memory-utilization; anything beyond it risks out-of-memory errors.`,
            },
        },
    ];
    return drafts.map(withRunbook);
}
