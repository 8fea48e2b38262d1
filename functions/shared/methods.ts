// 405 Method Not Allowed with an Allow header (RFC 9110 §15.5.6) instead of a 404 when the path
// exists under another method, and OPTIONS answered with Allow (§9.3.7): Hono's
// methodNotAllowed middleware, which reads the app's registered routes, so it cannot disagree with
// them. We give it our JSON error body, and answer a plain OPTIONS (not a CORS preflight: those
// the CORS middleware answers first) with 204 and the same Allow.
import type { Hono, MiddlewareHandler } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AppEnv } from "./app.ts";
import { AppError, errorResponse } from "./errors.ts";

export function allowHeaderOn(app: Hono<AppEnv>): MiddlewareHandler<AppEnv> {
  return methodNotAllowed<AppEnv>({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = [...methods, "OPTIONS"].join(", ");
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
      const message = `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`;
      return errorResponse(c, new AppError("method_not_allowed", message, { headers: { Allow: allow } }));
    },
  });
}
