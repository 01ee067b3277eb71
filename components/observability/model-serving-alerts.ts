// Alerts of the model-serving tier: what hurts LLM inference (slow first tokens, a growing queue, a full
// KV cache, GPU memory), with thresholds from modelServing.alerts. Only with an in-cluster LLM server.
import { AlertDraft, AlertRule, pendingFor, withRunbook } from "./alerts";
import type { AlertName, ModelServingAlertThresholds } from "../config";
import { GPU_METRICS as GPU, llmSeries, MODEL_METRICS as M, MonitoredNames } from "./metrics";

export function modelServingAlertRules(names: MonitoredNames, t: ModelServingAlertThresholds, forMinutes: Record<AlertName, number>): AlertRule[] {
    if (!names.llm) {
        return [];
    }
    const { server: llm, gpuPods } = llmSeries(names, names.llm);
    const ttft = pendingFor(forMinutes, "RagLlmTimeToFirstTokenP99");
    const waiting = pendingFor(forMinutes, "RagLlmRequestsWaiting");
    const kvCache = pendingFor(forMinutes, "RagLlmKvCacheNearlyFull");
    const gpuMemory = pendingFor(forMinutes, "RagGpuMemoryNearlyFull");
    const drafts: AlertDraft[] = [
        {
            alert: "RagLlmTimeToFirstTokenP99",
            expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(${M.llmTimeToFirstToken}_bucket{${llm}}[5m]))) > ${t.timeToFirstTokenP99Seconds}`,
            for: ttft.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM time to first token p99 is high",
                description: `The 99th percentile of vLLM's time to first token has been above ${t.timeToFirstTokenP99Seconds}s ${ttft.lasting}: prompts wait for prefill. Scale out or shorten prompts.`,
            },
        },
        {
            alert: "RagLlmRequestsWaiting",
            expr: `max by (namespace, pod) (${M.llmRequestsWaiting}{${llm}}) > ${t.requestsWaiting}`,
            for: waiting.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM replica {{ $labels.pod }} has a growing queue",
                description: `More than ${t.requestsWaiting} requests have waited in vLLM ${waiting.lasting}: the HPA is at its maximum or new replicas cannot start (GPU nodes, model download).`,
            },
        },
        {
            alert: "RagLlmKvCacheNearlyFull",
            expr: `max by (namespace, pod) (${M.llmKvCacheUsage}{${llm}}) > ${t.kvCacheUsageRatio}`,
            for: kvCache.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "LLM replica {{ $labels.pod }} KV cache is nearly full",
                description: `vLLM's KV cache has been above ${Math.round(t.kvCacheUsageRatio * 100)}% ${kvCache.lasting}: requests get preempted. Lower maxModelLen, add GPUs or replicas.`,
            },
        },
        {
            alert: "RagGpuMemoryNearlyFull",
            expr:
                `max by (namespace, pod, gpu) (${GPU.framebufferUsed}{${gpuPods}}\n` +
                `  / (${GPU.framebufferUsed}{${gpuPods}} + ${GPU.framebufferFree}{${gpuPods}})) > ${t.gpuMemoryUsageRatio}`,
            for: gpuMemory.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "GPU {{ $labels.gpu }} of {{ $labels.pod }} is nearly out of memory",
                description: `More than ${Math.round(t.gpuMemoryUsageRatio * 100)}% of the GPU's memory has been in use ${gpuMemory.lasting} (DCGM exporter). vLLM preallocates gpu-memory-utilization; anything beyond it risks out-of-memory errors.`,
            },
        },
    ];
    return drafts.map(withRunbook);
}
