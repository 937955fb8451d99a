/** Admin areas an API key can be scoped to; `<area>:read` covers GET/HEAD, `<area>:write` the rest. */
export const SCOPE_AREAS = [
  "catalog",
  "inventory",
  "orders",
  "pricing",
  "promotions",
  "reviews",
  "emails",
  "analytics",
  "api-keys",
  "queues",
  "webhooks",
  "markets",
  "gift-cards",
] as const;
export type ScopeArea = (typeof SCOPE_AREAS)[number];
export const ALL_SCOPES = SCOPE_AREAS.flatMap((area) => [`${area}:read`, `${area}:write`]);

export function scopeFor(area: ScopeArea, method: string): string {
  return method === "GET" || method === "HEAD" ? `${area}:read` : `${area}:write`;
}

/** A write scope implies the read scope of the same area. */
export function scopesAllow(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes(needed)) return true;
  const [area, action] = needed.split(":");
  return action === "read" && scopes.includes(`${area}:write`);
}
