// The compiled program and policy pack: what `npm run build:js` (scripts/build-js.js) writes, and how the
// Pulumi language host loads it. Pulumi.yaml's `main: main.js` and policy/package.json's `main: pack.js`
// are two-line entry points that call `load` below, so both run as plain JavaScript: no TypeScript compiled
// at run time, which was most of what made a preview slow (docs/architecture.md, Start-up speed).
//
// `load` refuses, with one line saying what to run, a bundle that is missing or older than its sources
// (a sha256 of every file esbuild read, recorded by the build), so a plain `pulumi preview` never runs
// stale code and never ends in a module-not-found stack trace.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");

/** What the build produces: entry point (TypeScript source) -> bundle, each with its manifest next to it. */
const TARGETS = {
    program: { entry: "index.ts", outfile: "bin/index.js" },
    policy: { entry: "policy/index.ts", outfile: "policy/bin/index.js" },
};

/** Files whose change makes every bundle stale although esbuild does not read them: the build itself. */
const BUILD_FILES = ["scripts/build-js.js", "lib/compiled.js"];

const manifestPath = (target) => path.join(ROOT, path.dirname(target.outfile), "build.json");

/** sha256 of a file (repository-relative path), or "missing". */
function fileDigest(file) {
    try {
        return crypto
            .createHash("sha256")
            .update(fs.readFileSync(path.join(ROOT, file)))
            .digest("hex");
    } catch {
        return "missing";
    }
}

/** Why the bundle of `target` cannot be used as it is, or undefined when it is current. */
function staleness(target) {
    let manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(manifestPath(target), "utf8"));
    } catch {
        return `${target.outfile} has not been built`;
    }
    if (!fs.existsSync(path.join(ROOT, target.outfile))) return `${target.outfile} has not been built`;
    const changed = Object.entries(manifest.inputs ?? {})
        .filter(([file, sha]) => fileDigest(file) !== sha)
        .map(([file]) => file);
    if (changed.length === 0) return undefined;
    return `${target.outfile} is older than its sources (${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", ..." : ""} changed since it was built)`;
}

function fail(message) {
    // A RunError is printed as its message alone, without a stack trace, by both of the SDK's run scripts.
    let RunError = Error;
    try {
        RunError = require("@pulumi/pulumi/errors").RunError;
    } catch {
        // no SDK installed: a plain Error says the same
    }
    throw new RunError(`rag-platform: ${message}. Run \`npm run build:js\` first (npm ci builds once; npm run preview|up|destroy|render build every time).`);
}

// @pulumi/pulumi's index loads runtime/index, which loads the closure serializer (it requires the TypeScript
// compiler) and the code-path walker (it requires @npmcli/arborist) at once: about 0.5 s of a 2-core machine's
// time in every process that imports "@pulumi/pulumi", the program and the pack alike, for functions a
// Kubernetes program never calls (they serialise JavaScript closures for function-as-a-resource providers).
// Before the bundle loads, these two modules are registered as stand-ins that load the real module on first
// call. The export lists are those of SDK_VERSION; test/compiled.test.ts checks them against the installed SDK,
// and with any other installed version nothing is deferred.
const SDK_VERSION = "3.248.0";
const DEFERRED = {
    "runtime/closure/serializeClosure.js": ["serializeFunctionAsync", "serializeFunction"],
    "runtime/closure/codePaths.js": ["computeCodePaths", "findWorkspaceRoot"],
};

/** Registers the lazy stand-ins in the SDK that `fromDir` resolves; returns the files deferred. */
function deferClosureModules(fromDir) {
    let sdk;
    try {
        const pkg = require.resolve("@pulumi/pulumi/package.json", { paths: [fromDir] });
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).version !== SDK_VERSION) return [];
        sdk = path.dirname(pkg);
    } catch {
        return [];
    }
    const Module = require("module");
    const deferred = [];
    for (const [rel, names] of Object.entries(DEFERRED)) {
        const filename = path.join(sdk, rel);
        if (require.cache[filename] || !fs.existsSync(filename)) continue; // already loaded for real
        let real;
        const load = () => {
            if (!real) {
                delete require.cache[filename];
                real = require(filename);
            }
            return real;
        };
        const standIn = new Module(filename, module);
        standIn.filename = filename;
        standIn.loaded = true;
        standIn.exports = { __esModule: true };
        for (const name of names) standIn.exports[name] = (...args) => load()[name](...args);
        require.cache[filename] = standIn;
        deferred.push(filename);
    }
    return deferred;
}

// Every resource the program registers makes the SDK format a full stack trace (Resource.callsites() for its
// source position, with Error.stackTraceLimit = Infinity, and one per debuggable promise). The run script
// formats them through source-map-support, which maps every frame through the source map of its file: for the
// SDK's own modules those maps point at TypeScript files that are not installed, and parsing them and cloning
// every call site cost about 0.3 s of CPU in a dev preview (--cpu-prof of the program). Under the language
// host's run scripts, frames of our bundle are still mapped to components/*.ts (so errors and source positions
// name our TypeScript); every other frame is printed as V8 prints it.
const RUN_SCRIPT = /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run(?:-policy-pack)?[\\/]index\.js$/;

/** Installs the bundle-only stack-trace mapping when running under @pulumi/pulumi's run scripts. */
function mapOnlyBundleFrames(bundle) {
    const main = require.main?.filename ?? "";
    if (!RUN_SCRIPT.test(main)) return false;
    let sms;
    try {
        sms = require(require.resolve("source-map-support", { paths: [path.dirname(main)] }));
    } catch {
        return false;
    }
    if (typeof sms.wrapCallSite !== "function") return false;
    Error.prepareStackTrace = (error, frames) => {
        // the same text as source-map-support's prepareStackTrace, frames outside the bundle unmapped
        const state = { nextPosition: null, curPosition: null };
        const lines = [];
        for (let i = frames.length - 1; i >= 0; i--) {
            if (frames[i].getFileName() === bundle) {
                lines.push(sms.wrapCallSite(frames[i], state));
            } else {
                state.curPosition = null;
                lines.push(frames[i]);
            }
            state.nextPosition = state.curPosition;
        }
        return `${error.name || "Error"}: ${error.message || ""}${lines
            .reverse()
            .map((f) => `\n    at ${f}`)
            .join("")}`;
    };
    return true;
}

/** Throws a RunError saying what to run when the bundle of `target` is missing or stale. */
function check(target) {
    const why = staleness(target);
    if (why) fail(why);
}

/** Checks and loads the bundle of `name` ("program" or "policy"); returns its exports (the stack outputs). */
function load(name) {
    const target = TARGETS[name];
    check(target);
    const bundle = path.join(ROOT, target.outfile);
    deferClosureModules(path.dirname(bundle));
    mapOnlyBundleFrames(bundle);
    return require(bundle);
}

module.exports = {
    ROOT,
    TARGETS,
    BUILD_FILES,
    SDK_VERSION,
    DEFERRED,
    manifestPath,
    fileDigest,
    staleness,
    check,
    deferClosureModules,
    mapOnlyBundleFrames,
    load,
};
