// The connection matrix's command line (matrix.ts): the namespace, the probe image, the other namespaces, and the
// addresses outside the cluster that the caller listens on.
import { Datastore, DATASTORES, EXTERNAL_TARGETS, ExternalTarget, Setup } from "./intent";

export interface Options {
    namespace: string;
    image: string;
    ingressNamespace: string;
    strangerNamespace: string;
    setup: Setup;
    /** the external columns' addresses (with --external-datastore) */
    external: Partial<Record<ExternalTarget, { ip: string; port: number }>>;
}

function address(flag: string, v: string): { ip: string; port: number } {
    const m = /^([0-9.]+):([0-9]{1,5})$/.exec(v);
    if (!m) throw new Error(`--${flag} ${v}: expected IPv4:PORT`);
    return { ip: m[1], port: Number(m[2]) };
}

export function parseArgs(argv: string[]): Options {
    const get = (name: string, dflt?: string): string => {
        const i = argv.indexOf(`--${name}`);
        const v = i >= 0 ? argv[i + 1] : dflt;
        if (v === undefined) throw new Error(`missing --${name}`);
        return v;
    };
    const ext = get("external-datastore", "");
    if (ext !== "" && !DATASTORES.includes(ext as Datastore)) throw new Error(`--external-datastore ${ext}: one of ${DATASTORES.join(", ")}`);
    const external: Options["external"] = {};
    external.outside = address("outside", get("outside"));
    if (ext !== "") for (const t of EXTERNAL_TARGETS) external[t] = address(t, get(t));
    return {
        namespace: get("namespace"),
        image: get("image"),
        ingressNamespace: get("ingress-namespace", "ingress-nginx"),
        strangerNamespace: get("stranger-namespace", "e2e-stranger"),
        setup: { ingressEnabled: get("ingress-enabled", "true") === "true", ...(ext !== "" ? { external: ext as Datastore } : {}) },
        external,
    };
}
