// The connection matrix's probe pod (matrix.ts): a restricted pod carrying a source's labels that opens a TCP
// connection to each of its cells and prints one JSON line with how each ended. No I/O here.

export type Labels = Record<string, string>;

/**
 * The probe: allowed cells retried up to 20 s; then, when a cell is marked `gate` (the `outside` address, which only
 * the pod's own default-deny egress can shut), it waits up to 20 s for that cell to shut: the engine programs a new
 * pod a moment after it starts, and before that a pod whose only allowed cell is DNS (an open path anyway) could
 * reach any address no other pod's ingress policy guards. Then every refused cell once (3 s), the gate included: a
 * gate that never shuts is reported open. One JSON line out; `gateMs` how long the gate took to shut.
 */
const PROBE_JS = `
const net = require("net");
const cells = JSON.parse(process.argv[1]);
const once = (c, ms) => new Promise((done) => {
  const s = net.connect({ host: c.ip, port: c.port });
  let over = false;
  const end = (o) => { if (over) return; over = true; s.destroy(); done(o); };
  s.setTimeout(ms, () => end("timeout"));
  s.on("connect", () => end("open"));
  s.on("error", (e) => end(e.code === "ECONNREFUSED" ? "refused" : e.code === "EHOSTUNREACH" || e.code === "ENETUNREACH" ? "unreachable" : "error:" + e.code));
});
const probe = async (c) => {
  const t0 = Date.now();
  let o = "not-run", tries = 0;
  do { tries++; o = await once(c, c.allowed ? 2000 : 3000); if (o !== "open" && c.allowed) await new Promise((r) => setTimeout(r, 500)); }
  while (c.allowed && o !== "open" && Date.now() - t0 < 20000);
  return { key: c.key, outcome: o, ms: Date.now() - t0, tries };
};
(async () => {
  const allowed = await Promise.all(cells.filter((c) => c.allowed).map(probe));
  const gate = cells.find((c) => c.gate && !c.allowed);
  const t0 = Date.now();
  if (gate) while ((await once(gate, 1000)) === "open" && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 500));
  const gateMs = gate ? Date.now() - t0 : 0;
  const refused = await Promise.all(cells.filter((c) => !c.allowed).map(probe));
  console.log(JSON.stringify(allowed.concat(refused).map((r) => ({ ...r, gateMs }))));
})();
`;

export function probePod(name: string, labels: Labels, image: string, cells: object[]): object {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: { ...labels, "rag-e2e/netpol-probe": "true" } },
        spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            restartPolicy: "Never",
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "probe",
                    image,
                    imagePullPolicy: "Never",
                    command: ["node", "-e", PROBE_JS, JSON.stringify(cells)],
                    // never Ready: a probe carrying a component's labels must not become one of its Service's endpoints
                    readinessProbe: { exec: { command: ["false"] }, initialDelaySeconds: 3600 },
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "96Mi" } },
                },
            ],
        },
    };
}
