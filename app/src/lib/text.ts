import { createHash } from "node:crypto";

const STOPWORDS = new Set(
    (
        "a an and are as at be been but by can could did do does for from had has have how i if in into is it its " +
        "me my of on or our so than that the their them then there these they this those to was we were what when " +
        "where which who whom why will with would you your about after before also any each just more most no not " +
        "only other over same should some such very"
    ).split(" "),
);

/** Lower-case word tokens (letters and digits of any script). */
export function words(text: string): string[] {
    return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A light English suffix stripper, so that "computes" matches "compute" and "checksums" "checksum". */
export function stem(w: string): string {
    if (w.length <= 3 || /\d/.test(w)) {
        return w;
    }
    if (w.endsWith("ies") && w.length > 4) {
        return `${w.slice(0, -3)}y`;
    }
    if (w.endsWith("sses")) {
        return w.slice(0, -2);
    }
    if (w.endsWith("ing") && w.length > 5) {
        return w.slice(0, -3);
    }
    if (w.endsWith("ed") && w.length > 4) {
        return w.slice(0, -2);
    }
    if (w.endsWith("s") && !/(ss|us|is)$/.test(w)) {
        return w.slice(0, -1);
    }
    return w;
}

/** Stemmed words without the most common English function words (all of them when nothing else is left). */
export function contentWords(text: string): string[] {
    const all = words(text);
    const content = all.filter((w) => !STOPWORDS.has(w));
    return (content.length > 0 ? content : all).map(stem);
}

/**
 * A rough token count (no tokenizer is bundled): the larger of the word count and characters / 4, which is
 * what common BPE tokenizers give for English prose, erring on the high side.
 */
export function estimateTokens(text: string): number {
    return Math.max(words(text).length, Math.ceil(text.length / 4));
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/** A UUID-shaped deterministic id (Qdrant point ids must be integers or UUIDs). */
export function uuidFrom(text: string): string {
    const h = sha256(text);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
