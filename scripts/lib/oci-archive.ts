// An OCI archive of images/build.sh (umoci's layout, its manifest named only by a bare tag such as "rag-api") made
// loadable under a full reference by every local cluster's importer: the index names the manifest
// `io.containerd.image.name` and `org.opencontainers.image.ref.name` = the reference (ctr, hence kind and k3d, and
// podman), and a Docker `manifest.json` gives the same reference as RepoTags (docker load, minikube's docker
// runtime). The layout's blobs are kept as they are: the same bytes, the same digests.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Descriptor {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
}

function tar(args: string[]): void {
    const r = spawnSync("tar", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tar ${args[0]}: ${(r.stderr || r.error?.message || "failed").trim()}`);
}

const blobPath = (digest: string) => path.posix.join("blobs", ...digest.split(":"));

/** Writes `out`: the single-image OCI archive `archive`, named `ref`. */
export function tagArchive(archive: string, ref: string, out: string): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-oci-"));
    try {
        tar(["-xf", archive, "-C", dir]);
        const indexFile = path.join(dir, "index.json");
        if (!fs.existsSync(indexFile)) throw new Error(`${archive} is not an OCI archive (no index.json)`);
        const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as { schemaVersion: number; manifests: Descriptor[] };
        const manifests = index.manifests.filter((m) => m.mediaType === "application/vnd.oci.image.manifest.v1+json");
        if (manifests.length !== 1) throw new Error(`${archive}: expected one image manifest, found ${manifests.length}`);
        const [desc] = manifests;
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, blobPath(desc.digest)), "utf8")) as { config: Descriptor; layers: Descriptor[] };
        index.manifests = [{ ...desc, annotations: { ...desc.annotations, "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref } }];
        fs.writeFileSync(indexFile, JSON.stringify(index));
        const docker = [{ Config: blobPath(manifest.config.digest), RepoTags: [ref], Layers: manifest.layers.map((l) => blobPath(l.digest)) }];
        fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(docker));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        tar(["-cf", `${out}.tmp`, "-C", dir, "oci-layout", "index.json", "manifest.json", "blobs"]);
        fs.renameSync(`${out}.tmp`, out);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
