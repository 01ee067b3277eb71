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
 * `backoffLimit` times, removed `ttlSecondsAfterFinished` after it ends) and, with `schedule`, a CronJob
 * that re-indexes without overlapping runs.
 */
export class DocumentIndexer extends pulumi.ComponentResource {
    readonly jobName: pulumi.Output<string>;
    readonly cronJobName?: pulumi.Output<string>;

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
        const jobSpec: k8s.types.input.batch.v1.JobSpec = {
            backoffLimit: config.backoffLimit,
            activeDeadlineSeconds: config.activeDeadlineSeconds,
            ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
            template: { metadata: { labels: labels(identity) }, spec: pod(podArgs) },
        };
        // Jobs are immutable: the Job is auto-named so that a changed spec replaces it create-before-delete.
        const job = new k8s.batch.v1.Job(`${name}-job`, { metadata: autonamedMetadata(identity), spec: jobSpec }, { parent: this });
        this.jobName = job.metadata.name;

        if (config.schedule) {
            const cron = new k8s.batch.v1.CronJob(
                `${name}-cronjob`,
                {
                    metadata: { name: objectName(identity, "scheduled"), namespace: identity.namespace, labels: labels(identity) },
                    spec: {
                        schedule: config.schedule,
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 300,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: { metadata: { labels: labels(identity) }, spec: jobSpec },
                    },
                },
                { parent: this },
            );
            this.cronJobName = cron.metadata.name;
        }
        this.registerOutputs({ jobName: this.jobName, cronJobName: this.cronJobName });
    }
}
