// Pulumi.yaml's `main`: the program compiled by `npm run build:js` (bin/index.js, from index.ts), checked
// to be current and loaded by lib/compiled.js. Its exports are the stack outputs.
module.exports = require("./lib/compiled").load("program");
