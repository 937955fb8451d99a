/**
 * Email providers behind one interface. `local` records the message in the isolate and logs
 * that it did (never the address); `http` posts to a Resend-style REST API. Both receive the
 * outbox row id as the idempotency key, so a provider that dedupes never sends twice.
 */
import type { Config } from "../../env";
import type { RenderedEmail } from "./templates";

export type OutgoingEmail = RenderedEmail & { to: string; from: string; idempotencyKey: string };
export type EmailProvider = { name: string; send(email: OutgoingEmail): Promise<{ providerMessageId: string }> };

/** Messages the local provider "sent", newest last; bounded so a dev server never grows without end. */
export const localOutbox: Array<OutgoingEmail & { sentAt: number }> = [];
const LOCAL_OUTBOX_LIMIT = 500;

export const localEmailProvider: EmailProvider = {
  name: "local",
  async send(email) {
    localOutbox.push({ ...email, sentAt: Date.now() });
    if (localOutbox.length > LOCAL_OUTBOX_LIMIT) localOutbox.shift();
    console.log(JSON.stringify({ level: "info", event: "email_recorded", provider: "local", idempotencyKey: email.idempotencyKey, subject: email.subject }));
    return { providerMessageId: `local_${email.idempotencyKey}` };
  },
};

export class ProviderError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "ProviderError";
  }
}

const RETRYABLE_STATUS = new Set([401, 403, 408, 429]);

export function httpEmailProvider(config: Pick<Config, "EMAIL_API_URL" | "EMAIL_API_KEY">): EmailProvider {
  const url = config.EMAIL_API_URL ?? "https://api.resend.com/emails";
  return {
    name: "http",
    async send(email) {
      // Our configuration, not this email, is at fault: retry, so mail flows once it is fixed.
      if (!config.EMAIL_API_KEY) throw new ProviderError("EMAIL_API_KEY is not set", true);
      const response = await fetch(url, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${config.EMAIL_API_KEY}`,
          "Content-Type": "application/json",
          "Idempotency-Key": email.idempotencyKey,
        },
        body: JSON.stringify({ from: email.from, to: [email.to], subject: email.subject, text: email.text, html: email.html }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        // A refusal of this email (400, 404, 422 …) will not get better by retrying: the outbox
        // ends it dead at once. Throttling (429), timeouts (408), server errors and our own
        // credentials (401, 403: a key being rotated) are about the moment, not the email.
        const retryable = RETRYABLE_STATUS.has(response.status) || response.status >= 500;
        throw new ProviderError(`provider answered ${response.status}`, retryable);
      }
      const body = (await response.json().catch(() => ({}))) as { id?: string };
      return { providerMessageId: body.id ?? email.idempotencyKey };
    },
  };
}

/** Which provider to use; tests replace `emailProviderOverride` to inject failures. */
export const emailProviderOverride: { provider: EmailProvider | null } = { provider: null };

export function getEmailProvider(config: Config): EmailProvider {
  if (emailProviderOverride.provider) return emailProviderOverride.provider;
  return config.EMAIL_PROVIDER === "http" ? httpEmailProvider(config) : localEmailProvider;
}
