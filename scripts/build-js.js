#!/usr/bin/env node
// `npm run build:js`: the program (index.ts) and the policy pack (policy/index.ts) as one JavaScript bundle
// each (bin/index.js, policy/bin/index.js; git-ignored), which Pulumi runs through main.js and
// policy/pack.js (lib/compiled.js). esbuild follows the imports from the entry points, so no file list is
// kept here; everything under node_modules stays an ordinary require (one shared @pulumi/pulumi instance,
// the SDK's own source maps and lazy loading intact). No type-check: `npm run build` (tsc --noEmit, in
// `npm test`) does that.
//
// Plain JavaScript on purpose: it runs before every `npm run preview|up|destroy|render` and in the e2e
// tests, and starts in milliseconds (ts-node would add a second). `npm ci` runs it once (the `prepare`
// hook); without esbuild installed (e.g. `npm ci --omit=dev`) that hook only says so.
"use strict";
const fs = require("fs");
const path = require("path");
const { ROOT, TARGETS, BUILD_FILES, manifestPath, fileDigest } = require("../lib/compiled");

/** Builds every target; returns { name: { outfile, inputs, ms } }. */
async function build() {
    const esbuild = require("esbuild");
    const results = {};
    await Promise.all(
        Object.entries(TARGETS).map(async ([name, target]) => {
            const t0 = Date.now();
            const outfile = path.join(ROOT, target.outfile);
            const r = await esbuild.build({
                absWorkingDir: ROOT,
                entryPoints: [target.entry],
                outfile,
                bundle: true,
                platform: "node",
                target: "node20",
                format: "cjs",
                // every bare import (node_modules) stays a require: one @pulumi/pulumi instance, shared with
                // the language host's run script
                packages: "external",
                sourcemap: true,
                sourcesContent: false,
                metafile: true,
                logLevel: "warning",
            });
            // the manifest: a digest per source file read, so lib/compiled.js can tell a stale bundle
            const files = [...new Set([...Object.keys(r.metafile.inputs), ...BUILD_FILES])].sort();
            const inputs = Object.fromEntries(files.map((f) => [f, fileDigest(f)]));
            fs.writeFileSync(
                manifestPath(target),
                `${JSON.stringify({ entry: target.entry, outfile: target.outfile, esbuild: esbuild.version, inputs }, null, 1)}\n`,
            );
            results[name] = { outfile: target.outfile, inputs: files.length, ms: Date.now() - t0 };
        }),
    );
    return results;
}

const say = (msg) => process.stderr.write(`rag-platform: ${msg}\n`);

async function main() {
    let haveEsbuild = true;
    try {
        require.resolve("esbuild");
    } catch {
        haveEsbuild = false;
    }
    if (!haveEsbuild && process.env.npm_lifecycle_event === "prepare") {
        say("esbuild is not installed (dev dependencies omitted?): the program and the policy pack were not compiled; npm run build:js compiles them");
        return;
    }
    const results = await build();
    if (!process.argv.includes("--quiet")) {
        for (const r of Object.values(results)) say(`built ${r.outfile} (${r.inputs} sources, ${r.ms} ms)`);
    }
}

if (require.main === module) {
    main().catch((err) => {
        // esbuild has already printed the compile errors with their locations
        say(`build failed: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
        process.exit(1);
    });
}

module.exports = { build };
