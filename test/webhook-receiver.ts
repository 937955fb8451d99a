/**
 * A webhook receiver for tests. It checks every request's Standard Webhooks signature with the
 * reference implementation (the `standardwebhooks` package), not with the app's own code, and
 * records what arrived. `routeFetchTo` points the Worker's outbound fetch at receivers by URL.
 */
import { Webhook } from "standardwebhooks";
import { vi } from "vitest";

export type Receipt = {
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  payload: { id: string; type: string; timestamp: string; data: Record<string, any> };
  /** Which of the receiver's secrets verified the signature. */
  verifiedBy: string[];
  redirect: RequestInit["redirect"];
};

export class TestReceiver {
  readonly receipts: Receipt[] = [];
  /** The status to answer for the n-th request (0-based); 200 unless told otherwise. */
  answer: (n: number) => number = () => 200;

  constructor(
    readonly url: string,
    public secrets: string[] = [],
  ) {}

  async handle(request: Request, init?: RequestInit): Promise<Response> {
    const body = await request.text();
    const headers = Object.fromEntries(request.headers.entries());
    const verifiedBy = this.secrets.filter((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    this.receipts.push({
      webhookId: headers["webhook-id"] ?? "",
      timestamp: headers["webhook-timestamp"] ?? "",
      signature: headers["webhook-signature"] ?? "",
      body,
      payload: JSON.parse(body),
      verifiedBy,
      redirect: init?.redirect,
    });
    const status = this.answer(this.receipts.length - 1);
    return new Response(status === 204 ? null : "ok", { status, headers: status >= 300 && status < 400 ? { Location: "http://127.0.0.1/internal" } : {} });
  }

  /** Receipts whose signature verified with `secret`. */
  verifiedWith(secret: string) {
    return this.receipts.filter((r) => r.verifiedBy.includes(secret));
  }

  ofType(type: string) {
    return this.receipts.filter((r) => r.payload.type === type);
  }
}

/** Sends the Worker's fetches for a receiver's URL to it; any other URL fails like an unreachable host. */
export function routeFetchTo(...receivers: TestReceiver[]) {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const receiver = receivers.find((r) => request.url.startsWith(r.url));
    if (!receiver) throw new TypeError(`fetch failed: no test receiver for ${request.url}`);
    return receiver.handle(request, init);
  });
}
