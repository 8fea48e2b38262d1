// Local stand-in for the cluster's Gateway (knative/base/http-routes.yaml): routes the public API paths
// on one port to the functions, so the web page and curl see what they see behind api.localhost.
// /metrics and the management API are not routed, as in the cluster.
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { proxy } from "hono/proxy";

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
 * matches; test/deploy/routes.test.ts fails when the two differ.
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

// fetch() refuses to send these (forbidden methods), so they cannot reach a function: the gateway
// answers 405 itself, with the Allow header the function gives for OPTIONS on the same path.
const UNFORWARDABLE = new Set(["TRACE", "TRACK", "CONNECT"]);

async function refuse(c: Context, target: string) {
  const allow = (await fetch(target, { method: "OPTIONS" })).headers.get("Allow");
  const where = `${c.req.method} ${c.req.path}`;
  if (!allow) return c.json({ error: "not_found", message: `no route for ${where}` }, 404);
  return c.json({ error: "method_not_allowed", message: `${where} is not allowed; allowed: ${allow}` }, 405, {
    Allow: allow,
  });
}

export function createGateway(routes: Routes) {
  const app = new Hono();
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          { error: "payload_too_large", message: `request body is larger than ${MAX_BODY_BYTES} bytes` },
          413,
          { Connection: "close" },
        ),
    }),
  );
  const to = (base: string) => async (c: Context) => {
    const url = new URL(c.req.url);
    const target = `${base}${url.pathname}${url.search}`;
    if (UNFORWARDABLE.has(c.req.method)) return refuse(c, target);
    return proxy(target, { raw: c.req.raw });
  };
  app.all("/buy", to(routes.buy));
  app.all("/items", to(routes.items));
  app.all("/getAllUserBuys/*", to(routes.userPurchases));
  app.all("/health", to(routes.buy));
  app.all("/openapi.json", to(routes.buy));
  app.all("/docs", to(routes.buy));
  app.all("/", to(routes.buy));
  app.notFound((c) =>
    c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  // A function that is restarting (or scaling from zero) is a temporary condition: 503 + Retry-After,
  // as the Knative activator would answer, so clients retry instead of giving up.
  app.onError((_err, c) =>
    c.json(
      {
        error: "service_unavailable",
        message: "the function behind this path is not reachable right now; retry",
      },
      503,
      { "Retry-After": "1" },
    ),
  );
  return app;
}

// Run alone: GATEWAY_ROUTES='{"buy":"http://127.0.0.1:8101",...}' PORT=8000 tsx scripts/local/gateway.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  const routes = JSON.parse(process.env.GATEWAY_ROUTES ?? "{}") as Routes;
  const server = serve(
    { fetch: createGateway(routes).fetch, port: Number(process.env.PORT ?? 8000) },
    (info) =>
      console.log(JSON.stringify({ level: "info", msg: "listening", service: "gateway", port: info.port })),
  );
  const stop = () => server.close(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
