import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type OutgoingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { createBaseApp } from "../functions/shared/app.ts";
import { parseEnv } from "../functions/shared/config.ts";
import { createLogger } from "../functions/shared/logging.ts";
import { createRegistry } from "../functions/shared/metrics.ts";
import { createGateway, GatewayConfigSchema } from "./gateway.ts";

type Server = ReturnType<typeof serve>;
const listen = (fetch: (req: Request) => Response | Promise<Response>) =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    );
  });

/** node:http, because fetch() refuses to send TRACE or an Expect header. */
const send = (
  url: string,
  method: string,
  opts: { headers?: OutgoingHttpHeaders; body?: Buffer; chunks?: Buffer[] } = {},
) =>
  new Promise<{ status: number; allow?: string; body: string; continued: boolean }>((resolve, reject) => {
    let continued = false;
    const req = request(url, { method, headers: opts.headers ?? {} }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body, continued }),
      );
    });
    req.on("error", reject);
    if (opts.headers?.expect) {
      // As curl does: the body only after the server's 100 Continue.
      req.on("continue", () => {
        continued = true;
        req.end(opts.body);
      });
      req.flushHeaders();
      return;
    }
    for (const chunk of opts.chunks ?? []) req.write(chunk);
    req.end(opts.body);
  });

/** What the stand-in function received on POST /echo. */
interface Echo {
  length: number;
  sha: string;
  headers: Record<string, string>;
}
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let fn: { server: Server; url: string };
let gateway: { server: Server; url: string };
let gw: ReturnType<typeof createGateway>;

before(async () => {
  const app = createBaseApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "t", defaultMetrics: false }),
    corsOrigins: ["http://localhost:8080"],
  });
  app.get("/items", (c) => c.json([]));
  app.post("/buy", async (c) => {
    const body = Buffer.from(await c.req.arrayBuffer());
    return c.json({ length: body.length, sha: sha(body), headers: c.req.header() } satisfies Echo, 202);
  });
  fn = await listen(app.fetch);
  gw = createGateway({ buy: fn.url, items: fn.url, userPurchases: fn.url });
  gateway = await listen(gw.fetch);
});

after(() => {
  gw.close();
  gateway.server.close();
  fn.server.close();
});

describe("gateway", () => {
  test("When TRACE is sent, then 405 with the function's Allow, not a 502", async () => {
    const items = await send(`${gateway.url}/items`, "TRACE");
    assert.equal(items.status, 405);
    assert.equal(items.allow, "GET, HEAD, OPTIONS");
    assert.equal(JSON.parse(items.body).error, "method_not_allowed");
    const buy = await send(`${gateway.url}/buy`, "TRACE");
    assert.equal(buy.allow, "POST, OPTIONS");
  });

  test("When another undeclared method is sent, then the function's 405 passes through", async () => {
    const res = await send(`${gateway.url}/items`, "DELETE");
    assert.equal(res.status, 405);
    assert.equal(res.allow, "GET, HEAD, OPTIONS");
  });

  test("When /openapi.json or /docs is requested, then it goes to buy", async () => {
    const res = await send(`${gateway.url}/openapi.json`, "GET");
    // This stand-in function has no such route; buy's own test covers the document.
    assert.equal(res.status, 404);
    assert.match(JSON.parse(res.body).message, /GET \/openapi.json/);
  });

  test("When a POST carries Expect: 100-continue, then the gateway answers 100 and the function's 202 comes back", async () => {
    const body = Buffer.from(JSON.stringify({ username: "a", user_id: "a" }));
    const res = await send(`${gateway.url}/buy`, "POST", {
      headers: { expect: "100-continue", "content-type": "application/json", "content-length": body.length },
      body,
    });
    assert.equal(res.continued, true, "100 Continue was sent");
    assert.equal(res.status, 202);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.sha, sha(body));
    assert.equal(echo.headers.expect, undefined, "Expect is answered here, not passed on");
  });

  test("When a body comes chunked, then the function gets all of it with a Content-Length", async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000, 97 + (i % 26)));
    const res = await send(`${gateway.url}/buy`, "POST", {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks,
    });
    assert.equal(res.status, 202);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.length, 40_000);
    assert.equal(echo.sha, sha(Buffer.concat(chunks)));
    assert.equal(echo.headers["content-length"], "40000");
    assert.equal(echo.headers["transfer-encoding"], undefined);
  });

  test("When a large body (64 KiB, the limit) comes with Expect: 100-continue, then it arrives whole", async () => {
    const body = Buffer.alloc(64 * 1024, 120);
    const res = await send(`${gateway.url}/buy`, "POST", {
      headers: { expect: "100-continue", "content-length": body.length },
      body,
    });
    assert.equal(res.status, 202);
    assert.equal((JSON.parse(res.body) as Echo).sha, sha(body));
  });

  test("When a body is over 64 KiB, declared or chunked, then 413 from the gateway", async () => {
    const declared = await send(`${gateway.url}/buy`, "POST", { body: Buffer.alloc(64 * 1024 + 1) });
    assert.equal(declared.status, 413);
    assert.equal(JSON.parse(declared.body).error, "payload_too_large");
    const chunked = await send(`${gateway.url}/buy`, "POST", {
      headers: { "transfer-encoding": "chunked" },
      chunks: Array.from({ length: 70 }, () => Buffer.alloc(1024)),
    });
    assert.equal(chunked.status, 413);
  });

  test("When hop-by-hop headers come, then they are not passed on and X-Forwarded-* are added", async () => {
    const res = await send(`${gateway.url}/buy`, "POST", {
      headers: { connection: "keep-alive, x-secret", "x-secret": "1", "x-request-id": "r1", te: "trailers" },
      body: Buffer.from("{}"),
    });
    const { headers } = JSON.parse(res.body) as Echo;
    assert.equal(headers["x-secret"], undefined, "named in Connection");
    assert.equal(headers.te, undefined);
    assert.equal(headers["x-request-id"], "r1", "end-to-end headers pass");
    assert.equal(headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(headers["x-forwarded-proto"], "http");
  });

  test("When a request carries Authorization, then it reaches the function unchanged and no identity header is added", async () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    const res = await send(`${gateway.url}/buy`, "POST", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: Buffer.from("{}"),
    });
    const { headers } = JSON.parse(res.body) as Echo;
    assert.equal(headers.authorization, `Bearer ${token}`);
    const identityHeaders = Object.keys(headers).filter((h) =>
      /user|identity|subject|principal|claim/i.test(h),
    );
    assert.deepEqual(identityHeaders, []);
  });

  test("When the page on another origin preflights a request with Authorization, then the function's CORS allows it", async () => {
    const res = await fetch(`${gateway.url}/buy`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://localhost:8080",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://localhost:8080");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    assert.ok(allowed.includes("authorization"), allowed.join(","));
  });

  test("When the gateway has warmed up, then /readyz is 200 and connections to the functions are open", async () => {
    const fresh = createGateway(
      { buy: fn.url, items: fn.url, userPurchases: fn.url },
      { warmConnections: 4 },
    );
    const server = await listen(fresh.fetch);
    try {
      assert.equal((await send(`${server.url}/readyz`, "GET")).status, 503, "not ready before warming");
      assert.deepEqual(await fresh.warm(), [], "every function answered");
      assert.equal((await send(`${server.url}/readyz`, "GET")).status, 200);
    } finally {
      fresh.close();
      server.server.close();
    }
  });

  test("When 300 requests arrive at once, then each is answered by the function (none is a 503 of the gateway)", async () => {
    const body = Buffer.from("{}");
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => send(`${gateway.url}/buy`, "POST", { body })),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [202]);
  });

  test("When the function is down, then 503 service_unavailable with Retry-After", async () => {
    const down = await listen(() => new Response(null));
    const url = down.url;
    await new Promise((resolve) => down.server.close(resolve));
    const lone = createGateway({ buy: url, items: url, userPurchases: url });
    const server = await listen(lone.fetch);
    try {
      const res = await send(`${server.url}/items`, "GET");
      assert.equal(res.status, 503);
      assert.equal(JSON.parse(res.body).error, "service_unavailable");
    } finally {
      lone.close();
      server.server.close();
    }
  });
});

describe("gateway config", () => {
  test("When GATEWAY_ROUTES is missing, not JSON or without a function's URL, then parsing fails naming it", () => {
    const routes = {
      buy: "http://127.0.0.1:1",
      items: "http://127.0.0.1:2",
      userPurchases: "http://127.0.0.1:3",
    };
    assert.equal(parseEnv(GatewayConfigSchema, { GATEWAY_ROUTES: JSON.stringify(routes) }).PORT, 8000);
    for (const [env, message] of [
      [{}, /: missing GATEWAY_ROUTES$/],
      [{ GATEWAY_ROUTES: "{" }, /: invalid GATEWAY_ROUTES="\{": must be JSON$/],
      [
        { GATEWAY_ROUTES: JSON.stringify({ ...routes, items: undefined }) },
        /: invalid GATEWAY_ROUTES=.*: items: /,
      ],
    ] as const) {
      assert.throws(() => parseEnv(GatewayConfigSchema, env), message);
    }
  });
});
