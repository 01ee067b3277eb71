// Entry point of the policy pack (package.json "main"). The Pulumi language host loads a TypeScript pack
// through ts-node with `typeCheck: true` hard-coded (@pulumi/pulumi cmd/run-policy-pack): every preview and
// up then type-checked the pack before the program could start (about 7 s of a dev preview, measured by
// e2e/run.sh). `npm run build` (tsc over policy/**/*.ts, in `npm test` and CI) is where the pack is
// type-checked; here its TypeScript is only transpiled, by a handler that replaces the one the language
// host registered for .ts files.
const fs = require("fs");
const path = require("path");
const tsNode = require("ts-node");

const service = tsNode.create({ transpileOnly: true, project: path.join(__dirname, "tsconfig.json") });
require.extensions[".ts"] = (module, filename) => module._compile(service.compile(fs.readFileSync(filename, "utf8"), filename), filename);
require("./index.ts");
