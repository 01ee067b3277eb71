// pulumi up dev with the pack: every object accepted, no Pod Security warning, the namespace enforces
// Pod Security `restricted` (a root pod is refused), and the controllers create Pods from every workload template.
import type { Stack } from "@pulumi/pulumi/automation";
import { kubectl, platformNamespaces, sleep } from "./cluster";
import { CONTROLLER_MANAGER, SETTLE } from "./env";
import { fail, fmt, pass, recordTime } from "./report";
import { created, policyOpts, step } from "./steps";

/** Whether dev's up succeeded, its time, and the namespaces labelled `restricted` after it. */
export interface DevUp {
    upOk: boolean;
    devUp?: number;
    psaNs: string[];
}

export async function upDev(dev: Stack): Promise<DevUp> {
    let upOk = false;
    let devUp: number | undefined;
    let psaNs: string[] = [];
    const up = await step("up-dev", (h) => dev.up({ ...h, ...policyOpts("dev"), diff: false }));
    if (up.ok) {
        upOk = true;
        devUp = up.secs;
        recordTime("pulumi up dev (create)", up.secs);
        pass(`pulumi up dev: every object accepted by the API server (${fmt(up.secs)}s, ${created(up)})`);
    } else {
        fail("pulumi up dev", up.logFile, 80);
    }
    const warned =
        up.events.some((e) => /violates? PodSecurity/i.test(e.diagnosticEvent?.message ?? "")) ||
        /would violate PodSecurity|violates PodSecurity/i.test(up.text);
    if (warned) {
        fail("pulumi up dev: the API server warned about Pod Security", up.logFile, 60);
    } else if (upOk) {
        pass("no Pod Security warnings from the API server during up");
    }

    psaNs = platformNamespaces();
    if (upOk) {
        if (psaNs.length === 0) {
            fail("no namespace with pod-security.kubernetes.io/enforce=restricted after up");
        } else {
            for (const ns of psaNs) {
                // without kube-controller-manager nobody creates the default ServiceAccount the probe needs
                if (!CONTROLLER_MANAGER) kubectl(["-n", ns, "create", "serviceaccount", "default"]);
                const r = kubectl([
                    "-n",
                    ns,
                    "run",
                    "e2e-root-probe",
                    "--image=busybox:1.36",
                    "--restart=Never",
                    `--overrides={"spec":{"securityContext":{"runAsUser":0}}}`,
                    "--",
                    "sleep",
                    "1",
                ]);
                if (!r.ok && r.out.includes('violates PodSecurity "restricted')) {
                    pass(`API server rejects a root pod in namespace ${ns} (Pod Security restricted enforced)`);
                } else {
                    kubectl(["-n", ns, "delete", "pod", "e2e-root-probe", "--ignore-not-found"]);
                    fail(`a root pod was not rejected in namespace ${ns}: ${r.out}`);
                }
            }
            // workload controllers create Pods from the program's templates: none may be refused
            await sleep(SETTLE);
            for (const ns of psaNs) {
                const refused = kubectl([
                    "-n",
                    ns,
                    "get",
                    "events",
                    "--field-selector",
                    "reason=FailedCreate",
                    "-o",
                    'jsonpath={range .items[*]}{.involvedObject.kind}/{.involvedObject.name}: {.message}{"\\n"}{end}',
                ]).out;
                const pods = kubectl(["-n", ns, "get", "pods", "--no-headers"]).out.split("\n").filter(Boolean).length;
                if (refused) {
                    fail(`controllers could not create Pods in ${ns}: ${refused}`);
                } else if (CONTROLLER_MANAGER) {
                    pass(`controllers created ${pods} Pod(s) in ${ns} from the workload templates, none refused by admission`);
                }
            }
        }
    }
    return { upOk, devUp, psaNs };
}
