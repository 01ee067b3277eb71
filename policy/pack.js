// Entry point of the policy pack (package.json "main"): the pack compiled by `npm run build:js`
// (policy/bin/index.js, from policy/index.ts), checked to be current and loaded by lib/compiled.js.
// The language host's run-policy-pack still registers ts-node with `typeCheck: true` for .ts files, but no
// .ts file is loaded any more; `npm run build` (tsc --noEmit, in `npm test`) type-checks the pack.
require("../lib/compiled").load("policy");
