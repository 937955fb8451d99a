/** Shared test factories: talk to the Worker through SELF, and make users the way the app does. */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { hashPassword } from "../src/modules/auth/passwords";
import { newId } from "../src/lib/ids";

export const BASE = "https://edgeshop.test";

export type CallOptions = { body?: unknown; token?: string; apiKey?: string; headers?: Record<string, string> };

function requestInit(method: string, options: CallOptions): RequestInit {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.apiKey) headers["X-Api-Key"] = options.apiKey;
  return { method, headers, body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body) };
}

/**
 * Calls the Worker's own fetch handler with another env (other vars, or bindings wrapped to
 * inject faults): the same code SELF runs, configured differently.
 */
export async function callWith(workerEnv: Env, method: string, path: string, options: CallOptions = {}, onAnswer?: () => void) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}${path}`, requestInit(method, options)), workerEnv, ctx);
  const text = await response.text();
  // The caller may look at what happened before the answer, apart from what waitUntil runs after it.
  onAnswer?.();
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, json: parseJson(text), text };
}

function parseJson(text: string): any {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export async function call(method: string, path: string, options: CallOptions = {}) {
  const response = await SELF.fetch(`${BASE}${path}`, requestInit(method, options));
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: parseJson(text), text };
}

let counter = 0;
export function uniqueEmail(label = "user") {
  counter += 1;
  return `${label}-${Date.now()}-${counter}@example.test`;
}

export async function registerCustomer(label = "customer") {
  const email = uniqueEmail(label);
  const password = "correct horse battery";
  const res = await call("POST", "/api/v1/auth/register", { body: { email, password, name: "Test Customer" } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { email, password, userId: res.json.user.id as string, token: res.json.accessToken as string, refreshToken: res.json.refreshToken as string };
}

/** Admins are never created over HTTP (register makes customers), so tests insert one. */
export async function createAdmin() {
  const email = uniqueEmail("admin");
  const password = "admin-test-password";
  const now = Date.now();
  const id = newId("usr", now);
  await env.DB.prepare(
    "INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, ?, ?, 'ADMIN', 0, ?, ?)",
  )
    .bind(id, email, await hashPassword(password), "Test Admin", now, now)
    .run();
  const res = await call("POST", "/api/v1/auth/login", { body: { email, password } });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
  return { email, password, userId: id, token: res.json.accessToken as string };
}

export function expectErrorEnvelope(res: { json: any; headers: Headers }, code: string) {
  if (res.json?.error?.code !== code) {
    throw new Error(`expected error ${code}, got ${JSON.stringify(res.json)}`);
  }
  const { requestId, timestamp, message } = res.json.error;
  if (typeof requestId !== "string" || typeof timestamp !== "string" || typeof message !== "string") {
    throw new Error(`error envelope incomplete: ${JSON.stringify(res.json)}`);
  }
  if (res.headers.get("X-Request-Id") !== requestId) throw new Error("X-Request-Id header differs from the envelope");
}

/** POST /graphql (or GET with `method: "GET"`): the answer with `json.data` / `json.errors`. */
export async function graphql(
  query: string,
  options: { variables?: Record<string, unknown>; token?: string; headers?: Record<string, string>; method?: "GET" | "POST"; operationName?: string } = {},
) {
  if (options.method === "GET") {
    const params = new URLSearchParams({ query });
    if (options.variables) params.set("variables", JSON.stringify(options.variables));
    if (options.operationName) params.set("operationName", options.operationName);
    return call("GET", `/graphql?${params}`, { token: options.token, headers: options.headers });
  }
  return call("POST", "/graphql", {
    token: options.token,
    headers: options.headers,
    body: { query, variables: options.variables, operationName: options.operationName },
  });
}

/** The error codes of a GraphQL answer, in order. */
export const errorCodes = (res: { json: any }): string[] => (res.json?.errors ?? []).map((e: any) => e.extensions?.code);
