// The platform's scheduled Jobs (re-indexing, PostgreSQL dumps, vector-store snapshots) share one shape:
// runs never overlap, and their Jobs keep no TTL (the TTL controller would delete a failed night's run and
// its pods' logs before anyone looked): the history limits keep the last 3 successful and the last 3 failed
// runs, and an alert fires on a failed one (observability/alerts.ts).
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Identity, labels, metadata } from "./workload";

export interface ScheduledJobArgs {
    identity: Identity;
    /** The CronJob's Kubernetes name (its Jobs are `<name>-<scheduled minute>`). */
    name: string;
    /** Cron schedule, validated by config (the API server's parser). */
    schedule: string;
    /** How late a missed run may still start. @default 600 */
    startingDeadlineSeconds?: number;
    /** The Jobs' spec: backoff, deadline and pod template. */
    job: k8s.types.input.batch.v1.JobSpec;
}

/** A Job spec: backoff and deadline from the component's config, the pod template labelled like the component. */
export function jobSpec(
    identity: Identity,
    limits: { backoffLimit: number; activeDeadlineSeconds: number },
    podSpec: k8s.types.input.core.v1.PodSpec,
    annotations?: Record<string, string>,
): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: limits.backoffLimit,
        activeDeadlineSeconds: limits.activeDeadlineSeconds,
        template: { metadata: { labels: labels(identity), ...(annotations ? { annotations } : {}) }, spec: podSpec },
    };
}

/** A CronJob under `parent`: `concurrencyPolicy: Forbid`, history limits 3 and 3, Jobs labelled like the component. */
export function scheduledJob(resourceName: string, args: ScheduledJobArgs, parent: pulumi.Resource): k8s.batch.v1.CronJob {
    return new k8s.batch.v1.CronJob(
        resourceName,
        {
            metadata: metadata(args.identity, args.name),
            spec: {
                schedule: args.schedule,
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: args.startingDeadlineSeconds ?? 600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: { metadata: { labels: labels(args.identity) }, spec: args.job },
            },
        },
        { parent },
    );
}
