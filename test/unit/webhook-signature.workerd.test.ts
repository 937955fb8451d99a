import { describe, expect, it } from "vitest";
import { parseSignatureHeader, signPayload, verifySignature } from "../../src/modules/payments/signature";

const secret = "whsec_unit";
const body = '{"id":"evt_1"}';

describe("webhook signatures", () => {
  it("accepts a fresh signature among several v1 values", async () => {
    const t = 1_730_000_000;
    const good = await signPayload(secret, t, body);
    const header = `t=${t},v1=${"0".repeat(64)},v1=${good}`;
    expect(await verifySignature(secret, header, body, t * 1000 + 10_000)).toBe("ok");
  });

  it("refuses a changed body, a stale timestamp and a malformed header", async () => {
    const t = 1_730_000_000;
    const header = `t=${t},v1=${await signPayload(secret, t, body)}`;
    expect(await verifySignature(secret, header, '{"id":"evt_2"}', t * 1000)).toBe("mismatch");
    expect(await verifySignature(secret, header, body, (t + 301) * 1000)).toBe("stale");
    expect(await verifySignature(secret, "garbage", body, t * 1000)).toBe("malformed");
    expect(await verifySignature(secret, undefined, body, t * 1000)).toBe("malformed");
    expect(parseSignatureHeader("t=abc,v1=zz")).toBeNull();
  });
});
