// 405 Method Not Allowed with an Allow header (RFC 9110 §15.5.6) instead of a 404 when the path
// exists under another method, and OPTIONS answered with Allow (§9.3.7). Read from the app's
// registered routes, so it cannot disagree with them.
import type { Context, MiddlewareHandler } from "hono";
import { AppError, errorResponse, notFound } from "./errors.ts";

interface Route {
  method: string;
  path: string;
}

const patterns = new Map<string, RegExp>();

/** Hono's `/a/:id/*` as a regular expression over the request path. */
function patternOf(path: string) {
  let re = patterns.get(path);
  if (!re) {
    const body = path
      .split("/")
      .map((part) =>
        part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    re = new RegExp(`^${body}$`);
    patterns.set(path, re);
  }
  return re;
}

/** The methods some route answers at `path` (GET implies HEAD); middleware (ALL) does not count. */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) if (r.method !== "ALL" && patternOf(r.path).test(path)) methods.add(r.method);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods];
}

const allowHeader = (allowed: string[]) => [...allowed, "OPTIONS"].join(", ");

/**
 * OPTIONS that is not a CORS preflight (no Access-Control-Request-Method): 204 with Allow where a
 * route exists, else 404. Preflights go on to the CORS middleware.
 */
export function answerOptions(routes: () => readonly Route[]): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "OPTIONS" || c.req.header("Access-Control-Request-Method")) return next();
    const allowed = allowedMethods(routes(), c.req.path);
    if (allowed.length === 0) return notFound(c);
    return c.body(null, 204, { Allow: allowHeader(allowed) });
  };
}

/** For the not-found handler: a 405 with Allow when the path exists under other methods. */
export function methodNotAllowed(c: Context, routes: readonly Route[]): Response | undefined {
  const allowed = allowedMethods(routes, c.req.path);
  // A route for this very method exists but passed the request on (e.g. static files): not a 405.
  if (allowed.length === 0 || allowed.includes(c.req.method)) return undefined;
  const allow = allowHeader(allowed);
  const message = `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`;
  return errorResponse(c, new AppError("method_not_allowed", message, { headers: { Allow: allow } }));
}
