// The one quantity parser lives in lib/quantity.ts (shared with the program, which must not import policy
// internals); the rules keep importing it from here.
export { parseQuantity } from "../../lib/quantity";
