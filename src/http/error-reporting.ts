/**
 * Unhandled errors go to Sentry (toucan-js) when SENTRY_DSN is set, tagged with the request id
 * and route. Nothing personal leaves: no body, no cookies, only harmless headers, no client IP,
 * and email addresses and bearer tokens are scrubbed from messages.
 */
import type { Context } from "hono";
import { routePath } from "hono/route";
import { Toucan } from "toucan-js";
import { getConfig } from "../env";
import type { AppEnv } from "./types";

const SAFE_HEADERS = ["user-agent", "content-type", "accept", "cf-ray", "x-request-id"];
const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const API_KEY = /esk_[A-Za-z0-9_-]+/g;

export function scrub(text: string): string {
  return text.replace(EMAIL, "[email]").replace(BEARER, "$1[token]").replace(JWT, "[token]").replace(API_KEY, "[api-key]");
}

function scrubEvent<T extends { message?: string; exception?: { values?: { value?: string }[] }; request?: { data?: unknown } }>(event: T): T {
  if (event.message) event.message = scrub(event.message);
  for (const value of event.exception?.values ?? []) if (value.value) value.value = scrub(value.value);
  if (event.request) delete event.request.data;
  return event;
}

/** Sends one unhandled error to Sentry in the background; a no-op without SENTRY_DSN. */
export function reportError(c: Context<AppEnv>, error: unknown): void {
  let dsn: string | undefined;
  try {
    dsn = getConfig(c.env).SENTRY_DSN;
  } catch {
    return;
  }
  if (!dsn) return;
  const sentry = new Toucan({
    dsn,
    context: c.executionCtx,
    request: c.req.raw,
    environment: getConfig(c.env).ENVIRONMENT,
    requestDataOptions: { allowedHeaders: SAFE_HEADERS, allowedCookies: false, allowedSearchParams: false, allowedIps: false },
    beforeSend: (event) => scrubEvent(event),
  });
  sentry.setTag("requestId", c.get("requestId") ?? "unknown");
  sentry.setTag("route", routePath(c) || "unmatched");
  sentry.captureException(error);
}
