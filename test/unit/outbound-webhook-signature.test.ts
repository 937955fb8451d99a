/**
 * Outbound webhook signatures are the Standard Webhooks scheme: checked against the spec's own
 * example and against the reference library, including two signatures during a secret rotation.
 */
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders, signPayload } from "../../src/modules/webhooks/signature";

describe("Standard Webhooks signing", () => {
  it("matches the example in the Standard Webhooks specification", async () => {
    const signature = await signPayload("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("makes whsec_ secrets of 32 random bytes, never the same twice", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it("verifies with the reference library for any id and body", async () => {
    const secret = newWebhookSecret();
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^evt_[A-Z0-9]{1,26}$/), fc.jsonValue(), async (id, value) => {
        const body = JSON.stringify({ id, data: value });
        const headers = await signedHeaders([secret], id, Math.floor(Date.now() / 1000), body);
        expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
      }),
      { numRuns: 50 },
    );
  });

  it("carries one signature per secret during a rotation, each verifiable on its own", async () => {
    const [current, previous, stranger] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const body = '{"id":"evt_1","type":"ping","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    const headers = await signedHeaders([current, previous], "evt_1", Math.floor(Date.now() / 1000), body);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body.replace("ping", "pong"), headers)).toThrow();
  });
});
