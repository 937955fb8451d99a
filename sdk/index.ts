/**
 * The typed Edgeshop client: openapi-fetch over the types openapi-typescript generated from
 * /openapi.json (sdk/schema.d.ts). Paths, parameters, bodies and answers are all checked by
 * TypeScript; a contract change that breaks clients breaks the build of whoever uses this.
 *
 *   const shop = createEdgeshopClient("http://localhost:8787");
 *   const { data } = await shop.GET("/api/v1/store/products/{idOrSlug}", { params: { path: { idOrSlug: "linen-shirt" } } });
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths, webhooks } from "./schema";

export type { components, paths, webhooks };
export type EdgeshopClient = Client<paths>;
export type Schemas = components["schemas"];

export type Credentials = { token?: string; apiKey?: string };

/** A client for the Edgeshop API at `baseUrl`, signed in with a Bearer token or an admin API key when given. */
export function createEdgeshopClient(baseUrl: string, credentials: Credentials = {}, options: Omit<ClientOptions, "baseUrl"> = {}): EdgeshopClient {
  const headers: Record<string, string> = {};
  if (credentials.token) headers.Authorization = `Bearer ${credentials.token}`;
  if (credentials.apiKey) headers["X-Api-Key"] = credentials.apiKey;
  return createClient<paths>({ ...options, baseUrl, headers: { ...headers, ...(options.headers as Record<string, string> | undefined) } });
}
