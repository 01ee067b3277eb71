import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IndexerConfig } from "./config";
import type { AppWiring } from "./wiring";
import { autonamedMetadata, Identity, labels, pod, PodArgs, serviceAccount } from "./workload";
import { objectName } from "./naming";

export interface DocumentIndexerArgs extends AppWiring {
    identity: Identity;
    config: IndexerConfig;
}

/**
 * Indexes the documents on the app-data volume into the vector store: a Job at deploy time (retried
 * `backoffLimit` times, removed `ttlSecondsAfterFinished` after it ends; `pulumi up` waits for it and fails
 * when it fails) and, with `schedule`, a CronJob that re-indexes without overlapping runs. The CronJob's
 * Jobs have no TTL: the TTL controller would delete a failed nightly run (and its pods' logs) before anyone
 * looked; the CronJob's history limits keep the last 3 successful and the last 3 failed runs instead, and
 * RagIndexerJobFailed (alerts.ts) fires on a failed one.
 */
export class DocumentIndexer extends pulumi.ComponentResource {
    readonly jobName: pulumi.Output<string>;
    readonly cronJobName?: pulumi.Output<string>;
    /** The CronJob's Kubernetes name when scheduled: its Jobs are named `<name>-<scheduled minute>`. */
    readonly scheduledName?: string;

    constructor(name: string, args: DocumentIndexerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:DocumentIndexer", name, {}, opts);
        const { identity, config } = args;
        const k8sName = objectName(identity);
        const sa = serviceAccount(identity, k8sName, { parent: this });
        const podArgs: PodArgs = {
            serviceAccountName: sa.metadata.name,
            runAs: { uid: 10001, gid: 10001 },
            restartPolicy: "Never",
            imagePullSecrets: args.imagePullSecrets,
            volumes: [{ name: "app-data", persistentVolumeClaim: { claimName: args.appDataClaimName, readOnly: true } }],
            containers: [
                {
                    name: "indexer",
                    image: config.image,
                    resources: config.resources,
                    args: ["index", "--source", "/app/data/documents"],
                    envFrom: [{ configMapRef: { name: args.configMapName } }, { secretRef: { name: args.secretName } }],
                    writablePaths: ["/tmp"],
                    volumeMounts: [{ name: "app-data", mountPath: "/app/data", readOnly: true }],
                },
            ],
        };
        // Without ttlSecondsAfterFinished: the scheduled runs stay until the CronJob's history limits remove them.
        const scheduledJobSpec: k8s.types.input.batch.v1.JobSpec = {
            backoffLimit: config.backoffLimit,
            activeDeadlineSeconds: config.activeDeadlineSeconds,
            template: { metadata: { labels: labels(identity) }, spec: pod(podArgs) },
        };
        const jobSpec: k8s.types.input.batch.v1.JobSpec = { ...scheduledJobSpec, ttlSecondsAfterFinished: config.ttlSecondsAfterFinished };
        // Jobs are immutable: the Job is auto-named so that a changed spec replaces it create-before-delete.
        const job = new k8s.batch.v1.Job(`${name}-job`, { metadata: autonamedMetadata(identity), spec: jobSpec }, { parent: this });
        this.jobName = job.metadata.name;

        if (config.schedule) {
            this.scheduledName = objectName(identity, "scheduled");
            const cron = new k8s.batch.v1.CronJob(
                `${name}-cronjob`,
                {
                    metadata: { name: this.scheduledName, namespace: identity.namespace, labels: labels(identity) },
                    spec: {
                        schedule: config.schedule,
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 300,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: { metadata: { labels: labels(identity) }, spec: scheduledJobSpec },
                    },
                },
                { parent: this },
            );
            this.cronJobName = cron.metadata.name;
        }
        this.registerOutputs({ jobName: this.jobName, cronJobName: this.cronJobName });
    }
}
