/**
 * The read lane (src/http/read-lane.ts) answers repeated cached catalog reads before the router.
 * A shopper must not be able to tell: same status, body and headers as the app's own answer, one
 * log line each, the limiter still counting, and nothing served past an edit or instead of a 304.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readLaneAnswers } from "../../src/http/read-lane";
import { adminToken, createProduct } from "../factories/catalog";
import { callWith, expectErrorEnvelope } from "../helpers";

/** One env object stands for one isolate: the catalog cache and the lane are kept per env. */
const isolate = (vars: Record<string, string> = {}) => ({ ...env, RATE_LIMIT_MULTIPLIER: "1", RATE_LIMIT_TIMEOUT_MS: "5000", ...vars }) as Env;
const ip = { "CF-Connecting-IP": "192.0.2.44" };
const remaining = (header: string | null) => Number(/;r=(\d+);/.exec(header ?? "")?.[1]);

afterEach(() => vi.restoreAllMocks());

describe("read lane", () => {
  it("answers a repeated cached read with the app's status, body and headers, its own request id, one log line and one limiter count", async () => {
    const product = await createProduct();
    const shop = isolate();
    const path = `/api/v1/store/products/${product.slug}`;
    const headers = { ...ip, Origin: "https://shop.example", "Accept-Language": "de" };
    expect((await callWith(shop, "GET", path, { headers })).headers.get("X-Cache")).toBe("MISS");
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(JSON.parse(line)));
    const byApp = await callWith(shop, "GET", path, { headers });
    expect(readLaneAnswers(shop)).toBe(0);
    const byLane = await callWith(shop, "GET", path, { headers: { ...headers, "X-Request-Id": "lane-req-1" } });
    expect(readLaneAnswers(shop)).toBe(1);

    expect(byLane.status).toBe(200);
    expect(byLane.text).toBe(byApp.text);
    const perRequest = new Set(["x-request-id", "ratelimit"]);
    const rest = (h: Headers) => [...h].filter(([name]) => !perRequest.has(name));
    expect(rest(byLane.headers)).toEqual(rest(byApp.headers));
    expect(byLane.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(byLane.headers.get("X-Request-Id")).toBe("lane-req-1");
    expect(remaining(byLane.headers.get("RateLimit"))).toBe(remaining(byApp.headers.get("RateLimit")) - 1);

    const requests = lines.filter((line) => line.event === "request");
    expect(requests).toHaveLength(2);
    const [appLine, laneLine] = requests as [Record<string, unknown>, Record<string, unknown>];
    expect(laneLine.requestId).toBe("lane-req-1");
    const shape = ({ requestId: _id, ts: _ts, ms: _ms, ...fields }: Record<string, unknown>) => fields;
    expect(shape(laneLine)).toEqual(shape(appLine));
    expect(laneLine).toMatchObject({ route: "/api/v1/store/products/:idOrSlug", status: 200, cache: "HIT-MEMORY" });
  });

  it("leaves conditional, read-your-writes and other requests to the app, and never serves a page past an admin edit", async () => {
    const product = await createProduct();
    const shop = isolate();
    const path = `/api/v1/store/products/${product.id}`;
    await callWith(shop, "GET", path, { headers: ip });
    const recorded = await callWith(shop, "GET", path, { headers: ip });
    const etag = recorded.headers.get("ETag")!;

    const notModified = await callWith(shop, "GET", path, { headers: { ...ip, "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    await callWith(shop, "GET", path, { headers: { ...ip, "X-D1-Bookmark": "00000000-00000000-00000000-00000000" } });
    await callWith(shop, "GET", `${path}/reviews`, { headers: ip });
    expect(readLaneAnswers(shop)).toBe(0);

    expect((await callWith(shop, "GET", path, { headers: ip })).json.title).toBe(product.title);
    expect(readLaneAnswers(shop)).toBe(1);
    const edit = await callWith(shop, "PATCH", `/api/v1/admin/products/${product.id}`, { token: await adminToken(), headers: { "If-Match": '"1"' }, body: { title: "Edited in the lane test" } });
    expect(edit.status).toBe(200);
    const after = await callWith(shop, "GET", path, { headers: ip });
    expect(after.json.title).toBe("Edited in the lane test");
    expect(after.headers.get("ETag")).not.toBe(etag);
    expect(readLaneAnswers(shop)).toBe(1);
  });

  it("counts lane answers against the caller's limit: one address gets at most its policy's requests, then 429", async () => {
    const product = await createProduct();
    const shop = isolate({ RATE_LIMIT_STORE_READ: "60/60" });
    const headers = { "CF-Connecting-IP": "192.0.2.45" };
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof callWith>> | undefined;
    for (let i = 0; i < 70; i++) {
      const res = await callWith(shop, "GET", `/api/v1/store/products/${product.id}`, { headers });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    const admitted = statuses.filter((s) => s === 200).length;
    // Leases never admit more than the limit; a lease that lapses unspent can only admit fewer.
    expect(admitted).toBeLessThanOrEqual(60);
    expect(admitted).toBeGreaterThanOrEqual(57);
    expect(readLaneAnswers(shop)).toBeGreaterThan(30);
    expectErrorEnvelope(limited!, "RATE_LIMITED");
  });
});
