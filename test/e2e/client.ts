/**
 * The black-box suite talks to the server through the typed SDK (sdk/): a contract change that
 * breaks clients breaks these tests' typecheck (`tsc -p test/e2e`). `rawFetch` exists only for
 * requests no client can make (undocumented paths, malformed bodies).
 */
import { inject } from "vitest";
import { createEdgeshopClient, type Credentials, type EdgeshopClient } from "../../sdk";

export const baseUrl = () => inject("baseUrl");

/** A client, signed in when given credentials; `headers` go on every request (e.g. X-Region, Accept-Language). */
export function api(credentials: Credentials = {}, headers: Record<string, string> = {}): EdgeshopClient {
  return createEdgeshopClient(baseUrl(), credentials, { headers });
}

export function rawFetch(path: string, init?: RequestInit) {
  return fetch(`${baseUrl()}${path}`, init);
}

export const SEED_ADMIN = { email: "admin@edgeshop.local", password: "admin-dev-password" };
export const SEED_CUSTOMER = { email: "customer@edgeshop.local", password: "customer-dev-password" };

export async function login(credentials: { email: string; password: string }) {
  const { data, response } = await api().POST("/api/v1/auth/login", { body: credentials });
  if (!data) throw new Error(`login failed: ${response.status}`);
  return data;
}

let counter = 0;
export async function newCustomer(label = "shopper") {
  counter += 1;
  const email = `${label}-${Date.now()}-${counter}@e2e.test`;
  const { data, error, response } = await api().POST("/api/v1/auth/register", { body: { email, password: "e2e-password-1", name: label } });
  if (!data) throw new Error(`register failed: ${response.status} ${JSON.stringify(error)}`);
  return { email, token: data.accessToken, refreshToken: data.refreshToken, userId: data.user.id };
}

/** Polls `probe` until it answers true (or fails after `timeoutMs`). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 15_000, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
