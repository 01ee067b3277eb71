import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackupConfig, PlatformConfig, PostgresConfig } from "../config";
import type { Datastore, PostgresCluster, PostgresDatabase } from "../datastores";
import { jobSpec, scheduledJob, objectName, secretRefEnv, ContainerArgs, Identity, metadata, pod, RunAs, secretEnv, serviceAccount } from "../shared";
import type { NetworkPoliciesArgs } from "../network";
import type { SecretRef } from "../shared";

/** Where the backup claim is mounted; the dumps live in its `postgres/` directory. */
export const BACKUP_MOUNT = "/backup";
export const DUMP_DIR = `${BACKUP_MOUNT}/postgres`;

/**
 * First the dump step waits (up to PG_WAIT_TRIES checks, default 60, a second apart) until PostgreSQL accepts
 * connections (`pg_isready`): a new pod may have no network for a moment, since a NetworkPolicy engine applies a
 * new pod's allow rules after it starts (the Kubernetes documentation allows it; kube-router took about 1.5 s in
 * the node test, and pg_dump's first and only attempt was refused), and PostgreSQL may be restarting.
 * Then: `pg_dump --format=custom` of the whole database over the PostgreSQL Service into a hidden
 * partial file, checked with `pg_restore --list`, renamed to `<database>-<UTC timestamp>.dump` (names sort
 * by time), then every dump but the newest BACKUP_RETENTION is deleted. The password comes from PGPASSWORD
 * (a secretKeyRef), never from a command line; a failed run leaves the earlier dumps untouched.
 */
export const DUMP_SCRIPT = [
    "set -eu",
    "tries=${PG_WAIT_TRIES:-60}",
    "until pg_isready --timeout=2 >/dev/null 2>&1; do",
    '  tries=$((tries - 1)); [ "$tries" -gt 0 ] || { echo "backup: PostgreSQL does not accept connections (pg_isready); nothing dumped" >&2; exit 1; }',
    "  sleep 1",
    "done",
    'mkdir -p "$BACKUP_DIR"',
    "stamp=$(date -u +%Y%m%dT%H%M%SZ)",
    'tmp="$BACKUP_DIR/.partial-$stamp"',
    'final="$BACKUP_DIR/$PGDATABASE-$stamp.dump"',
    "trap 'rm -f \"$tmp\"' EXIT",
    'pg_dump --format=custom --no-password --file="$tmp"',
    'pg_restore --list "$tmp" >/dev/null',
    'mv "$tmp" "$final"',
    // Retention: the newest N dumps stay (the names sort by time); a leftover partial file of a killed run goes too.
    'ls -1 "$BACKUP_DIR" | grep -E "^$PGDATABASE-[0-9]{8}T[0-9]{6}Z\\.dump$" | sort -r | tail -n +$((BACKUP_RETENTION + 1)) |',
    '  while read -r old; do rm -f -- "$BACKUP_DIR/$old"; echo "backup: removed $old (retention $BACKUP_RETENTION)"; done',
    'find "$BACKUP_DIR" -maxdepth 1 -name ".partial-*" ! -name ".partial-$stamp" -exec rm -f {} +',
    'echo "backup: wrote $final ($(wc -c <"$final") bytes); $(ls -1 "$BACKUP_DIR" | grep -c "\\.dump$") dump(s) kept"',
].join("\n");

/** The upload step (AWS CLI v2): the newest dump to s3://$S3_BUCKET/$S3_PREFIX<file>; keys from the user's Secret. */
export const UPLOAD_SCRIPT = [
    "set -eu",
    'latest=$(ls -1 "$BACKUP_DIR" | grep -E "\\.dump$" | sort | tail -n 1)',
    '[ -n "$latest" ] || { echo "upload: no dump in $BACKUP_DIR" >&2; exit 1; }',
    'aws s3 cp --only-show-errors --endpoint-url "$S3_ENDPOINT" "$BACKUP_DIR/$latest" "s3://$S3_BUCKET/$S3_PREFIX$latest"',
    'echo "upload: $latest -> s3://$S3_BUCKET/$S3_PREFIX$latest"',
].join("\n");

export interface PostgresBackupArgs {
    /** Identity of the backup (component "postgres-backup"); its pods carry this component label. */
    identity: Identity;
    config: BackupConfig;
    /** The database it dumps: its image (pg_dump of the same major version), user and database. */
    postgres: Pick<PostgresConfig, "image" | "user" | "database">;
    /** The PostgreSQL client Service and port the dump connects to, and its pods' component label. */
    serviceName: pulumi.Input<string>;
    port: number;
    postgresComponent: string;
    /** Where PostgreSQL's password lives (the platform Secret, or the operator's own). */
    credential: SecretRef;
    /** UID/GID of the PostgreSQL image (the dump runs as the database's own user). */
    runAs: RunAs;
    storageClassName?: pulumi.Input<string>;
    imagePullSecrets: string[];
    /** Protect the backup claim from deletion (prod). */
    protect: boolean;
}

/**
 * PostgreSQL backups: a CronJob (`concurrencyPolicy: Forbid`) that dumps the database with the PostgreSQL
 * image onto its own claim, keeps the newest `retention` dumps and, with `s3.enabled`, uploads each new dump
 * from a second container (the dump runs first, as an init container). The scheduled Jobs keep no TTL, like
 * the indexer's: the CronJob's history limits keep the last 3 failed and successful runs with their logs.
 */
export class PostgresBackup extends pulumi.ComponentResource {
    readonly claimName: pulumi.Output<string>;
    readonly cronJobName: pulumi.Output<string>;
    /** The CronJob's Kubernetes name: its Jobs are named `<name>-<scheduled minute>`. */
    readonly scheduledName: string;
    /** The S3 endpoint's TCP port when the upload is on. */
    readonly s3Port?: number;
    private readonly component: string;
    private readonly postgresPorts: number[];
    private readonly postgresComponent: string;

    constructor(name: string, args: PostgresBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PostgresBackup", name, {}, opts);
        const { identity, config } = args;
        const k8sName = objectName(identity);
        this.scheduledName = k8sName;
        this.component = identity.component;
        this.postgresPorts = [args.port];
        this.postgresComponent = args.postgresComponent;
        const sa = serviceAccount(identity, k8sName, { parent: this });
        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-claim`,
            {
                metadata: metadata(identity, k8sName),
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
                    resources: { requests: { storage: config.storage } },
                },
            },
            { parent: this, protect: args.protect },
        );
        this.claimName = claim.metadata.name;

        const backupEnv = [
            { name: "BACKUP_DIR", value: DUMP_DIR },
            { name: "BACKUP_RETENTION", value: `${config.retention}` },
        ];
        const dump: ContainerArgs = {
            name: "dump",
            image: args.postgres.image,
            resources: config.resources,
            command: ["sh", "-c", DUMP_SCRIPT],
            env: [
                { name: "PGHOST", value: args.serviceName },
                { name: "PGPORT", value: `${args.port}` },
                { name: "PGUSER", value: args.postgres.user },
                { name: "PGDATABASE", value: args.postgres.database },
                secretRefEnv("PGPASSWORD", args.credential),
                ...backupEnv,
            ],
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "backup", mountPath: BACKUP_MOUNT }],
        };
        const s3 = config.s3;
        let containers = [dump];
        let initContainers: ContainerArgs[] | undefined;
        if (s3.enabled) {
            const url = new URL(s3.endpoint);
            this.s3Port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
            initContainers = [dump];
            containers = [
                {
                    name: "upload",
                    image: s3.image,
                    resources: config.resources,
                    command: ["sh", "-c", UPLOAD_SCRIPT],
                    env: [
                        ...backupEnv,
                        { name: "S3_ENDPOINT", value: s3.endpoint },
                        { name: "S3_BUCKET", value: s3.bucket },
                        { name: "S3_PREFIX", value: s3.prefix },
                        { name: "AWS_DEFAULT_REGION", value: s3.region },
                        secretEnv("AWS_ACCESS_KEY_ID", s3.secretName, s3.accessKeyIdKey),
                        secretEnv("AWS_SECRET_ACCESS_KEY", s3.secretName, s3.secretAccessKeyKey),
                        // The CLI writes its cache under $HOME: a scratch directory (the root filesystem is read-only).
                        { name: "HOME", value: "/tmp" },
                    ],
                    writablePaths: ["/tmp"],
                    volumeMounts: [{ name: "backup", mountPath: BACKUP_MOUNT, readOnly: true }],
                },
            ];
        }
        const cron = scheduledJob(
            `${name}-cronjob`,
            {
                identity,
                name: k8sName,
                schedule: config.schedule,
                job: jobSpec(
                    identity,
                    config,
                    pod({
                        serviceAccountName: sa.metadata.name,
                        runAs: args.runAs,
                        restartPolicy: "Never",
                        imagePullSecrets: args.imagePullSecrets,
                        initContainers,
                        containers,
                        volumes: [{ name: "backup", persistentVolumeClaim: { claimName: claim.metadata.name } }],
                    }),
                ),
            },
            this,
        );
        this.cronJobName = cron.metadata.name;
        this.registerOutputs({ claimName: this.claimName, cronJobName: this.cronJobName });
    }

    /** The NetworkPolicies it needs: to PostgreSQL (ingress there, egress here) and, with S3, out on the endpoint's port. */
    networkAccess(): Pick<NetworkPoliciesArgs, "extraAccess" | "externalEgress"> {
        return {
            extraAccess: [{ server: { component: this.postgresComponent, ports: this.postgresPorts }, clients: [this.component] }],
            externalEgress: this.s3Port ? [{ name: "allow-backup-to-s3", from: [this.component], port: this.s3Port }] : [],
        };
    }
}

/**
 * The backup of `cfg` when `backup.enabled` and PostgreSQL runs in the cluster (an external database is backed
 * up by its provider): reads the image, user and database from the PostgreSQL it dumps.
 */
export function createPostgresBackup(
    instance: string,
    identity: Identity,
    cfg: PlatformConfig,
    { inCluster: postgres, credential }: Datastore<PostgresDatabase | PostgresCluster>,
    shared: { storageClassName?: pulumi.Input<string>; imagePullSecrets: string[]; protect: boolean },
    opts: pulumi.ComponentResourceOptions,
): PostgresBackup | undefined {
    if (!cfg.backup.enabled || !postgres) {
        return undefined;
    }
    return new PostgresBackup(
        `${instance}-postgres-backup`,
        {
            identity,
            config: cfg.backup,
            postgres: cfg.postgres,
            serviceName: postgres.serviceName,
            port: postgres.port,
            credential,
            ...shared,
            postgresComponent: postgres.endpoint.component,
            runAs: postgres.runAs,
        },
        opts,
    );
}
