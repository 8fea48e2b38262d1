import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { requestHeader } from "./request-header.ts";

const NAMES = [
  "Content-Type",
  "content-type",
  "X-Request-Id",
  "Idempotency-Key",
  "x-repeated",
  "Origin",
  "Absent",
];

/** Every name as requestHeader reads it, next to what Hono's c.req.header gives. */
function echoApp() {
  const app = new Hono();
  app.all("/echo", (c) =>
    c.json({
      ours: NAMES.map((n) => requestHeader(c, n) ?? null),
      hono: NAMES.map((n) => c.req.header(n) ?? null),
    }),
  );
  return app;
}

/** One raw HTTP/1.1 request, so that header fields can be repeated and spelled in any case. */
function raw(port: number, head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(`${head}Connection: close\r\n\r\n`));
    let text = "";
    socket.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    socket.on("error", reject).on("end", () => {
      const [headers = "", body = ""] = text.split("\r\n\r\n");
      resolve({ status: Number(headers.split(" ")[1]), headers, body });
    });
  });
}

describe("requestHeader served by @hono/node-server", () => {
  const servers: ReturnType<typeof serve>[] = [];
  const ports: Record<string, number> = {};
  before(async () => {
    for (const [name, app] of [["echo", echoApp()]] as const) {
      const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
      await new Promise((r) => server.once("listening", r));
      servers.push(server);
      ports[name] = (server.address() as net.AddressInfo).port;
    }
  });
  after(() => {
    for (const s of servers) s.close();
  });

  test("When fields are repeated, spelled in other cases or padded, then it reads what c.req.header reads", async () => {
    const res = await raw(
      ports.echo as number,
      "POST /echo HTTP/1.1\r\nHost: x\r\ncontent-TYPE: application/json\r\nContent-Type: text/plain\r\n" +
        "X-REQUEST-ID:   abc  \r\nx-repeated: 1\r\nOrigin: http://a\r\nX-Repeated: 2,3\r\nx-repeated: \r\n" +
        "Idempotency-Key: k\r\nContent-Length: 0\r\n",
    );
    const { ours, hono } = JSON.parse(res.body);
    assert.deepEqual(ours, hono);
    assert.deepEqual(ours, [
      "application/json, text/plain",
      "application/json, text/plain",
      "abc",
      "k",
      "1, 2,3, ",
      "http://a",
      null,
    ]);
  });

  test("When there is no Node request (app.request), then Hono's headers are read", async () => {
    const res = await echoApp().request("/echo", { headers: { "content-type": "a/b", "x-repeated": "1" } });
    const { ours, hono } = await res.json();
    assert.deepEqual(ours, hono);
    assert.equal(ours[4], "1");
  });
});
