import { createHmac, timingSafeEqual } from "node:crypto";

/** The label the write API key is derived with; bump the version to rotate keys without a new secret. */
export const API_KEY_CONTEXT = "rag-api-key:v1";

/** The write API key: HMAC-SHA256(API_SIGNING_KEY, "rag-api-key:v1"), lower-case hex. */
export function deriveApiKey(signingKey: string): string {
    return createHmac("sha256", signingKey).update(API_KEY_CONTEXT).digest("hex");
}

/** Whether an Authorization header carries the key (`Bearer <key>`), in constant time. */
export function checkBearer(header: string | undefined, expected: string): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) {
        return false;
    }
    const a = Buffer.from(m[1]);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}
