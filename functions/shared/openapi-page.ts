// GET /docs: a small self-contained page that fetches ./openapi.json and renders its operations,
// parameters, bodies, responses and schemas. No CDN, no build step; a strict CSP allows exactly the
// inline script and style below (by hash) and fetches from the same origin only.
import { createHash } from "node:crypto";

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem}code,pre{font:13px/1.4 ui-monospace,monospace}
pre{background:#f4f5f7;padding:.6rem;overflow:auto;border-radius:4px}
section{border:1px solid #d8dce1;border-radius:6px;padding:.4rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase}
.get{color:#0b6b2e}.post{color:#0a4ea3}table{border-collapse:collapse}
td,th{border-bottom:1px solid #e3e6ea;padding:.25rem .6rem;text-align:left;vertical-align:top}
details{margin:.3rem 0}summary{cursor:pointer}`;

const SCRIPT = `
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
const pre = (x) => "<pre>" + esc(JSON.stringify(x, null, 2)).replace(
  /&quot;#\\/components\\/schemas\\/([\\w-]+)&quot;/g, '<a href="#schema-$1">&quot;#/components/schemas/$1&quot;</a>') + "</pre>";
const main = document.querySelector("main");
fetch("openapi.json").then((r) => r.json()).then((doc) => {
  let html = "<h1>" + esc(doc.info.title) + " <small>" + esc(doc.info.version) + "</small></h1>" +
    "<p>" + esc(doc.info.description ?? "") + "</p><p>OpenAPI " + esc(doc.openapi) +
    ': <a href="openapi.json">openapi.json</a></p>';
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      html += '<section><h3><span class="m ' + method + '">' + method + "</span> <code>" + esc(path) +
        "</code></h3><p>" + esc(op.summary) + "</p>" + (op.description ? "<p>" + esc(op.description) + "</p>" : "");
      if (op.parameters?.length) {
        html += "<table><tr><th>Parameter</th><th>In</th><th>Schema</th><th>Description</th></tr>";
        for (const p of op.parameters) html += "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? " *" : "") +
          "</td><td>" + p.in + "</td><td><code>" + esc(JSON.stringify(p.schema)) + "</code></td><td>" + esc(p.description ?? "") + "</td></tr>";
        html += "</table>";
      }
      for (const [type, c] of Object.entries(op.requestBody?.content ?? {}))
        html += "<details open><summary>Request body " + esc(type) + "</summary>" + pre(c.schema) + "</details>";
      for (const [status, r] of Object.entries(op.responses))
        for (const [type, c] of Object.entries(r.content ?? {}))
          html += "<details><summary><b>" + status + "</b> " + esc(r.description) + " <small>" + esc(type) +
            "</small></summary>" + pre(c.schema) + (r.headers ? "Headers:" + pre(r.headers) : "") + "</details>";
      html += "</section>";
    }
  }
  html += "<h2>Schemas</h2>";
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {}))
    html += '<details id="schema-' + esc(name) + '"><summary><code>' + esc(name) + "</code></summary>" + pre(s) + "</details>";
  main.innerHTML = html;
}).catch((err) => { main.textContent = "Could not load openapi.json: " + err; });`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

export function docsPage(title: string) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title.replace(/[&<>"]/g, "")}</title><style>${STYLE}</style></head>
<body><main>Loading <a href="openapi.json">openapi.json</a>…</main><script>${SCRIPT}</script></body></html>`;
  const csp = `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
