/**
 * The committed SDK is the running server's contract: sdk/openapi.json is what the dev server
 * serves, and sdk/schema.d.ts is what openapi-typescript makes of it. Fix: `npm run sdk:generate`.
 */
import { readFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import { rawFetch } from "./client";

describe("the typed SDK (black box)", () => {
  it("was generated from the document the running server serves", async () => {
    const served = await (await rawFetch("/openapi.json")).json();
    expect(JSON.parse(readFileSync("sdk/openapi.json", "utf8"))).toEqual(served);
    const types = readFileSync("sdk/schema.d.ts", "utf8");
    expect(types.endsWith(astToString(await openapiTS(served as never)))).toBe(true);
  });
});
