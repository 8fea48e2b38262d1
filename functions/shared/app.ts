// The Hono app every function starts from: request id, access log, HTTP metrics, secure headers,
// CORS, the error mapper (404, or 405 with Allow), /metrics, liveness and readiness.
import type { ServerResponse } from "node:http";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { Registry } from "prom-client";
import { notFound, onError } from "./errors.ts";
import type { Logger } from "./logging.ts";
import { allowHeaderOn } from "./methods.ts";
import { httpMetrics, metricsHandler } from "./metrics.ts";
import { traceRequests } from "./tracing.ts";

export interface BaseDeps {
  logger: Logger;
  registry: Registry;
  /** Origins allowed by CORS; none means no CORS headers at all. */
  corsOrigins?: string[];
  /** Readiness: false while starting or shutting down. */
  ready?: () => boolean;
}

/** The Hono environment of every function's app: the request id the middleware sets. */
export type AppEnv = { Variables: { requestId: string } };

export function createBaseApp({ logger, registry, corsOrigins = [], ready = () => true }: BaseDeps) {
  const app = new Hono<AppEnv>();
  // First, so that every log line of the request (the access log below included) has its trace_id.
  app.use(traceRequests());
  app.use(requestId());
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    const status = c.res.status;
    const line = { requestId: c.get("requestId"), method: c.req.method, path: c.req.path, status };
    const ms = Math.round((performance.now() - start) * 10) / 10;
    // A 503 on /readyz is the expected answer while a function starts or stops, not a failure.
    const probe = c.req.path === "/readyz" || c.req.path === "/livez";
    if (status >= 500 && !probe) logger.warn("request", { ...line, ms });
    else if (status >= 400 && !probe) logger.info("request", { ...line, ms });
    else logger.debug("request", { ...line, ms });
  });
  app.use(httpMetrics(registry));
  app.use(secureHeadersFor());
  // Routes are registered after this; it reads them when the first request finds none.
  app.use(allowHeaderOn(app));
  if (corsOrigins.length > 0) app.use(corsFor(corsOrigins));
  app.onError(onError(logger));
  app.notFound(notFound);
  app.get("/metrics", metricsHandler(registry));
  app.get("/livez", (c) => c.json({ status: "alive" }));
  app.get("/readyz", (c) => (ready() ? c.json({ status: "ready" }) : c.json({ status: "not ready" }, 503)));
  return app;
}

/**
 * Hono's requestId with its defaults (X-Request-Id kept when it is 1-255 of [A-Za-z0-9_=-], else a
 * random UUID; echoed in the response), the echo set with setResponseHeader. (Reading request
 * headers with `c.req.header()` is cheap: @hono/node-server 2 looks them up in Node's raw headers
 * without building Fetch `Headers`.)
 */
function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let id = c.req.header("X-Request-Id");
    if (!id || id.length > 255 || /[^\w\-=]/.test(id)) id = crypto.randomUUID();
    c.set("requestId", id);
    setResponseHeader(c, "X-Request-Id", id);
    await next();
  };
}

/**
 * A response header set before the handler. Served by @hono/node-server it goes on Node's response,
 * which merges it into the answer (`writeHead`): a header set through Hono makes it build undici's
 * Fetch `Headers` for the response, validating every name and value, and @hono/node-server copy them
 * back out, ~4% of persist's and buy's CPU (`npm run bench -- --cpu-prof`). A header the handler
 * sets under the same name takes precedence; none of these is set by a handler.
 */
function setResponseHeader(c: Context, name: string, value: string, append = false) {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) c.header(name, value, { append });
  else if (append) outgoing.appendHeader(name, value);
  else outgoing.setHeader(name, value);
}

/** The headers Hono's secureHeaders() sets with its defaults (a test checks they still agree). */
export const SECURE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

/** Hono's secureHeaders() (defaults), its headers set on Node's response when there is one. */
function secureHeadersFor(): MiddlewareHandler {
  const hono = secureHeaders();
  return async (c, next) => {
    if (!(c.env as { outgoing?: ServerResponse } | undefined)?.outgoing) return hono(c, next);
    for (const [name, value] of SECURE_HEADERS) setResponseHeader(c, name, value);
    await next();
  };
}

/**
 * Hono's cors, with simple (non-preflight) requests answered by hand: Hono's sets `Vary` after the
 * handler, and a header set on a finished response makes @hono/node-server rebuild it as a full
 * WHATWG Response with a body stream, ~14% of /buy's CPU (`npm run bench -- --only ingest
 * --cpu-prof`). Set before the handler, the same headers cost nothing extra.
 */
function corsFor(origins: string[]): MiddlewareHandler {
  // Authorization: the page on another origin sends its bearer token (issue 25).
  const preflight = cors({
    origin: origins,
    allowHeaders: ["Content-Type", "Idempotency-Key", "Authorization"],
    maxAge: 600,
  });
  return async (c, next) => {
    // A plain OPTIONS (no Access-Control-Request-Method) is not a preflight: Allow answers it.
    if (c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method"))
      return preflight(c, next);
    const origin = c.req.header("Origin");
    if (origin && origins.includes(origin)) setResponseHeader(c, "Access-Control-Allow-Origin", origin);
    setResponseHeader(c, "Vary", "Origin", true);
    await next();
  };
}
