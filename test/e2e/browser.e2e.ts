/**
 * The human-facing pages render in a real browser with no network but the dev server: headless
 * Chromium (Debian's package, driven by playwright-core) loads /docs and the GraphQL explorer while
 * every request to another origin is refused and recorded. Skipped — loudly, in `npm test`'s
 * summary — only where Chromium is missing and cannot be installed (test/e2e/chromium.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { baseUrl, rawFetch } from "./client";

const executablePath = inject("chromiumPath");

// The flags that keep Chromium from calling home: updates, sync, first-run pages, GPU probing.
const QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

type Visit = { page: Page; offOrigin: string[]; problems: string[] };

describe.skipIf(!executablePath)("the docs pages in headless Chromium, offline", () => {
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "edgeshop-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: QUIET_FLAGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** Opens a page with every request off the dev server's origin refused, and console errors kept. */
  async function visit(path: string): Promise<Visit> {
    const origin = new URL(baseUrl()).origin;
    const page = await browser.newPage();
    const offOrigin: string[] = [];
    const problems: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("data:") || new URL(url).origin === origin) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${baseUrl()}${path}`);
    return { page, offOrigin, problems };
  }

  it("renders every operation of /openapi.json at /docs (Swagger UI from the server's static assets)", async () => {
    const document = (await (await rawFetch("/openapi.json")).json()) as { info: { title: string }; paths: Record<string, Record<string, unknown>> };
    const methods = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((key) => methods.has(key)).map((method) => `${method.toUpperCase()} ${path}`));

    const { page, offOrigin, problems } = await visit("/docs");
    // One block per operation and tag; a path's raw form is in data-path (the text has break hints).
    const rendered = () =>
      page.$$eval(".opblock", (blocks) =>
        blocks.map((block) => `${block.querySelector(".opblock-summary-method")?.textContent ?? ""} ${block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? ""}`),
      );
    // Swagger UI renders only the tags near the viewport: scroll through the page (from the top
    // again once at the bottom) and collect every operation that has been on screen.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          for (const operation of await rendered()) seen.add(operation);
          await page.evaluate(() => window.scrollTo(0, window.scrollY + window.innerHeight >= window.document.body.scrollHeight - 2 ? 0 : window.scrollY + window.innerHeight / 2));
          return operations.filter((operation) => !seen.has(operation));
        },
        { timeout: 60_000, interval: 100 },
      )
      .toEqual([]);
    expect(await page.locator(".info .title").innerText()).toContain(document.info.title);
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it("renders the GraphQL explorer at /graphql and runs its example query against the seeded shop", async () => {
    const { page, offOrigin, problems } = await visit("/graphql");
    await expect.poll(() => page.locator("#sdl").innerText()).toContain("type Query");
    await page.locator("#run").click();
    await expect.poll(() => page.locator("#status").innerText(), { timeout: 30_000 }).toMatch(/^200 /);
    const answer = JSON.parse(await page.locator("#result").innerText()) as { data?: { products?: { edges: unknown[] } }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.products?.edges.length).toBeGreaterThan(0);
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
