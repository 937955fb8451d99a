/**
 * One delivery attempt: claim the row, check the URL again, sign, POST with a timeout and no
 * redirects, through the endpoint's circuit breaker, then record the outcome. A 2xx succeeds;
 * anything else is retried on RETRY_DELAYS_SECONDS and is dead after the last attempt. An endpoint
 * failing for longer than WEBHOOK_DISABLE_AFTER_SECONDS is disabled and the admins are emailed.
 */
import { getConfig } from "../../env";
import { createLogger } from "../../lib/log";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { enqueueOutbox } from "../notifications/service";
import { outboundBreakers } from "../outbound/breakers";
import * as repo from "./repo";
import { signedHeaders } from "./signature";
import { checkWebhookUrl } from "./url-guard";

/** Delay before attempt n+1 after attempt n failed (Standard Webhooks' suggested schedule); 8 attempts over ~28 h. */
export const RETRY_DELAYS_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** How long a sender may hold a delivery beyond its timeout before another may take it. */
const LOCK_SLACK_MS = 30_000;

export type AttemptOutcome =
  | { kind: "succeeded"; statusCode: number }
  | { kind: "retry"; delaySeconds: number; statusCode: number | null }
  | { kind: "dead"; statusCode: number | null; reason: string }
  | { kind: "skipped" };

class DeliveryFailed extends Error {
  constructor(readonly statusCode: number | null, message: string) {
    super(message);
    this.name = "DeliveryFailed";
  }
}

/** The exact bytes every attempt of an event sends (same id, same body: receivers can dedupe). */
export function deliveryBody(event: repo.EventRow): string {
  return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(toIso(event.created_at))},"data":${event.data}}`;
}

/** Secrets that sign now: the current one, and the previous one while its grace period lasts. */
export function signingSecrets(endpoint: repo.EndpointRow, now: number): string[] {
  const previousValid = endpoint.previous_secret && endpoint.previous_secret_expires_at !== null && endpoint.previous_secret_expires_at > now;
  return previousValid ? [endpoint.secret, endpoint.previous_secret!] : [endpoint.secret];
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Edgeshop-Webhooks/1", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new DeliveryFailed(null, timedOut ? `timed out after ${timeoutMs} ms` : "connection failed");
  }
  await response.body?.cancel();
  if (response.status >= 200 && response.status < 300) return response.status;
  const redirect = response.status >= 300 && response.status < 400;
  throw new DeliveryFailed(response.status, redirect ? `HTTP ${response.status} (redirects are not followed)` : `HTTP ${response.status}`);
}

/** Why a claimed delivery can never be sent now (its endpoint is gone, disabled, or its URL refused), or null. */
function refusalOf(endpoint: repo.EndpointRow | null, allowLocalhost: boolean): string | null {
  if (!endpoint) return "endpoint deleted";
  if (endpoint.status !== "enabled") return "endpoint disabled";
  const verdict = checkWebhookUrl(endpoint.url, { allowLocalhost });
  return verdict.ok ? null : `URL refused: ${verdict.reason}`;
}

/** Tries delivery `id` once if it is due; never throws for the receiver's faults. */
export async function attemptDelivery(env: Env, id: string, now = Date.now()): Promise<AttemptOutcome> {
  const config = getConfig(env);
  const claimed = await repo.claimDelivery(env.DB, id, now, now + config.WEBHOOK_TIMEOUT_MS + LOCK_SLACK_MS);
  if (!claimed) return { kind: "skipped" };
  const log = createLogger({ deliveryId: id, eventId: claimed.event.id, requestId: claimed.event.request_id ?? undefined });
  const { endpoint } = claimed;
  const refusal = refusalOf(endpoint, config.WEBHOOK_ALLOW_LOCALHOST);
  if (refusal !== null || !endpoint) {
    const reason = refusal ?? "endpoint deleted";
    await repo.markDeliveryDead(env.DB, claimed, reason, now);
    log.warn("webhook_delivery_dead", { reason });
    return { kind: "dead", statusCode: null, reason };
  }

  const body = deliveryBody(claimed.event);
  try {
    // The signature's timestamp is the wall clock at sending: receivers reject old ones.
    const headers = await signedHeaders(signingSecrets(endpoint, now), claimed.event.id, Math.floor(Date.now() / 1000), body);
    const statusCode = await outboundBreakers.run(`webhook:${endpoint.id}`, () => post(endpoint.url, headers, body, config.WEBHOOK_TIMEOUT_MS), now);
    await repo.recordSuccess(env.DB, claimed, statusCode, now);
    log.info("webhook_delivered", { attempts: claimed.delivery.attempts + 1, status: statusCode });
    return { kind: "succeeded", statusCode };
  } catch (error) {
    if (error instanceof BreakerOpenError) {
      const retryAt = now + Math.max(1000, error.retryInMs);
      await repo.releaseDelivery(env.DB, claimed, retryAt, now);
      return { kind: "retry", delaySeconds: Math.ceil((retryAt - now) / 1000), statusCode: null };
    }
    const failure = error instanceof DeliveryFailed ? error : new DeliveryFailed(null, "delivery failed");
    const attempts = claimed.delivery.attempts + 1;
    const delaySeconds = attempts < MAX_ATTEMPTS ? RETRY_DELAYS_SECONDS[attempts - 1]! : null;
    const result = await repo.recordFailure(
      env.DB,
      claimed,
      {
        statusCode: failure.statusCode,
        error: failure.message,
        nextAttemptAt: delaySeconds === null ? null : now + delaySeconds * 1000,
        disableAfterMs: config.WEBHOOK_DISABLE_AFTER_SECONDS * 1000,
        emailIdBase: newId("eml", now),
      },
      now,
    );
    if (result.emails.length) await enqueueOutbox(env, result.emails);
    if (result.disabled) log.error("webhook_endpoint_disabled", { endpointId: endpoint.id });
    log.warn("webhook_delivery_failed", { attempts, status: failure.statusCode, reason: failure.message, dead: delaySeconds === null });
    return delaySeconds === null
      ? { kind: "dead", statusCode: failure.statusCode, reason: failure.message }
      : { kind: "retry", delaySeconds, statusCode: failure.statusCode };
  }
}
