// The Hono app every function starts from: request id, access log, HTTP metrics, secure headers,
// CORS, the error mapper (404, or 405 with Allow), /metrics, liveness and readiness.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { Registry } from "prom-client";
import { notFound, onError } from "./errors.ts";
import type { Logger } from "./logging.ts";
import { answerOptions, methodNotAllowed } from "./methods.ts";
import { httpMetrics, metricsHandler } from "./metrics.ts";

export interface BaseDeps {
  logger: Logger;
  registry: Registry;
  /** Origins allowed by CORS; none means no CORS headers at all. */
  corsOrigins?: string[];
  /** Readiness: false while starting or shutting down. */
  ready?: () => boolean;
}

export type Env = { Variables: { requestId: string } };

export function createBaseApp({ logger, registry, corsOrigins = [], ready = () => true }: BaseDeps) {
  const app = new Hono<Env>();
  app.use(requestId());
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    const status = c.res.status;
    const line = { requestId: c.get("requestId"), method: c.req.method, path: c.req.path, status };
    const ms = Math.round((performance.now() - start) * 10) / 10;
    if (status >= 500) logger.warn("request", { ...line, ms });
    else if (status >= 400) logger.info("request", { ...line, ms });
    else logger.debug("request", { ...line, ms });
  });
  app.use(httpMetrics(registry));
  app.use(secureHeaders());
  app.use(answerOptions(() => app.routes));
  if (corsOrigins.length > 0) {
    app.use(cors({ origin: corsOrigins, allowHeaders: ["Content-Type", "Idempotency-Key"], maxAge: 600 }));
  }
  app.onError(onError(logger));
  // Routes are registered after this; the handler reads them when a request finds none.
  app.notFound((c) => methodNotAllowed(c, app.routes) ?? notFound(c));
  app.get("/metrics", metricsHandler(registry));
  app.get("/livez", (c) => c.json({ status: "alive" }));
  app.get("/readyz", (c) => (ready() ? c.json({ status: "ready" }) : c.json({ status: "not ready" }, 503)));
  return app;
}
