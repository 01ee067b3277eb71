import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DUMP_SCRIPT, UPLOAD_SCRIPT } from "../components/backups";
import { autoname, byName, expectConfigProblem, ofType, RenderedResource, RenderResult, renderStack, T } from "./harness";

const SECRET = autoname("rag-secrets-secret");
const NAME = "rag-postgres-backup";

const backupCron = (r: RenderResult) => ofType(r, T.CronJob).find((c) => c.inputs.metadata.name === NAME);
const podOf = (c: RenderedResource) => c.inputs.spec.jobTemplate.spec.template.spec;
const envOf = (c: any, name: string) => c.env.find((e: any) => e.name === name);
const policy = (r: RenderResult, name: string) => byName(r, T.NetworkPolicy, `rag-${name}`).inputs.spec;

const S3 = {
    enabled: true,
    endpoint: "https://minio.example.com:9000",
    bucket: "rag-backups",
    prefix: "rag-dev/postgres/",
    region: "eu-west-1",
    secretName: "backup-s3-keys",
};

describe("PostgresBackup", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    before(async () => {
        dev = await renderStack("dev");
        prod = await renderStack("prod");
    });

    describe("defaults", () => {
        it("dev and prod: a nightly CronJob that never overlaps and keeps failed runs (no TTL, history limits)", () => {
            for (const [r, retention] of [
                [dev, "3"],
                [prod, "14"],
            ] as const) {
                const cron = backupCron(r)!;
                assert.ok(cron, "a backup CronJob");
                assert.equal(cron.inputs.spec.schedule, "30 1 * * *");
                assert.equal(cron.inputs.spec.concurrencyPolicy, "Forbid");
                assert.equal(cron.inputs.spec.failedJobsHistoryLimit, 3);
                assert.ok(!("ttlSecondsAfterFinished" in cron.inputs.spec.jobTemplate.spec));
                assert.equal(cron.inputs.spec.jobTemplate.spec.backoffLimit, 2);
                const [dump] = podOf(cron).containers;
                assert.equal(dump.name, "dump");
                assert.equal(envOf(dump, "BACKUP_RETENTION").value, retention);
            }
        });

        it("dumps with the PostgreSQL image (same major version), custom format, over the PostgreSQL Service", () => {
            const cron = backupCron(dev)!;
            const [dump] = podOf(cron).containers;
            const pg = byName(dev, T.StatefulSet, "rag-postgres");
            assert.equal(dump.image, pg.inputs.spec.template.spec.containers[0].image);
            assert.deepEqual(dump.command.slice(0, 2), ["sh", "-c"]);
            assert.match(dump.command[2], /pg_dump --format=custom --no-password/);
            assert.equal(envOf(dump, "PGHOST").value, "rag-postgres");
            assert.equal(envOf(dump, "PGPORT").value, "5432");
            assert.equal(envOf(dump, "PGUSER").value, "rag");
            assert.equal(envOf(dump, "PGDATABASE").value, "rag");
            assert.equal(podOf(cron).restartPolicy, "Never");
        });

        it("the password comes from the platform Secret by reference, never on a command line or as a value", () => {
            const cron = backupCron(dev)!;
            const [dump] = podOf(cron).containers;
            assert.deepEqual(envOf(dump, "PGPASSWORD").valueFrom, { secretKeyRef: { name: SECRET, key: "POSTGRES_PASSWORD" } });
            const everything = JSON.stringify(cron.inputs);
            assert.ok(!everything.includes("mock-rag-secrets-postgres-password-value"), "no password value in the CronJob");
            assert.doesNotMatch(dump.command.join(" "), /PGPASSWORD|password=|-W\b/);
            assert.ok(dump.env.every((e: any) => e.name !== "PGPASSWORD" || e.value === undefined));
        });

        it("restricted: the PostgreSQL UID, non-root, read-only root filesystem, no token, limits", () => {
            const spec = podOf(backupCron(dev)!);
            assert.equal(spec.securityContext.runAsUser, 70);
            assert.equal(spec.securityContext.runAsNonRoot, true);
            assert.deepEqual(spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
            assert.equal(spec.automountServiceAccountToken, false);
            assert.equal(spec.serviceAccountName, NAME);
            const [dump] = spec.containers;
            assert.equal(dump.securityContext.readOnlyRootFilesystem, true);
            assert.equal(dump.securityContext.allowPrivilegeEscalation, false);
            assert.deepEqual(dump.securityContext.capabilities, { drop: ["ALL"] });
            assert.deepEqual(dump.resources.limits, { cpu: "500m", memory: "512Mi" });
            assert.ok(dump.volumeMounts.some((m: any) => m.mountPath === "/tmp"));
        });

        it("writes to a claim of its own, sized by config, protected in prod only", () => {
            const spec = podOf(backupCron(dev)!);
            assert.deepEqual(
                spec.volumes.find((v: any) => v.name === "backup"),
                { name: "backup", persistentVolumeClaim: { claimName: NAME } },
            );
            assert.ok(spec.containers[0].volumeMounts.some((m: any) => m.name === "backup" && m.mountPath === "/backup" && !m.readOnly));
            const devClaim = byName(dev, T.PVC, NAME);
            // "auto": (3 + 1) dumps x postgres.storage 2Gi x 0.25
            assert.equal(devClaim.inputs.spec.resources.requests.storage, "2Gi");
            assert.deepEqual(devClaim.inputs.spec.accessModes, ["ReadWriteOnce"]);
            assert.equal(devClaim.protect, false);
            const prodClaim = byName(prod, T.PVC, NAME);
            // "auto": (14 + 1) dumps x postgres.storage 10Gi x 0.25 = 37.5Gi, rounded up
            assert.equal(prodClaim.inputs.spec.resources.requests.storage, "38Gi");
            assert.equal(prodClaim.protect, true);
            assert.equal(prodClaim.inputs.spec.storageClassName, byName(prod, T.StorageClass, "rag-prod-data").inputs.metadata.name);
        });

        it("NetworkPolicies: PostgreSQL admits the backup on 5432, the backup may reach only PostgreSQL (and DNS)", () => {
            const ingress = policy(dev, "allow-postgres-clients");
            assert.deepEqual(ingress.podSelector.matchExpressions, [{ key: "app.kubernetes.io/name", operator: "In", values: ["postgres"] }]);
            assert.deepEqual(ingress.ingress, [
                {
                    from: [
                        {
                            podSelector: {
                                matchLabels: { "app.kubernetes.io/instance": "rag" },
                                matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["postgres-backup"] }],
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 5432 }],
                },
            ]);
            const egress = policy(dev, "allow-clients-to-postgres");
            assert.deepEqual(egress.podSelector.matchExpressions[0].values, ["postgres-backup"]);
            assert.deepEqual(egress.egress[0].ports, [{ protocol: "TCP", port: 5432 }]);
            // No other policy selects the backup's pods: only this egress, DNS and the default deny (empty selectors).
            const selecting = ofType(dev, T.NetworkPolicy).filter((p) =>
                (p.inputs.spec.podSelector.matchExpressions ?? []).some((e: any) => e.values.includes("postgres-backup")),
            );
            assert.deepEqual(selecting.map((p) => p.inputs.metadata.name).sort(), ["rag-allow-clients-to-postgres"]);
            assert.ok(!ofType(dev, T.NetworkPolicy).some((p) => p.inputs.metadata.name === "rag-allow-backup-to-s3"));
        });
    });

    describe("options", () => {
        it("off: no CronJob, claim, ServiceAccount or policy for the backup", async () => {
            const off = await renderStack("dev", { backup: { enabled: false } });
            assert.equal(backupCron(off), undefined);
            assert.ok(!ofType(off, T.PVC).some((c) => c.inputs.metadata.name === NAME));
            assert.ok(!ofType(off, T.ServiceAccount).some((c) => c.inputs.metadata.name === NAME));
            assert.ok(!ofType(off, T.NetworkPolicy).some((p) => JSON.stringify(p.inputs.spec).includes("postgres-backup")));
        });

        it("schedule, retention, size and resources from config", async () => {
            const r = await renderStack("dev", {
                backup: { schedule: "15 */6 * * *", retention: 1000, storage: "501Gi", resources: { limits: { cpu: "2", memory: "2Gi" } } },
            });
            const cron = backupCron(r)!;
            assert.equal(cron.inputs.spec.schedule, "15 */6 * * *");
            assert.equal(envOf(podOf(cron).containers[0], "BACKUP_RETENTION").value, "1000");
            assert.deepEqual(podOf(cron).containers[0].resources.limits, { cpu: "2", memory: "2Gi" });
            // the least that holds 1000 + 1 dumps of 2Gi x 0.25
            assert.equal(byName(r, T.PVC, NAME).inputs.spec.resources.requests.storage, "501Gi");
        });

        it("S3: the dump becomes an init container, an uploader container sends it with the user's Secret's keys", async () => {
            const r = await renderStack("dev", { backup: { s3: S3 } });
            const spec = podOf(backupCron(r)!);
            assert.deepEqual(
                spec.initContainers.map((c: any) => c.name),
                ["dump"],
            );
            const [upload] = spec.containers;
            assert.equal(upload.name, "upload");
            assert.equal(upload.image, "amazon/aws-cli:2.22.35");
            assert.match(upload.command[2], /aws s3 cp --only-show-errors --endpoint-url "\$S3_ENDPOINT"/);
            assert.equal(envOf(upload, "S3_ENDPOINT").value, S3.endpoint);
            assert.equal(envOf(upload, "S3_BUCKET").value, S3.bucket);
            assert.equal(envOf(upload, "S3_PREFIX").value, S3.prefix);
            assert.equal(envOf(upload, "AWS_DEFAULT_REGION").value, "eu-west-1");
            assert.deepEqual(envOf(upload, "AWS_ACCESS_KEY_ID").valueFrom, { secretKeyRef: { name: "backup-s3-keys", key: "AWS_ACCESS_KEY_ID" } });
            assert.deepEqual(envOf(upload, "AWS_SECRET_ACCESS_KEY").valueFrom, { secretKeyRef: { name: "backup-s3-keys", key: "AWS_SECRET_ACCESS_KEY" } });
            assert.equal(envOf(upload, "HOME").value, "/tmp");
            assert.ok(upload.volumeMounts.some((m: any) => m.name === "backup" && m.readOnly === true));
            assert.equal(upload.securityContext.readOnlyRootFilesystem, true);
            // egress to the endpoint's port, from the backup only
            const s3 = policy(r, "allow-backup-to-s3");
            assert.deepEqual(s3.podSelector.matchExpressions[0].values, ["postgres-backup"]);
            assert.deepEqual(s3.egress, [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 9000 }] }]);
            const https = await renderStack("dev", { backup: { s3: { ...S3, endpoint: "https://s3.eu-west-1.amazonaws.com" } } });
            assert.deepEqual(policy(https, "allow-backup-to-s3").egress[0].ports, [{ protocol: "TCP", port: 443 }]);
        });

        it("Qdrant's snapshots go to a claim sized by config (not a 256Mi emptyDir); Chroma has none", async () => {
            const sts = byName(prod, T.StatefulSet, "rag-vector-store");
            const spec = sts.inputs.spec.template.spec;
            const mount = spec.containers[0].volumeMounts.find((m: any) => m.mountPath === "/qdrant/snapshots");
            assert.equal(mount.name, "snapshots");
            assert.deepEqual(
                spec.volumes.find((v: any) => v.name === "snapshots"),
                { name: "snapshots", persistentVolumeClaim: { claimName: "rag-vector-store-snapshots" } },
            );
            const claim = byName(prod, T.PVC, "rag-vector-store-snapshots");
            // "auto": (3 + 1) snapshots x vectorStore.storage 20Gi x 1
            assert.equal(claim.inputs.spec.resources.requests.storage, "80Gi");
            assert.equal(claim.protect, true);
            assert.ok(!spec.volumes.some((v: any) => v.emptyDir && v.name.includes("snapshots")));
            assert.equal(byName(dev, T.PVC, "rag-vector-store-snapshots").inputs.spec.resources.requests.storage, "20Gi");
            const chroma = await renderStack("dev", { vectorStore: { engine: "chroma" } });
            assert.ok(!ofType(chroma, T.PVC).some((c) => c.inputs.metadata.name === "rag-vector-store-snapshots"));
        });
    });

    describe("bad config fails before any resource is registered", () => {
        const cases: [string, object, string, RegExp][] = [
            ["a schedule the API server refuses", { schedule: "0 25 * * *" }, "backup.schedule", /5-field cron schedule/],
            ["retention 0", { retention: 0 }, "backup.retention", /an integer from 1 to 1000/],
            ["retention 1001", { retention: 1001 }, "backup.retention", /an integer from 1 to 1000/],
            ["a size that is no quantity", { storage: "10 GB" }, "backup.storage", /must be "auto" .* storage quantity/],
            ["a snapshot size that is no quantity", { vectorSnapshotStorage: "-1Gi" }, "backup.vectorSnapshotStorage", /storage quantity/],
            ["a dump ratio of 0", { dumpSizeRatio: 0 }, "backup.dumpSizeRatio", /a number from 0.01 to 1/],
            ["a snapshot ratio above 1", { vectorSnapshotSizeRatio: 1.5 }, "backup.vectorSnapshotSizeRatio", /a number from 0.01 to 1/],
            ["snapshot retention 0", { vectorSnapshotRetention: 0 }, "backup.vectorSnapshotRetention", /an integer from 1 to 1000/],
            ["limits below requests", { resources: { limits: { cpu: "50m" } } }, "backup.resources.limits.cpu", /must not be below/],
            ["an unknown key", { retain: 3 }, "backup.retain", /is not a known key/],
            ["an unpinned uploader", { s3: { image: "amazon/aws-cli" } }, "backup.s3.image", /must pin a tag/],
            ["S3 on without an endpoint", { s3: { ...S3, endpoint: "" } }, "backup.s3.endpoint", /S3 endpoint URL/],
            ["S3 with a path in the endpoint", { s3: { ...S3, endpoint: "https://h/bucket" } }, "backup.s3.endpoint", /S3 endpoint URL/],
            ["S3 with a bad bucket", { s3: { ...S3, bucket: "Rag_Backups" } }, "backup.s3.bucket", /S3 bucket name/],
            ["S3 with a leading '/' prefix", { s3: { ...S3, prefix: "/rag/" } }, "backup.s3.prefix", /ending in '\/'/],
            ["S3 without a Secret", { s3: { ...S3, secretName: "" } }, "backup.s3.secretName", /existing Secret/],
            ["S3 with a bad Secret key", { s3: { ...S3, accessKeyIdKey: "a key" } }, "backup.s3.accessKeyIdKey", /key of that Secret/],
            ["S3 on while the backup is off", { enabled: false, s3: S3 }, "backup.s3.enabled", /must be false while backup.enabled is false/],
        ];
        for (const [title, backup, key, message] of cases) {
            it(`rejects ${title} (${key})`, async () => {
                const line = await expectConfigProblem("dev", { backup }, key);
                assert.match(line, message);
            });
        }
        it("refuses a claim too small for what it must hold, naming the least size and how it is derived", async () => {
            const dump = await expectConfigProblem("prod", { backup: { storage: "20Gi" } }, "backup.storage");
            assert.match(
                dump,
                /= "20Gi": is too small for the dumps it must hold: at least 38Gi = \(backup.retention 14 \+ 1\) x postgres.storage 10Gi x backup.dumpSizeRatio 0.25/,
            );
            assert.match(dump, /set "auto", a larger size, or lower the retention or the ratio \(stack "prod"\)/);
            const snaps = await expectConfigProblem("prod", { backup: { vectorSnapshotStorage: "40Gi" } }, "backup.vectorSnapshotStorage");
            assert.match(snaps, /at least 80Gi = \(backup.vectorSnapshotRetention 3 \+ 1\) x vectorStore.storage 20Gi x backup.vectorSnapshotSizeRatio 1/);
        });

        it('takes an explicit size that holds them, and derives "auto" from retention, volume and ratio', async () => {
            const r = await renderStack("prod", {
                backup: { storage: "50Gi", vectorSnapshotRetention: 1, vectorSnapshotSizeRatio: 0.5 },
                vectorStore: { storage: "30Gi" },
            });
            assert.equal(byName(r, T.PVC, NAME).inputs.spec.resources.requests.storage, "50Gi");
            // (1 + 1) x 30Gi x 0.5
            assert.equal(byName(r, T.PVC, "rag-vector-store-snapshots").inputs.spec.resources.requests.storage, "30Gi");
            // a lower retention and ratio let a smaller explicit size through: (4 + 1) x 10Gi x 0.1 = 5Gi
            const small = await renderStack("prod", { backup: { retention: 4, dumpSizeRatio: 0.1, storage: "5Gi" } });
            assert.equal(byName(small, T.PVC, NAME).inputs.spec.resources.requests.storage, "5Gi");
        });

        it("checks a claim's size only where the claim exists (no backup, an external PostgreSQL, another engine)", async () => {
            const off = await renderStack("prod", { backup: { enabled: false, storage: "1Gi" } });
            assert.ok(!ofType(off, T.PVC).some((c) => c.inputs.metadata.name === NAME));
            const chroma = await renderStack("dev", { vectorStore: { engine: "chroma" }, backup: { vectorSnapshotStorage: "1Gi" } });
            assert.ok(!ofType(chroma, T.PVC).some((c) => c.inputs.metadata.name === "rag-vector-store-snapshots"));
        });

        it("S3 off: its other keys are not checked (the defaults are empty)", async () => {
            const r = await renderStack("prod", { backup: { s3: { enabled: false, bucket: "" } } });
            assert.ok(backupCron(r));
        });
    });

    describe("the dump script, run by sh with stand-ins for pg_dump and pg_restore", () => {
        let dir: string;
        let bin: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-backup-"));
            bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            // pg_dump writes its --file (and records its arguments and whether it saw the password); pg_restore --list checks it.
            fs.writeFileSync(
                path.join(bin, "pg_dump"),
                '#!/bin/sh\nfor a in "$@"; do case "$a" in --file=*) f=${a#--file=};; esac; done\necho "$*|$PGPASSWORD" >"$f"\n',
                { mode: 0o755 },
            );
            fs.writeFileSync(path.join(bin, "pg_restore"), '#!/bin/sh\n[ "$1" = --list ] && [ -s "$2" ]\n', { mode: 0o755 });
            // pg_isready: PostgreSQL accepts connections
            fs.writeFileSync(path.join(bin, "pg_isready"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        const run = (script: string, retention: number, extra: Record<string, string> = {}) =>
            execFileSync("sh", ["-c", script], {
                env: {
                    PATH: `${bin}:/usr/bin:/bin`,
                    BACKUP_DIR: path.join(dir, "postgres"),
                    BACKUP_RETENTION: `${retention}`,
                    PGDATABASE: "rag",
                    PGPASSWORD: "pw",
                    ...extra,
                },
                encoding: "utf8",
                stdio: "pipe",
            });

        it("writes <database>-<UTC time>.dump in custom format and keeps only the newest `retention` dumps", () => {
            const out = path.join(dir, "postgres");
            fs.mkdirSync(out);
            const old = ["rag-20260101T000000Z.dump", "rag-20260102T000000Z.dump", "rag-20260103T000000Z.dump"];
            for (const f of old) {
                fs.writeFileSync(path.join(out, f), "old");
            }
            fs.writeFileSync(path.join(out, "notes.txt"), "not a dump: kept");
            fs.writeFileSync(path.join(out, ".partial-20260101T000000Z"), "a killed run's leftover");
            const log = run(DUMP_SCRIPT, 2);
            const files = fs.readdirSync(out).sort();
            const fresh = files.filter((f) => /^rag-\d{8}T\d{6}Z\.dump$/.test(f) && !old.includes(f));
            assert.equal(fresh.length, 1, files.join(" "));
            assert.deepEqual(files, ["notes.txt", old[2], fresh[0]].sort());
            assert.equal(
                fs.readFileSync(path.join(out, fresh[0]), "utf8").trim(),
                `--format=custom --no-password --file=${out}/.partial-${fresh[0].slice(4, 20)}|pw`,
            );
            assert.match(log, /removed rag-20260101T000000Z\.dump \(retention 2\)/);
            assert.match(log, /2 dump\(s\) kept/);
        });

        it("a failed dump leaves the earlier dumps and no partial file, and fails the Job", () => {
            const out = path.join(dir, "postgres");
            fs.mkdirSync(out);
            fs.writeFileSync(path.join(out, "rag-20260101T000000Z.dump"), "old");
            fs.writeFileSync(path.join(bin, "pg_dump"), "#!/bin/sh\necho 'connection refused' >&2\nexit 1\n", { mode: 0o755 });
            assert.throws(() => run(DUMP_SCRIPT, 1));
            assert.deepEqual(fs.readdirSync(out), ["rag-20260101T000000Z.dump"]);
        });

        it("waits until PostgreSQL accepts connections (a new pod's network may come a moment after it starts)", () => {
            // pg_isready refuses twice (as while the NetworkPolicy engine has not yet let the new pod in), then accepts
            const count = path.join(dir, "isready-calls");
            fs.writeFileSync(path.join(bin, "pg_isready"), `#!/bin/sh\necho x >>"${count}"\n[ "$(wc -l <"${count}")" -ge 3 ]\n`, { mode: 0o755 });
            const log = run(DUMP_SCRIPT, 2);
            assert.equal(fs.readFileSync(count, "utf8").trim().split("\n").length, 3);
            assert.match(log, /backup: wrote .*rag-\d{8}T\d{6}Z\.dump/);
        });

        it("gives up after PG_WAIT_TRIES refused checks, without running pg_dump", () => {
            fs.writeFileSync(path.join(bin, "pg_isready"), "#!/bin/sh\nexit 2\n", { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "pg_dump"), `#!/bin/sh\ntouch "${dir}/pg_dump-ran"\n`, { mode: 0o755 });
            assert.throws(() => run(DUMP_SCRIPT, 1, { PG_WAIT_TRIES: "2" }), /PostgreSQL does not accept connections/);
            assert.equal(fs.existsSync(path.join(dir, "pg_dump-ran")), false);
        });

        it("the uploader sends the newest dump to s3://bucket/prefix<file>", () => {
            const out = path.join(dir, "postgres");
            fs.mkdirSync(out);
            fs.writeFileSync(path.join(out, "rag-20260101T000000Z.dump"), "a");
            fs.writeFileSync(path.join(out, "rag-20260102T000000Z.dump"), "b");
            fs.writeFileSync(path.join(bin, "aws"), '#!/bin/sh\necho "aws $*"\n', { mode: 0o755 });
            const log = execFileSync("sh", ["-c", UPLOAD_SCRIPT], {
                env: { PATH: `${bin}:/usr/bin:/bin`, BACKUP_DIR: out, S3_ENDPOINT: "https://m:9000", S3_BUCKET: "b", S3_PREFIX: "p/" },
                encoding: "utf8",
            });
            assert.match(
                log,
                new RegExp(`aws s3 cp --only-show-errors --endpoint-url https://m:9000 ${out}/rag-20260102T000000Z.dump s3://b/p/rag-20260102T000000Z.dump`),
            );
        });
    });
});
