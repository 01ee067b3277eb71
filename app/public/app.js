// The chat page: asks POST {base}/v1/query, uploads to POST {base}/v1/documents (the write key from the key
// field, sent as Authorization: Bearer, never stored), lists GET {base}/v1/documents. What it refuses before
// sending and the message for every answer come from chat-logic.js (window.RagChat, tested by the app tests).
(function () {
    "use strict";
    var chat = window.RagChat;
    var base = (window.RAG_CONFIG && window.RAG_CONFIG.apiBasePath) || "/api";
    var $ = function (id) {
        return document.getElementById(id);
    };

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined) e.textContent = text;
        return e;
    }

    function add(cls, text) {
        var m = el("div", "msg " + cls, text);
        $("messages").appendChild(m);
        $("messages").scrollTop = $("messages").scrollHeight;
        return m;
    }

    /** A line under a form: cls "error" or "" (a result), empty text clears it. */
    function note(id, cls, text) {
        $(id).className = "note " + cls;
        $(id).textContent = text;
    }

    /** fetch, then {status, ok, body} with body the parsed JSON or undefined; rejects only when the API is unreachable. */
    function request(path, init) {
        return fetch(base + path, init).then(function (r) {
            return r.text().then(function (t) {
                return { status: r.status, ok: r.ok, body: chat.parseJson(t) };
            });
        });
    }

    function refresh() {
        request("/v1/documents?limit=100")
            .then(function (res) {
                if (!res.ok || !res.body) {
                    $("status").textContent = chat.failureMessage("list", res.status, res.body);
                    return;
                }
                var ul = $("documents");
                ul.textContent = "";
                (res.body.documents || []).forEach(function (d) {
                    var li = el("li", "", "#" + d.id + " " + d.title + " (" + chat.count(d.chunkCount, "chunk") + ")");
                    li.setAttribute("data-document-id", d.id);
                    ul.appendChild(li);
                });
                $("status").textContent = chat.count(res.body.total || 0, "document");
            })
            .catch(function () {
                $("status").textContent = "API unreachable";
            });
    }

    function showAnswer(body, ms) {
        var m = add("bot");
        m.appendChild(el("p", "answer", body.answer));
        var cited = chat.citedDocuments(body);
        if (cited.length) {
            var c = el("p", "citations", "Cited: ");
            cited.forEach(function (d, i) {
                var span = el("span", "citation", "[doc:" + d.id + "]" + (d.title ? " " + d.title : ""));
                span.setAttribute("data-document-id", d.id);
                if (i) c.appendChild(document.createTextNode(", "));
                c.appendChild(span);
            });
            m.appendChild(c);
        }
        m.appendChild(el("div", "meta", body.mode + (body.cached ? " · cached" : "") + " · " + ms + " ms"));
        var s = el("ul", "sources");
        (body.sources || []).forEach(function (src) {
            var li = el("li", "", "doc " + src.documentId + " · " + src.title + " · chunk " + src.chunkIndex + " · score " + src.score);
            li.setAttribute("data-document-id", src.documentId);
            s.appendChild(li);
        });
        m.appendChild(s);
    }

    $("ask").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var checked = chat.checkQuestion($("question").value);
        if (checked.error) {
            note("ask-result", "error", checked.error);
            $("question").focus();
            return;
        }
        note("ask-result", "", "");
        add("user", checked.question);
        $("question").value = "";
        var started = Date.now();
        request("/v1/query", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question: checked.question }) })
            .then(function (res) {
                if (!res.ok || !res.body) {
                    add("error", chat.failureMessage("question", res.status, res.body));
                    return;
                }
                showAnswer(res.body, Date.now() - started);
            })
            .catch(function () {
                add("error", "API unreachable: the question was not answered.");
            });
    });

    $("upload").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var f = $("file").files[0];
        var key = $("apikey").value;
        var checked = chat.checkUpload(f, key);
        if (checked.error) {
            note("upload-result", "error", checked.error);
            return;
        }
        note("upload-result", "", "Uploading " + f.name + "…");
        var form = new FormData();
        form.append("file", f, f.name);
        request("/v1/documents", { method: "POST", headers: { authorization: "Bearer " + key.trim() }, body: form })
            .then(function (res) {
                if (res.ok && res.body) {
                    note("upload-result", "", chat.uploadMessage(res.body));
                } else {
                    note("upload-result", "error", chat.failureMessage("upload", res.status, res.body));
                }
                refresh();
            })
            .catch(function () {
                note("upload-result", "error", "API unreachable: the upload was not sent.");
            });
    });

    refresh();
})();
