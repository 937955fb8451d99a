/**
 * 405 for a known path asked with a method it does not have, with the `Allow` header listing the
 * methods it does have (RFC 9110 §15.5.6); unknown paths stay 404. Built from the app's route table.
 */
type Route = { method: string; path: string };
export type AllowedMethods = (path: string) => string[];

function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/** The methods each concrete path answers (GET implies HEAD); middleware-only entries do not count. */
export function allowedMethodsOf(routes: Route[]): AllowedMethods {
  const table = routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, pattern: patternOf(r.path) }));
  return (path) => {
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
