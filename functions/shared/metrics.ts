// A prom-client registry per function, labelled as Knative labels its revisions, and the HTTP
// middleware that emits exactly http_requests_total and http_request_duration_seconds.
import type { Handler, MiddlewareHandler } from "hono";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface MetricsOptions {
  service: string;
  revision?: string | undefined;
  defaultMetrics?: boolean;
}

export function createRegistry({ service, revision, defaultMetrics = true }: MetricsOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(revision ? { service, revision } : { service });
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges *_total, which promtool rejects (a _total suffix promises a
    // counter). The same numbers stay available, split by type, as nodejs_active_{handles,...}.
    for (const name of [
      "nodejs_active_handles_total",
      "nodejs_active_requests_total",
      "nodejs_active_resources_total",
    ]) {
      registry.removeSingleMetric(name);
    }
  }
  return registry;
}

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** Counts and times every request by method, route pattern (never the raw path) and status class. */
export function httpMetrics(registry: Registry): MiddlewareHandler {
  const labelNames = ["method", "handler", "status"] as const;
  const requests = new Counter({
    name: "http_requests_total",
    help: "Total number of HTTP requests",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration in seconds",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return async (c, next) => {
    const start = performance.now();
    await next();
    // After next(), routePath is the pattern of the last matched handler; unmatched paths fall
    // back to this middleware's own pattern ("/*"), so label values stay bounded.
    const labels = { method: c.req.method, handler: c.req.routePath, status: statusClass(c.res.status) };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - start) / 1000);
  };
}

/** GET /metrics handler: the registry in the Prometheus text format. */
export function metricsHandler(registry: Registry): Handler {
  return async (c) => c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
}
