// The chat page: asks POST {base}/v1/query, uploads to POST {base}/v1/documents, lists GET {base}/v1/documents.
(function () {
    "use strict";
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

    function refresh() {
        fetch(base + "/v1/documents?limit=100")
            .then(function (r) {
                return r.json();
            })
            .then(function (body) {
                var ul = $("documents");
                ul.textContent = "";
                (body.documents || []).forEach(function (d) {
                    ul.appendChild(el("li", "", "#" + d.id + " " + d.title + " (" + d.chunkCount + " chunks)"));
                });
                $("status").textContent = (body.total || 0) + " documents";
            })
            .catch(function () {
                $("status").textContent = "API unreachable";
            });
    }

    $("ask").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var q = $("question").value.trim();
        if (!q) return;
        add("user", q);
        $("question").value = "";
        fetch(base + "/v1/query", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question: q }) })
            .then(function (r) {
                return r.json().then(function (b) {
                    return { ok: r.ok, body: b };
                });
            })
            .then(function (res) {
                if (!res.ok) {
                    add("error", res.body.message || "error");
                    return;
                }
                var m = add("bot", res.body.answer);
                m.appendChild(el("div", "meta", res.body.mode + (res.body.cached ? " · cached" : "")));
                var s = el("ul", "sources");
                (res.body.sources || []).forEach(function (src) {
                    s.appendChild(el("li", "", "doc " + src.documentId + " · " + src.title + " · chunk " + src.chunkIndex + " · score " + src.score));
                });
                m.appendChild(s);
            })
            .catch(function () {
                add("error", "API unreachable");
            });
    });

    $("upload").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var f = $("file").files[0];
        if (!f) return;
        var form = new FormData();
        form.append("file", f, f.name);
        fetch(base + "/v1/documents", { method: "POST", headers: { authorization: "Bearer " + $("apikey").value }, body: form })
            .then(function (r) {
                return r.json().then(function (b) {
                    return { ok: r.ok, body: b };
                });
            })
            .then(function (res) {
                $("upload-result").className = res.ok ? "" : "error";
                $("upload-result").textContent = res.ok
                    ? (res.body.created ? "Indexed as #" : "Already indexed as #") + res.body.document.id
                    : res.body.message;
                refresh();
            })
            .catch(function () {
                $("upload-result").textContent = "API unreachable";
            });
    });

    refresh();
})();
