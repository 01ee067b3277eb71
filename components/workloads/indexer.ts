import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IndexerConfig } from "../config";
import { APP_DATA_PATH, APP_RUN_AS, APP_WRITABLE_PATHS, DOCUMENTS_PATH, indexerEnv, migrateContainer } from "./app-env";
import {
    jobSpec,
    scheduledJob,
    objectName,
    podAnnotations,
    serviceAccountAnnotations,
    autonamedMetadata,
    Identity,
    metadata,
    pod,
    PodArgs,
    serviceAccount,
} from "../shared";
import type { AppWiring } from "../shared";

export interface DocumentIndexerArgs extends AppWiring {
    identity: Identity;
    config: IndexerConfig;
    /**
     * Documents to index instead of the app-data claim's (file name → text): a ConfigMap mounted where the
     * indexer reads (dev, where the claim starts empty).
     */
    sampleDocuments?: Record<string, string>;
}

/**
 * Runs `node /app/dist/indexer.js index --source /app/data/documents` with only the settings and credentials
 * it reads. Indexes the documents on the app-data volume (or the sample documents) into the vector store: a
 * Job at deploy time (retried `backoffLimit` times, removed `ttlSecondsAfterFinished` after it ends; `pulumi up`
 * waits for it and fails when it fails) and, with `schedule`, a CronJob that re-indexes without overlapping
 * runs. The CronJob's Jobs have no TTL: the TTL controller would delete a failed nightly run (and its pods'
 * logs) before anyone looked; the CronJob's history limits keep the last 3 successful and the last 3 failed
 * runs instead, and RagIndexerJobFailed (observability/alerts.ts) fires on a failed one.
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
        const options = args.workloads?.indexer;
        const sa = serviceAccount(identity, k8sName, { parent: this }, serviceAccountAnnotations(options));
        const annotations = podAnnotations(undefined, options);
        let volume: k8s.types.input.core.v1.Volume;
        let mountPath: string;
        if (args.sampleDocuments) {
            const samples = new k8s.core.v1.ConfigMap(
                `${name}-sample-documents`,
                { metadata: metadata(identity, objectName(identity, "sample-documents")), data: args.sampleDocuments },
                { parent: this },
            );
            volume = { name: "documents", configMap: { name: samples.metadata.name } };
            mountPath = DOCUMENTS_PATH;
        } else {
            volume = { name: "app-data", persistentVolumeClaim: { claimName: args.appDataClaimName, readOnly: true } };
            mountPath = APP_DATA_PATH;
        }
        const podArgs: PodArgs = {
            serviceAccountName: sa.metadata.name,
            runAs: APP_RUN_AS,
            restartPolicy: "Never",
            options,
            imagePullSecrets: args.imagePullSecrets,
            volumes: [volume],
            // the schema first (the API's pods run the same step): the Job needs no ordering after the API
            initContainers: [migrateContainer(args, config.image, config.resources)],
            containers: [
                {
                    name: "indexer",
                    image: config.image,
                    resources: config.resources,
                    args: ["index", "--source", DOCUMENTS_PATH],
                    env: indexerEnv(args),
                    writablePaths: APP_WRITABLE_PATHS,
                    volumeMounts: [{ name: volume.name, mountPath, readOnly: true }],
                },
            ],
        };
        // Without ttlSecondsAfterFinished: the scheduled runs stay until the CronJob's history limits remove them.
        const scheduledJobSpec = jobSpec(identity, config, pod(podArgs), annotations);
        const deployJobSpec: k8s.types.input.batch.v1.JobSpec = { ...scheduledJobSpec, ttlSecondsAfterFinished: config.ttlSecondsAfterFinished };
        // Jobs are immutable: the Job is auto-named so that a changed spec replaces it create-before-delete.
        const job = new k8s.batch.v1.Job(`${name}-job`, { metadata: autonamedMetadata(identity), spec: deployJobSpec }, { parent: this });
        this.jobName = job.metadata.name;

        if (config.schedule) {
            this.scheduledName = objectName(identity, "scheduled");
            const cron = scheduledJob(
                `${name}-cronjob`,
                { identity, name: this.scheduledName, schedule: config.schedule, startingDeadlineSeconds: 300, job: scheduledJobSpec },
                this,
            );
            this.cronJobName = cron.metadata.name;
        }
        this.registerOutputs({ jobName: this.jobName, cronJobName: this.cronJobName });
    }
}
