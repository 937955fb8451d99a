import { secureHeaders } from "hono/secure-headers";

/** An API serves JSON only, so the strictest CSP works everywhere but the docs page. */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: undefined,
  crossOriginResourcePolicy: "cross-origin",
  strictTransportSecurity: "max-age=31536000; includeSubDomains",
  xFrameOptions: "DENY",
});
