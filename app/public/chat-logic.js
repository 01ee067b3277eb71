// The chat page's logic without the DOM: what the page refuses before sending anything, and the readable
// message for every API answer. Loaded by the page (window.RagChat) and by the app tests (require).
(function (root, factory) {
    "use strict";
    if (typeof module === "object" && module.exports) {
        module.exports = factory();
    } else {
        root.RagChat = factory();
    }
})(this, function () {
    "use strict";

    /** JSON of a response body, or undefined when it is not JSON (a proxy's HTML error page, an empty body). */
    function parseJson(text) {
        if (typeof text !== "string" || text === "") {
            return undefined;
        }
        try {
            var v = JSON.parse(text);
            return v && typeof v === "object" ? v : undefined;
        } catch {
            return undefined;
        }
    }

    /** "1 document", "2 documents". */
    function count(n, word) {
        return n + " " + word + (n === 1 ? "" : "s");
    }

    /** {question} to send, or {error} shown on the page instead of sending anything. */
    function checkQuestion(raw) {
        var q = typeof raw === "string" ? raw.trim() : "";
        if (!q) {
            return { error: "Type a question first: an empty question is not sent." };
        }
        return { question: q };
    }

    /** {} when the upload may be sent, or {error} shown on the page instead of sending anything. */
    function checkUpload(file, key) {
        if (!file) {
            return { error: "Choose a file to upload (.txt, .md, .html or .json)." };
        }
        if (typeof key !== "string" || key.trim() === "") {
            return { error: "Enter the API key to upload: uploads need the platform's write key. Nothing was sent." };
        }
        if (/\s/.test(key.trim())) {
            return { error: 'The API key has a space in it: paste the key alone, without "Bearer". Nothing was sent.' };
        }
        return {};
    }

    /** The readable message for a refused or failed request ("upload", "question" or "list"), from its status and JSON body (or undefined). */
    function failureMessage(action, status, body) {
        var upload = action === "upload";
        var what = { upload: "Upload refused", question: "Question refused", list: "Listing the documents failed" }[action] || "Request refused";
        var code = body && typeof body.error === "string" ? " " + body.error : "";
        var detail = body && typeof body.message === "string" && body.message ? body.message : "";
        var stored = upload ? " Nothing was stored." : "";
        if (status === 401 || status === 403) {
            return what + " (" + status + code + "): the API key was not accepted. Check the key and try again." + stored;
        }
        if (status === 413) {
            return what + " (413): too large" + (detail ? ": " + detail : "") + "." + stored;
        }
        if (status === 429) {
            return what + " (429): too many requests; wait a moment and try again." + stored;
        }
        if (status >= 500) {
            return "The API could not answer (" + status + code + ")" + (detail ? ": " + detail : "; try again later") + "." + stored;
        }
        return what + " (" + status + code + ")" + (detail ? ": " + detail : "") + "." + stored;
    }

    /** The message for a successful upload (201 created, or 200 when the same content was already indexed). */
    function uploadMessage(body) {
        var d = (body && body.document) || {};
        var chunks = typeof d.chunkCount === "number" ? ", " + count(d.chunkCount, "chunk") : "";
        if (body && body.created) {
            return "Indexed \u201c" + d.title + "\u201d as #" + d.id + chunks + ".";
        }
        return "Already indexed as #" + d.id + " (\u201c" + d.title + "\u201d, same content); nothing new was stored.";
    }

    /** The documents an answer cites, best first, each with its title when the sources name it. */
    function citedDocuments(result) {
        var titles = {};
        ((result && result.sources) || []).forEach(function (s) {
            if (!(s.documentId in titles)) {
                titles[s.documentId] = s.title;
            }
        });
        return ((result && result.citations) || []).map(function (id) {
            return { id: String(id), title: titles[id] === undefined ? "" : String(titles[id]) };
        });
    }

    return {
        count: count,
        parseJson: parseJson,
        checkQuestion: checkQuestion,
        checkUpload: checkUpload,
        failureMessage: failureMessage,
        uploadMessage: uploadMessage,
        citedDocuments: citedDocuments,
    };
});
