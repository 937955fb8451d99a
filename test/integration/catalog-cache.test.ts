import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isNewerBookmark, serveCached, TTL } from "../../src/modules/catalog/cache";
import { call } from "../helpers";
import { adminToken, createProduct } from "../factories/catalog";

describe("catalog caching", () => {
  it("serves a repeat read from memory with X-Cache, ETag and public Cache-Control", async () => {
    const product = await createProduct();
    const first = await call("GET", `/api/v1/store/products/${product.id}`);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    const second = await call("GET", `/api/v1/store/products/${product.id}`);
    expect(second.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(second.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(second.headers.get("Cache-Control")).toMatch(/^public, max-age=\d+/);
    expect(second.json).toEqual(first.json);
  });

  it("answers 304 to If-None-Match with the current ETag, and 200 once it changed", async () => {
    const product = await createProduct();
    const path = `/api/v1/store/products/${product.id}`;
    const etag = (await call("GET", path)).headers.get("ETag")!;
    const notModified = await call("GET", path, { headers: { "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe("");
    await call("PATCH", `/api/v1/admin/products/${product.id}`, { token: await adminToken(), headers: { "If-Match": '"1"' }, body: { title: "New title" } });
    const changed = await call("GET", path, { headers: { "If-None-Match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.json.title).toBe("New title");
  });

  it("shows an admin edit in the store within the local staleness bound (at once, same isolate)", async () => {
    const product = await createProduct({ variants: [{ price: 1000 }] });
    const listPath = `/api/v1/store/products?q=${encodeURIComponent(product.slug.split("-").at(-1)!)}`;
    await call("GET", `/api/v1/store/products/${product.slug}`);
    await call("GET", listPath);
    expect((await call("GET", `/api/v1/store/products/${product.slug}`)).headers.get("X-Cache")).toBe("HIT-MEMORY");
    const token = await adminToken();
    const edited = Date.now();
    await call("PATCH", `/api/v1/admin/variants/${product.variants[0].id}`, { token, headers: { "If-Match": '"1"' }, body: { price: 4242 } });
    const detail = await call("GET", `/api/v1/store/products/${product.slug}`);
    const listed = await call("GET", listPath);
    expect(Date.now() - edited).toBeLessThan(TTL.generationMemoMs);
    expect(detail.json.priceRange.min.amount).toBe(4242);
    expect(listed.json.data[0].priceRange.min.amount).toBe(4242);
  });

  it("serves from KV when the isolate's memory does not have the page", async () => {
    const product = await createProduct();
    await call("GET", `/api/v1/store/products/${product.id}`);
    // A new isolate has an empty LRU but the same generation: simulate by reading KV's key directly.
    const gen = await env.CACHE.get<{ g: string }>("catalog:gen", "json");
    // Keys carry the market: the implicit default region (no regions configured here) and English.
    const stored = await env.CACHE.getWithMetadata(`cat:${gen!.g}:m:default:USD:en:detail:${product.id}`);
    expect(JSON.parse(stored.value as string).id).toBe(product.id);
    expect(stored.metadata).toMatchObject({ etag: expect.any(String) });
  });

  it("a soft delete drops the product's detail keys and the product from lists at once", async () => {
    const product = await createProduct();
    await call("GET", `/api/v1/store/products/${product.id}`);
    const before = await env.CACHE.get<{ g: string }>("catalog:gen", "json");
    await call("DELETE", `/api/v1/admin/products/${product.id}`, { token: await adminToken() });
    expect(await env.CACHE.get(`cat:${before!.g}:detail:${product.id}`)).toBeNull();
    const after = await env.CACHE.get<{ g: string }>("catalog:gen", "json");
    expect(after!.g).not.toBe(before!.g);
    expect((await call("GET", `/api/v1/store/products/${product.id}`)).status).toBe(404);
  });

  it("answers admin writes with X-D1-Bookmark, and a read carrying it sees the write and keeps the bookmark", async () => {
    const product = await createProduct();
    const token = await adminToken();
    const read = await call("GET", `/api/v1/admin/products/${product.id}`, { token });
    expect(read.headers.get("X-D1-Bookmark")).toBeNull();
    const written = await call("PATCH", `/api/v1/admin/products/${product.id}`, { token, headers: { "If-Match": '"1"' }, body: { title: "Bookmarked" } });
    const mark = written.headers.get("X-D1-Bookmark");
    expect(mark).toMatch(/^[0-9a-f-]+$/);
    const store = await call("GET", `/api/v1/store/products/${product.id}`, { headers: { "X-D1-Bookmark": mark! } });
    expect(store.json.title).toBe("Bookmarked");
    expect(store.headers.get("X-D1-Bookmark")).toBe(mark);
  });
});

describe("read-your-writes with X-D1-Bookmark", () => {
  it("reads D1 directly when the client's bookmark is newer than anything the cache was filled at", async () => {
    const product = await createProduct();
    const path = `/api/v1/store/products/${product.id}`;
    await call("GET", path);
    expect((await call("GET", path)).headers.get("X-Cache")).toBe("HIT-MEMORY");
    // A write the cache never heard of (as if another service wrote it), with its bookmark.
    const session = env.DB.withSession("first-primary");
    await session.prepare("UPDATE products SET title = 'Written elsewhere' WHERE id = ?").bind(product.id).run();
    const mark = session.getBookmark()!;
    const cached = await call("GET", path);
    expect(cached.json.title).not.toBe("Written elsewhere");
    const fresh = await call("GET", path, { headers: { "X-D1-Bookmark": mark } });
    expect(fresh.headers.get("X-Cache")).toBe("MISS");
    expect(fresh.json.title).toBe("Written elsewhere");
  });
});

describe("isNewerBookmark", () => {
  it("orders fixed-width bookmarks and treats unknown ones as newer", () => {
    expect(isNewerBookmark("00000002-0000", "00000001-ffff")).toBe(true);
    expect(isNewerBookmark("00000001-0000", "00000001-0000")).toBe(false);
    expect(isNewerBookmark("x", null)).toBe(true);
  });
});

describe("serveCached", () => {
  const collect = () => {
    const pending: Promise<unknown>[] = [];
    return { pending, waitUntil: (p: Promise<unknown>) => void pending.push(p) };
  };

  it("serves a stale memory entry at once and refreshes it once in the background", async () => {
    const testEnv = { ...env } as Env;
    let loads = 0;
    const load = async () => ({ n: ++loads });
    const bg = collect();
    const t0 = Date.now();
    expect((await serveCached({ env: testEnv, waitUntil: bg.waitUntil, now: t0 }, "swr", load)).status).toBe("MISS");
    const staleAt = t0 + TTL.memoryFreshMs * 1.2 + 1_000;
    const stale = await Promise.all([1, 2, 3].map(() => serveCached({ env: testEnv, waitUntil: bg.waitUntil, now: staleAt }, "swr", load)));
    // All three are answered from memory without waiting on D1; the first gets the stale page,
    // the others the stale or already refreshed one, and only one refresh runs.
    expect(stale.map((a) => a.status)).toEqual(["HIT-MEMORY", "HIT-MEMORY", "HIT-MEMORY"]);
    expect(stale[0]!.body).toBe('{"n":1}');
    for (const answer of stale) expect(['{"n":1}', '{"n":2}']).toContain(answer.body);
    await Promise.all(bg.pending);
    expect(loads).toBe(2);
    const fresh = await serveCached({ env: testEnv, waitUntil: bg.waitUntil }, "swr", load);
    expect(fresh.body).toBe('{"n":2}');
  });

  it("follows CACHE_MODE: none always loads, kv skips memory, memory skips KV", async () => {
    const bg = collect();
    let loads = 0;
    const load = async () => ({ n: ++loads });
    const none = { ...env, CACHE_MODE: "none" } as Env;
    await serveCached({ env: none, waitUntil: bg.waitUntil }, "mode", load);
    expect((await serveCached({ env: none, waitUntil: bg.waitUntil }, "mode", load)).status).toBe("MISS");
    const kv = { ...env, CACHE_MODE: "kv" } as Env;
    await serveCached({ env: kv, waitUntil: bg.waitUntil }, "mode-kv", load);
    await Promise.all(bg.pending);
    expect((await serveCached({ env: kv, waitUntil: bg.waitUntil }, "mode-kv", load)).status).toBe("HIT-KV");
    const memory = { ...env, CACHE_MODE: "memory" } as Env;
    await serveCached({ env: memory, waitUntil: bg.waitUntil }, "mode-mem", load);
    expect((await serveCached({ env: memory, waitUntil: bg.waitUntil }, "mode-mem", load)).status).toBe("HIT-MEMORY");
    const gen = await env.CACHE.get<{ g: string }>("catalog:gen", "json");
    expect(await env.CACHE.get(`cat:${gen?.g ?? "0"}:mode-mem`)).toBeNull();
  });
});
