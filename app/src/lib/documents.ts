import path from "node:path";

/** Bad input: the API answers `status` with `{ error: code, message }`; nothing is stored. */
export class InputError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
        this.name = "InputError";
    }
}

export const SUPPORTED_EXTENSIONS: Record<string, string> = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
};
const SUPPORTED_TYPES = new Set(Object.values(SUPPORTED_EXTENSIONS));

/** The content type of an upload, from its file name first, then its declared MIME type. */
export function contentTypeOf(filename: string | undefined, mime: string | undefined): string | undefined {
    const ext = filename ? path.extname(filename).toLowerCase() : "";
    if (ext && SUPPORTED_EXTENSIONS[ext]) {
        return SUPPORTED_EXTENSIONS[ext];
    }
    const m = (mime ?? "").split(";")[0].trim().toLowerCase();
    if (ext === "" && SUPPORTED_TYPES.has(m)) {
        return m;
    }
    return undefined;
}

function htmlToText(html: string): string {
    return html
        .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
        .replace(/<(br|\/p|\/div|\/h[1-6]|\/li|\/tr)\b[^>]*>/gi, "\n")
        .replace(/<[^>]+>/g, " ")
        .replace(/&nbsp;/g, " ")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&");
}

function jsonToText(json: string): string {
    let value: unknown;
    try {
        value = JSON.parse(json);
    } catch {
        throw new InputError(400, "invalid_document", "the .json document is not valid JSON");
    }
    const out: string[] = [];
    const walk = (v: unknown, key?: string) => {
        if (typeof v === "string") {
            out.push(key ? `${key}: ${v}` : v);
        } else if (typeof v === "number" || typeof v === "boolean") {
            out.push(key ? `${key}: ${v}` : String(v));
        } else if (Array.isArray(v)) {
            v.forEach((x) => walk(x, key));
        } else if (v && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) {
                walk(x, k);
            }
        }
    };
    walk(value);
    return out.join("\n");
}

/** Plain text of a document's bytes. Rejects binary content and undecodable text. */
export function extractText(bytes: Buffer, contentType: string): string {
    if (bytes.includes(0)) {
        throw new InputError(415, "unsupported_type", "the document looks binary; upload .txt, .md, .html or .json text");
    }
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        throw new InputError(415, "unsupported_type", "the document is not UTF-8 text");
    }
    switch (contentType) {
        case "text/html":
            return htmlToText(text);
        case "application/json":
            return jsonToText(text);
        default:
            return text;
    }
}
