/**
 * Security headers. Every answer carries the ones that protect an API's responses (OWASP REST
 * Security Cheat Sheet): Strict-Transport-Security, X-Content-Type-Options: nosniff and
 * X-Frame-Options: DENY, with Referrer-Policy: no-referrer and an explicit
 * Cross-Origin-Resource-Policy for a public API. The headers that only act on an HTML document a
 * browser renders — Cross-Origin-Opener-Policy, Origin-Agent-Cluster, X-DNS-Prefetch-Control, old
 * Internet Explorer's X-Download-Options and X-XSS-Protection, Flash's
 * X-Permitted-Cross-Domain-Policies — go on HTML answers only (/docs, the GraphQL explorer): on
 * JSON they protect nothing and were 6 of the 24 headers every cached read wrote
 * (docs/performance.md, "Reads next to a bare Worker"). HTML pages set their own
 * Content-Security-Policy.
 */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../types";

const apiHeaders = secureHeaders({
  contentSecurityPolicy: undefined,
  crossOriginResourcePolicy: "cross-origin",
  strictTransportSecurity: "max-age=31536000; includeSubDomains",
  xFrameOptions: "DENY",
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

/** hono's defaults for the document-only headers. */
export const DOCUMENT_ONLY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await apiHeaders(c, next);
  if (c.res.headers.get("Content-Type")?.startsWith("text/html")) {
    for (const [name, value] of DOCUMENT_ONLY_HEADERS) c.res.headers.set(name, value);
  }
});
