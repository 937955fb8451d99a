/** A tiny HTTP client for the black-box suite: JSON in and out, nothing from the app's code. */
import { inject } from "vitest";

export type Reply = { status: number; headers: Headers; json: any };

export async function http(
  method: string,
  path: string,
  options: { body?: unknown; token?: string; apiKey?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.apiKey) headers["X-Api-Key"] = options.apiKey;
  const res = await fetch(`${inject("baseUrl")}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

export const SEED_ADMIN = { email: "admin@edgeshop.local", password: "admin-dev-password" };
export const SEED_CUSTOMER = { email: "customer@edgeshop.local", password: "customer-dev-password" };

export async function login(credentials: { email: string; password: string }) {
  const res = await http("POST", "/api/v1/auth/login", { body: credentials });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.json as { accessToken: string; refreshToken: string; user: { id: string } };
}

let counter = 0;
export async function newCustomer(label = "shopper") {
  counter += 1;
  const email = `${label}-${Date.now()}-${counter}@e2e.test`;
  const res = await http("POST", "/api/v1/auth/register", { body: { email, password: "e2e-password-1", name: label } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.json)}`);
  return { email, token: res.json.accessToken as string, refreshToken: res.json.refreshToken as string, userId: res.json.user.id as string };
}
