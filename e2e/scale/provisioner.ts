// A stand-in for the cloud's CSI provisioners in the scale simulation (no volume exists anywhere): for every
// claim the PV controller hands to one of PROVISIONERS (annotation volume.kubernetes.io/storage-provisioner),
// once it may be provisioned (Immediate class, or WaitForFirstConsumer and the scheduler has picked a node:
// volume.kubernetes.io/selected-node), it creates a PersistentVolume pre-bound to the claim, as the real
// external-provisioner does: the claim's size, access modes, volume mode and class, the class's reclaim
// policy, a CSI source of that driver, and for a zonal driver (EBS) node affinity to the selected node's zone.
// The PV controller then binds the claim, and the scheduler's VolumeBinding step lets the pod go.
//   provisioner.ts STOP_FILE LOG_FILE [driver ...]     (default drivers: ebs.csi.aws.com efs.csi.aws.com)
// Polls every second until STOP_FILE exists; logs every PV it creates.
import * as fs from "fs";
import { kubectl, list, sleep, ZONE } from "./kube";

const ZONAL = new Set(["ebs.csi.aws.com"]);
const PROVISIONER_ANNOTATIONS = ["volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner"];
const SELECTED_NODE = "volume.kubernetes.io/selected-node";

export function volumeFor(claim: any, storageClass: any, driver: string, zone: string | undefined): object {
    const uid: string = claim.metadata.uid;
    return {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `pvc-${uid}`, annotations: { "pv.kubernetes.io/provisioned-by": driver } },
        spec: {
            capacity: { storage: claim.spec.resources.requests.storage },
            accessModes: claim.spec.accessModes,
            volumeMode: claim.spec.volumeMode ?? "Filesystem",
            storageClassName: storageClass.metadata.name,
            persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? "Delete",
            claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name, uid },
            csi: { driver, volumeHandle: `sim-${uid}`, fsType: storageClass.parameters?.fsType ?? "ext4" },
            ...(zone && ZONAL.has(driver)
                ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: [zone] }] }] } } }
                : {}),
        },
    };
}

async function main(): Promise<void> {
    const [stopFile, logFile, ...drivers] = process.argv.slice(2);
    if (!stopFile || !logFile) {
        throw new Error("usage: provisioner.ts STOP_FILE LOG_FILE [driver ...]");
    }
    const served = new Set(drivers.length ? drivers : ["ebs.csi.aws.com", "efs.csi.aws.com"]);
    const log = (line: string) => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    const zones = new Map<string, string>();
    let total = 0;
    log(`provisioning for ${[...served].join(", ")}`);
    while (!fs.existsSync(stopFile)) {
        try {
            const classes = new Map(list("storageclasses").map((c) => [c.metadata.name, c]));
            const existing = new Set(list("persistentvolumes").map((v) => v.metadata.name));
            const volumes: object[] = [];
            for (const claim of list("persistentvolumeclaims")) {
                const a = claim.metadata.annotations ?? {};
                const driver = PROVISIONER_ANNOTATIONS.map((k) => a[k]).find(Boolean);
                const sc = classes.get(claim.spec.storageClassName);
                if (claim.status?.phase !== "Pending" || claim.spec.volumeName || !driver || !served.has(driver) || !sc) continue;
                if (existing.has(`pvc-${claim.metadata.uid}`)) continue;
                const node = a[SELECTED_NODE];
                if (sc.volumeBindingMode === "WaitForFirstConsumer" && !node) continue;
                if (node && !zones.has(node)) {
                    zones.set(node, JSON.parse(kubectl(["get", "node", node, "-o", "json"])).metadata.labels?.[ZONE] ?? "");
                }
                volumes.push(volumeFor(claim, sc, driver, node ? zones.get(node) : undefined));
                log(
                    `${claim.metadata.namespace}/${claim.metadata.name} ${claim.spec.resources.requests.storage} ${driver}${node ? ` on ${node} (zone ${zones.get(node)})` : ""}`,
                );
            }
            if (volumes.length) {
                kubectl(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: volumes }));
                total += volumes.length;
            }
        } catch (err) {
            // a claim deleted between list and create, an API hiccup: the next round retries what is still pending
            log(`round failed: ${(err as Error).message.slice(0, 500)}`);
        }
        await sleep(1000);
    }
    log(`stopped; ${total} volume(s) created`);
}

if (require.main === module) {
    main().catch((err: Error) => {
        process.stderr.write(`provisioner.ts: ${err.message}\n`);
        process.exit(1);
    });
}
