// The HTTPRoutes as a routing table, and where a request lands by Gateway API's matching rules
// (HTTPRouteRule precedence: an Exact path match wins, then the longest PathPrefix; PathPrefix
// matches whole path segments). Enough for these routes: no header, method or query matches.
import type { Obj } from "./manifests.ts";

export interface RouteRule {
  route: Obj;
  host: string;
  type: "Exact" | "PathPrefix";
  path: string;
  /** The backendRef (name and port) and the Host the URLRewrite filter sets, if any. */
  backend: { name: string; port: number | undefined };
  rewriteHost: string | undefined;
}

export function routingTable(routes: Obj[]): RouteRule[] {
  return routes.flatMap((route) =>
    (route.spec.hostnames as string[]).flatMap((host) =>
      (route.spec.rules as Obj[]).flatMap((rule) =>
        (rule.matches as Obj[]).map((m) => ({
          route,
          host,
          type: m.path.type,
          path: m.path.value,
          backend: { name: rule.backendRefs[0].name, port: rule.backendRefs[0].port },
          rewriteHost: (rule.filters ?? []).find((f: Obj) => f.type === "URLRewrite")?.urlRewrite?.hostname,
        })),
      ),
    ),
  );
}

const matches = (r: RouteRule, path: string) =>
  r.type === "Exact" ? r.path === path : path === r.path || path.startsWith(`${r.path.replace(/\/$/, "")}/`);

/** The rule a request for host + path reaches, or undefined (the Gateway answers 404). */
export function resolve(table: RouteRule[], host: string, path: string): RouteRule | undefined {
  const candidates = table.filter((r) => r.host === host && matches(r, path));
  candidates.sort(
    (a, b) => Number(b.type === "Exact") - Number(a.type === "Exact") || b.path.length - a.path.length,
  );
  return candidates[0];
}
