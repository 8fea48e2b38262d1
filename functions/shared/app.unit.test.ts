import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { Registry } from "prom-client";
import { createBaseApp, SECURE_HEADERS } from "./app.ts";
import { Errors } from "./errors.ts";
import { createLogger } from "./logging.ts";

const ORIGIN = "http://shop.example";

function baseApp() {
  const app = createBaseApp({
    logger: createLogger("error", { service: "test" }),
    registry: new Registry(),
    corsOrigins: [ORIGIN],
  });
  app.get("/id", (c) => c.json({ id: c.get("requestId") }));
  app.get("/teapot", () => {
    throw Errors.validation("no");
  });
  return app;
}

/** One raw HTTP/1.1 request; the answer's header lines as sent (lower-cased names). */
function raw(port: number, head: string): Promise<{ status: number; lines: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(`${head}Connection: close\r\n\r\n`));
    let text = "";
    socket.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    socket.on("error", reject).on("end", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      const [status = "", ...lines] = head.split("\r\n");
      resolve({
        status: Number(status.split(" ")[1]),
        lines: lines.map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase())),
        body,
      });
    });
  });
}

const expectedSecure = SECURE_HEADERS.map(([n, v]) => `${n.toLowerCase()}: ${v}`);

describe("base app served by @hono/node-server", () => {
  let server: ReturnType<typeof serve>;
  let port = 0;
  before(async () => {
    server = serve({ fetch: baseApp().fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((r) => server.once("listening", r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  test("When SECURE_HEADERS is compared with Hono's secureHeaders() defaults, then they are the same", async () => {
    const res = await new Hono()
      .use(secureHeaders())
      .get("/", (c) => c.text("x"))
      .request("/");
    const hono = [...res.headers].filter(([n]) => n !== "content-type").map(([n, v]) => `${n}: ${v}`);
    assert.deepEqual(hono.sort(), [...expectedSecure].sort());
  });

  for (const [what, path, status] of [
    ["an answer", "/id", 200],
    ["an error", "/teapot", 400],
    ["a path that does not exist", "/nowhere", 404],
  ] as const) {
    test(`When ${what} goes out, then it carries each secure header, X-Request-Id and Vary once`, async () => {
      const res = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: r-1\r\n`);
      assert.equal(res.status, status);
      for (const line of [...expectedSecure, "x-request-id: r-1", "vary: Origin"]) {
        assert.equal(res.lines.filter((l) => l === line).length, 1, line);
      }
      assert.equal(res.lines.filter((l) => l.startsWith("access-control-allow-origin:")).length, 0);
      assert.ok(res.lines.some((l) => l.startsWith("content-type: application/json")));
    });
  }

  test("When an allowed Origin asks, then Access-Control-Allow-Origin names it", async () => {
    const res = await raw(port, `GET /id HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\n`);
    assert.ok(res.lines.includes(`access-control-allow-origin: ${ORIGIN}`));
    assert.ok(res.lines.includes("vary: Origin"));
  });

  test("When the request carries a valid X-Request-Id, then it is the request id and echoed", async () => {
    const res = await raw(port, "GET /id HTTP/1.1\r\nHost: x\r\nx-request-id: req-1=\r\n");
    assert.deepEqual(JSON.parse(res.body), { id: "req-1=" });
    assert.ok(res.lines.includes("x-request-id: req-1="));
  });

  for (const [why, value] of [
    ["holds a character outside [A-Za-z0-9_=-]", "a b/c"],
    ["is longer than 255 characters", "a".repeat(256)],
    ["is empty", ""],
  ]) {
    test(`When X-Request-Id ${why}, then a new UUID is the request id`, async () => {
      const res = await raw(port, `GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${value}\r\n`);
      const { id } = JSON.parse(res.body);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(res.lines.includes(`x-request-id: ${id}`));
    });
  }
});

describe("base app without a Node response (app.request)", () => {
  test("When a request is answered, then the secure headers, X-Request-Id and CORS headers are Hono's", async () => {
    const res = await baseApp().request("/id", { headers: { Origin: ORIGIN, "X-Request-Id": "r-2" } });
    for (const [name, value] of SECURE_HEADERS) assert.equal(res.headers.get(name), value, name);
    assert.equal(res.headers.get("x-request-id"), "r-2");
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(res.headers.get("vary"), "Origin");
  });
});
