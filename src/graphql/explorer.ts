/**
 * A small GraphQL explorer served by the Worker itself (no third-party CDN, a few KB instead of
 * GraphiQL's megabyte): query and variables editors, a Bearer token field, the answer with its
 * X-Cache and status, and the schema as SDL with a filter. In `read-only` mode it runs queries
 * only, and the server refuses mutations sent from it. Its script runs under a nonce CSP.
 */
import { printSchema, type GraphQLSchema } from "graphql";
import type { ExplorerMode } from "../env";

/** The header the explorer sends with every request, so a read-only explorer can be enforced. */
export const EXPLORER_HEADER = "X-GraphQL-Explorer";

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const EXAMPLE = `query StorefrontPage($first: Int = 20) {
  products(first: $first) {
    edges {
      node {
        id slug title
        category { name }
        variants { id sku title available price { amount currency } }
        priceRange { min { amount currency } max { amount currency } }
        rating { average count }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const STYLE = `
body{margin:0;font:14px system-ui,sans-serif;display:grid;grid-template-rows:auto 1fr;height:100vh;color:#1d1d1f}
header{padding:8px 12px;background:#20232a;color:#fff;display:flex;gap:12px;align-items:center}
header b{font-weight:600} header span{opacity:.7} header input{flex:1;max-width:420px}
main{display:grid;grid-template-columns:1fr 1fr 320px;min-height:0}
section{display:flex;flex-direction:column;min-height:0;border-right:1px solid #ddd}
textarea,pre{font:13px ui-monospace,monospace;margin:0;padding:8px;border:0;resize:none;overflow:auto}
textarea{flex:1;outline:none} #variables{flex:0 0 120px;border-top:1px solid #ddd}
pre{flex:1;white-space:pre-wrap;background:#fafafa} #sdl{background:#fff}
.bar{padding:6px 8px;background:#f0f0f0;display:flex;gap:8px;align-items:center;font-size:12px}
button{font:inherit;padding:4px 12px;cursor:pointer}`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const readOnly = document.body.dataset.mode === "read-only";
const saved = localStorage.getItem("edgeshop.query");
$("query").value = saved || $("query").value;
async function run() {
  const query = $("query").value;
  localStorage.setItem("edgeshop.query", query);
  if (readOnly && /^\\s*mutation\\b/m.test(query.replace(/#.*$/gm, ""))) { $("result").textContent = "This explorer is read-only: queries only."; return; }
  let variables = {};
  try { variables = $("variables").value.trim() ? JSON.parse($("variables").value) : {}; }
  catch { $("result").textContent = "Variables are not valid JSON."; return; }
  const headers = { "Content-Type": "application/json", "${EXPLORER_HEADER}": document.body.dataset.mode };
  if ($("token").value.trim()) headers.Authorization = "Bearer " + $("token").value.trim();
  const started = performance.now();
  const res = await fetch(location.pathname, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  $("status").textContent = res.status + " · " + Math.round(performance.now() - started) + " ms · X-Cache " + (res.headers.get("X-Cache") || "–");
  try { $("result").textContent = JSON.stringify(JSON.parse(text), null, 2); } catch { $("result").textContent = text; }
}
$("run").addEventListener("click", run);
document.addEventListener("keydown", (e) => { if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run(); });
const blocks = $("sdl").textContent.split(/\\n(?=\\S)/);
$("filter").addEventListener("input", () => {
  const words = $("filter").value.trim().toLowerCase();
  $("sdl").textContent = blocks.filter((b) => !words || b.toLowerCase().includes(words)).join("\\n");
});`;

/** The explorer page; the nonce must also be in the answer's Content-Security-Policy. */
export function explorerPage(schema: GraphQLSchema, mode: Exclude<ExplorerMode, "off">, nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Edgeshop GraphQL explorer</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style nonce="${nonce}">${STYLE}</style></head>
<body data-mode="${mode}">
<header><b>Edgeshop GraphQL</b><span>${mode === "read-only" ? "read-only: queries only" : "POST /graphql"}</span>
<input id="token" placeholder="Bearer access token (for cart, checkout and orders)" autocomplete="off"></header>
<main>
<section><div class="bar"><button id="run" type="button">Run ▶</button><span>Ctrl/⌘ + Enter</span></div>
<textarea id="query" spellcheck="false" aria-label="Query">${escapeHtml(EXAMPLE)}</textarea>
<textarea id="variables" spellcheck="false" aria-label="Variables" placeholder='Variables (JSON), e.g. {"first": 5}'></textarea></section>
<section><div class="bar" id="status">Answer</div><pre id="result" aria-live="polite"></pre></section>
<section><div class="bar"><input id="filter" placeholder="Filter the schema" aria-label="Filter the schema"></div>
<pre id="sdl">${escapeHtml(printSchema(schema))}</pre></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}

/** The explorer's CSP: its own inline script and style by nonce, requests to this origin only. */
export const explorerCsp = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
