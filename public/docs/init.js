// Starts Swagger UI for GET /docs (src/http/docs-page.ts) on the document the page names. A file of
// its own, not an inline script, so the page's CSP can allow scripts from this origin only.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The default sends the document to a public validator for a badge: no third-party calls.
  validatorUrl: null,
});
