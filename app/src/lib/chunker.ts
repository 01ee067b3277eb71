/** A piece of a document, with its character offsets in the normalised text. */
export interface Chunk {
    index: number;
    text: string;
    start: number;
    end: number;
}

/**
 * Collapses runs of spaces and tabs and of blank lines; trims. (Each pattern matches only where it changes
 * something: a lone space or newline is left alone rather than replaced by itself, which on prose is most of
 * the text. The result is that of /[ \t\f\v]+/ -> " " and / *\n * / -> "\n"; a test checks it.)
 */
export function normaliseText(text: string): string {
    return text
        .replace(/\r\n?/g, "\n")
        .replace(/[ \t\f\v]{2,}|[\t\f\v]/g, " ")
        .replace(/ +\n *|\n +/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
}

/**
 * Splits text into chunks of at most `size` characters, each starting `size - overlap` characters after
 * the previous one at most. A chunk ends at the last paragraph, sentence or word boundary in its second
 * half when there is one, so that words are not cut.
 */
export function chunkText(text: string, size: number, overlap: number): Chunk[] {
    return chunkNormalised(normaliseText(text), size, overlap);
}

/** chunkText of a text normaliseText returned already (normalising is idempotent: the same chunks). */
export function chunkNormalised(t: string, size: number, overlap: number): Chunk[] {
    if (!Number.isInteger(size) || size < 1) {
        throw new RangeError(`chunk size must be a positive integer, got ${size}`);
    }
    if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
        throw new RangeError(`chunk overlap must be an integer in [0, size), got ${overlap}`);
    }
    const chunks: Chunk[] = [];
    let start = 0;
    while (start < t.length) {
        let end = Math.min(start + size, t.length);
        if (end < t.length) {
            const window = t.slice(start, end);
            const minCut = Math.floor(size / 2);
            const cut = [window.lastIndexOf("\n\n"), lastSentenceEnd(window), window.lastIndexOf(" ")].find((i) => i >= minCut);
            if (cut !== undefined) {
                end = start + cut + 1;
            }
        }
        const piece = t.slice(start, end).trim();
        if (piece.length > 0) {
            chunks.push({ index: chunks.length, text: piece, start, end });
        }
        if (end >= t.length) {
            break;
        }
        // Next chunk starts `overlap` characters before this one's end, at a word start when possible.
        let next = Math.max(end - overlap, start + 1);
        if (overlap > 0) {
            const space = t.indexOf(" ", next);
            if (space !== -1 && space < end) {
                next = space + 1;
            }
        }
        start = next;
    }
    return chunks;
}

function lastSentenceEnd(s: string): number {
    const m = [...s.matchAll(/[.!?]\s/g)];
    return m.length > 0 ? m[m.length - 1].index! + 1 : -1;
}
