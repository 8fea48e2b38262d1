import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { createBaseApp } from "../../functions/shared/app.ts";
import { createLogger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { createGateway } from "./gateway.ts";

type Server = ReturnType<typeof serve>;
const listen = (fetch: (req: Request) => Response | Promise<Response>) =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    );
  });

/** node:http, because fetch() refuses to send TRACE. */
const send = (url: string, method: string) =>
  new Promise<{ status: number; allow?: string; body: string }>((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on("error", reject);
    req.end();
  });

let fn: { server: Server; url: string };
let gateway: { server: Server; url: string };

before(async () => {
  const app = createBaseApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "t", defaultMetrics: false }),
    corsOrigins: ["http://localhost:8080"],
  });
  app.get("/items", (c) => c.json([]));
  app.post("/buy", (c) => c.json({}, 202));
  fn = await listen(app.fetch);
  gateway = await listen(createGateway({ buy: fn.url, items: fn.url, userPurchases: fn.url }).fetch);
});

after(() => {
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
});
