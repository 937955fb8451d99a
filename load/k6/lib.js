// Shared helpers for the k6 scripts (k6 runtime, not Node). BASE_URL points at a deployment.
import http from "k6/http";
import { check } from "k6";

export const BASE_URL = __ENV.BASE_URL || "http://localhost:8787";
const JSON_HEADERS = { "Content-Type": "application/json" };

export function json(method, path, body, token, extraHeaders = {}) {
  const headers = { ...JSON_HEADERS, ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = http.request(method, `${BASE_URL}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers,
    tags: { name: `${method} ${path.replace(/\/(prod|var|chk|ord|item)_[A-Z0-9]+/g, "/:id").split("?")[0]}` },
  });
  return res;
}

export function registerShopper(prefix) {
  const email = `${prefix}-${__VU}-${__ITER}-${Date.now()}@k6.test`;
  const res = json("POST", "/api/v1/auth/register", { email, password: "k6-password-123", name: "k6 shopper" });
  check(res, { "registered": (r) => r.status === 201 });
  return res.status === 201 ? res.json("accessToken") : null;
}

export function productPage(limit = 20) {
  const res = json("GET", `/api/v1/store/products?limit=${limit}`);
  check(res, { "list 200": (r) => r.status === 200 });
  return res.status === 200 ? res.json("data") : [];
}

export function uuid() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${__VU}-${__ITER}`;
}
