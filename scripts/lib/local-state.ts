// The self-managed file:// state backend (`.pulumi-state/`, which npm run up uses when you are not logged in, or your
// own `pulumi login file://...`) and the one way a killed `pulumi up` can make it unreadable.
//
// Pulumi's storage library (gocloud.dev fileblob, v0.46.0 in CLI v3.248.0) writes each checkpoint to a temp file
// and renames it into place, so `dev.json` is never torn. Beside it, it keeps a metadata "sidecar",
// `dev.json.attrs` (content type and MD5), which it rewrites IN PLACE (create-truncate, then write) just before
// that rename. A CLI killed between the truncate and the write leaves the sidecar empty, and from then on every
// command on the stack (export, cancel, refresh, up) fails with "failed to load checkpoint: EOF", although the
// checkpoint is whole. Seen in CI: the node tier's SIGKILLed `up` (e2e/node/interrupted.sh). Pulumi reads none of
// the sidecar's fields, and the library treats a missing sidecar as "no metadata". So:
//   - the platform opens its own local backends with `?metadata=skip`: no sidecar is written, none can be torn;
//   - `npm run recover` removes every sidecar that does not parse (brokenSidecars), for backends opened without it.
import * as fs from "fs";
import * as path from "path";

/** The URL of a local state directory, with no metadata sidecars (see above). */
export function localBackendUrl(dir: string): string {
    return `file://${dir}?metadata=skip`;
}

/** The directory of a file:// backend URL (query dropped, relative to cwd, ~ expanded); undefined for any other. */
export function fileBackendDir(url: string | undefined, cwd = process.cwd(), home = process.env.HOME ?? "/"): string | undefined {
    if (!url?.startsWith("file://")) return undefined;
    const p = url.slice("file://".length).split("?")[0];
    if (p === "~" || p.startsWith("~/")) return path.join(home, p.slice(1));
    return path.resolve(cwd, p);
}

/** Sidecars (`*.attrs`) under the backend's .pulumi/ that do not parse as JSON: each makes its blob unreadable. */
export function brokenSidecars(dir: string): string[] {
    const broken: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile() && e.name.endsWith(".attrs")) {
                try {
                    JSON.parse(fs.readFileSync(p, "utf8"));
                } catch {
                    broken.push(p);
                }
            }
        }
    };
    if (fs.existsSync(path.join(dir, ".pulumi"))) walk(path.join(dir, ".pulumi"));
    return broken.sort();
}
