/**
 * GET /docs: Swagger UI over /openapi.json without any third-party CDN. The Worker serves this
 * small page; Swagger UI's script and stylesheet are Workers static assets under /docs/vendor/
 * (copied from the swagger-ui-dist package by scripts/docs-assets.mjs), so they work offline and
 * stay out of the Worker bundle. The CSP allows nothing from other origins.
 */
import type { Context } from "hono";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Edgeshop API</title><link rel="icon" href="/docs/vendor/favicon-32x32.png"><link rel="stylesheet" href="/docs/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/docs/vendor/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

// Swagger UI sets inline styles on its elements; everything it loads or calls is on this origin.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsPage(c: Context): Response {
  c.header("Content-Security-Policy", CSP);
  return c.html(PAGE);
}
