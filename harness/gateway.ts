// Local stand-in for the cluster's Gateway (knative/base/http-routes.yaml): routes the public API paths
// on one port to the functions, so the web page and curl see what they see behind api.localhost.
// /metrics and the management API are not routed, as in the cluster.
import { type HttpBindings, serve } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { type Context, Hono } from "hono";
import * as v from "valibot";
import { fields, kinds, parseEnv } from "../functions/shared/config.ts";
import { AppError, Errors, errorResponse, notFound } from "../functions/shared/errors.ts";
import { announceListening } from "../functions/shared/listening.ts";
import { createBreaker } from "./breaker.ts";
import { createUpstreamAgent, type ForwardError, forward, readBody, warm } from "./forward.ts";

// Like an ingress's proxy-body-size: larger bodies are refused here with a clean 413 instead of
// being streamed to a function that would answer 413 and reset the connection mid-upload.
const MAX_BODY_BYTES = 64 * 1024;

export interface Routes {
  buy: string;
  items: string;
  userPurchases: string;
}

/**
 * The HTTPRoutes' rules for api.localhost (knative/base/http-routes.yaml), as Gateway API path
 * matches; test/deploy/routes.unit.test.ts fails when the two differ.
 */
export const PUBLIC_ROUTES: readonly { type: "Exact" | "PathPrefix"; path: string; to: keyof Routes }[] = [
  { type: "Exact", path: "/buy", to: "buy" },
  { type: "Exact", path: "/health", to: "buy" },
  { type: "Exact", path: "/", to: "buy" },
  { type: "Exact", path: "/openapi.json", to: "buy" },
  { type: "Exact", path: "/docs", to: "buy" },
  { type: "Exact", path: "/items", to: "items" },
  { type: "PathPrefix", path: "/getAllUserBuys", to: "userPurchases" },
];

/** knative/base/services/*.yaml: containerConcurrency of every public function. */
const CONTAINER_CONCURRENCY = 100;

export interface GatewayOptions {
  /** Requests in flight to each function at most, as its queue-proxy allows (containerConcurrency). */
  concurrency?: number;
  /** Requests waiting for each function at most; beyond, 503 at once (queue-proxy: 10 x concurrency). */
  queueDepth?: number;
  /** Connections opened to each function before the gateway reports ready. */
  warmConnections?: number;
  /** Longest wait for a function's answer before a 504. */
  timeoutMs?: number;
}

// Node's client refuses these methods (TRACE would echo the request; CONNECT is a tunnel): the
// gateway answers 405 itself, with the Allow header the function gives for OPTIONS on the same path.
const UNFORWARDABLE = new Set(["TRACE", "TRACK", "CONNECT"]);

const unavailable = (err: ForwardError) =>
  err.kind === "timeout"
    ? new AppError("gateway_timeout", "the function did not answer in time", {
        headers: { "Retry-After": "1" },
      })
    : // A function that is restarting (or scaling from zero) is a temporary condition: 503 +
      // Retry-After, as the Knative activator would answer, so clients retry instead of giving up.
      new AppError("service_unavailable", "the function behind this path is not reachable right now; retry");

export function createGateway(routes: Routes, opts: GatewayOptions = {}) {
  const concurrency = opts.concurrency ?? CONTAINER_CONCURRENCY;
  const queueDepth = opts.queueDepth ?? 10 * concurrency;
  // One connection per request in flight: the breaker, not the agent, decides who waits.
  const agent = createUpstreamAgent(concurrency);
  const forwarding = { agent, timeoutMs: opts.timeoutMs ?? 60_000 };
  // One breaker per function, as each has its queue-proxy (one instance per function here).
  const breakers = new Map(
    Object.values(routes).map((base) => [base, createBreaker({ concurrency, queueDepth })]),
  );
  let ready = false;
  const app = new Hono<{ Bindings: HttpBindings }>();

  const refuse = async (c: Context<{ Bindings: HttpBindings }>, target: URL) => {
    const res = await fetch(target, { method: "OPTIONS" }).catch(() => undefined);
    const allow = res?.headers.get("Allow");
    const where = `${c.req.method} ${c.req.path}`;
    if (!allow) return errorResponse(c, Errors.notFound(`no route for ${where}`));
    const message = `${where} is not allowed; allowed: ${allow}`;
    return errorResponse(c, new AppError("method_not_allowed", message, { headers: { Allow: allow } }));
  };

  const to = (base: string) => async (c: Context<{ Bindings: HttpBindings }>) => {
    const { incoming, outgoing } = c.env;
    const target = new URL(incoming.url ?? "/", base);
    if (UNFORWARDABLE.has(c.req.method)) return refuse(c, target);
    // Like an ingress's proxy-body-size: larger bodies are refused here with a clean 413 instead of
    // being streamed to a function that would answer 413 and reset the connection mid-upload.
    const body = await readBody(incoming, MAX_BODY_BYTES);
    if (!body.ok) {
      if (body.reason === "aborted") return RESPONSE_ALREADY_SENT;
      return errorResponse(c, Errors.payloadTooLarge(MAX_BODY_BYTES));
    }
    const slot = breakers.get(base)?.enter();
    if (!slot) {
      const message = `the function has ${concurrency} requests in flight and ${queueDepth} waiting; retry`;
      return errorResponse(c, Errors.overloaded(message));
    }
    const release = await slot;
    const failed = await forward(incoming, outgoing, target, body.body, forwarding).finally(release);
    if (!failed) return RESPONSE_ALREADY_SENT;
    return errorResponse(c, unavailable(failed));
  };

  // The gateway's own probes (not routed: the functions have theirs).
  app.get("/livez", (c) => c.json({ status: "alive" }));
  app.get("/readyz", (c) =>
    ready ? c.json({ status: "ready" }) : c.json({ status: "warming" }, 503, { "Retry-After": "1" }),
  );

  app.all("/buy", to(routes.buy));
  app.all("/items", to(routes.items));
  app.all("/getAllUserBuys/*", to(routes.userPurchases));
  app.all("/health", to(routes.buy));
  app.all("/openapi.json", to(routes.buy));
  app.all("/docs", to(routes.buy));
  app.all("/", to(routes.buy));
  app.notFound(notFound);
  app.onError((_err, c) =>
    errorResponse(
      c,
      new AppError("service_unavailable", "the gateway could not forward this request; retry"),
    ),
  );
  return Object.assign(app, {
    /** Opens connections to every function, then reports ready; resolves with those that did not answer. */
    warm: async () => {
      const cold = await warm(Object.values(routes), agent, opts.warmConnections ?? 16);
      ready = true;
      return cold;
    },
    close: () => agent.destroy(),
  });
}

/** The variables the gateway reads: where each function listens, and its own port. */
export const GatewayConfigSchema = v.object({
  GATEWAY_ROUTES: v.pipe(
    v.string(),
    v.parseJson(undefined, "must be JSON"),
    v.object({ buy: kinds.httpUrl(), items: kinds.httpUrl(), userPurchases: kinds.httpUrl() }),
  ),
  PORT: v.optional(v.unwrap(fields.PORT), "8000"),
});

// Run alone: GATEWAY_ROUTES='{"buy":"http://127.0.0.1:8101",...}' PORT=8000 node harness/gateway.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  let config: v.InferOutput<typeof GatewayConfigSchema>;
  try {
    config = parseEnv(GatewayConfigSchema);
  } catch (err) {
    process.stderr.write(`gateway: configuration error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const log = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    console.log(JSON.stringify({ level, msg, service: "gateway", ...fields }));
  const gateway = createGateway(config.GATEWAY_ROUTES);
  const server = serve({ fetch: gateway.fetch, port: config.PORT }, async (info) => {
    announceListening(info.port);
    // /readyz answers 200 (what the run command waits for) once the connections to the functions are open.
    const cold = await gateway.warm();
    if (cold.length) log("warn", "functions did not answer while warming up", { cold });
  });
  const stop = () =>
    server.close(() => {
      gateway.close();
      process.exit(0);
    });
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
