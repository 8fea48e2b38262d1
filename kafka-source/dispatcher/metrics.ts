// The dispatcher's metrics and its tiny HTTP server: GET /metrics (Prometheus text), GET /healthz and
// GET /readyz (200 while it dispatches).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createDispatcherMetrics(registry: Registry, inFlight: () => number) {
  const registers = [registry];
  return {
    dispatched: new Counter({
      name: "kafka_source_events_dispatched_total",
      help: "Events the sink accepted (2xx)",
      registers,
    }),
    retried: new Counter({
      name: "kafka_source_events_retried_total",
      help: "Delivery retries (attempts after the first)",
      registers,
    }),
    deadLettered: new Counter({
      name: "kafka_source_events_dead_lettered_total",
      help: "Events sent to the dead-letter sink",
      registers,
    }),
    dropped: new Counter({
      name: "kafka_source_events_dropped_total",
      help: "Events that failed with no dead-letter sink configured (committed and lost, as in KafkaSource)",
      registers,
    }),
    latency: new Histogram({
      name: "kafka_source_delivery_duration_seconds",
      help: "Time from the first attempt to the final outcome of a delivery, retries included",
      labelNames: ["outcome"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    inFlight: new Gauge({
      name: "kafka_source_events_in_flight",
      help: "Deliveries under way",
      registers,
      collect() {
        this.set(inFlight());
      },
    }),
  };
}
export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

/** Serves /metrics, /healthz and /readyz on `port` (0 = any free port); resolves with the bound port. */
export async function serveStatus(registry: Registry, healthy: () => boolean, port: number) {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (req.method === "GET" && (path === "/healthz" || path === "/readyz")) {
      // /readyz as every component of the local system has it: the harness waits for it.
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ ok }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
