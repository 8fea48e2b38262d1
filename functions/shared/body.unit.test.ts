import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { readBody } from "./body.ts";
import { onError } from "./errors.ts";
import { createLogger } from "./logging.ts";

const LIMIT = 1024;

function bodyApp() {
  const app = new Hono();
  app.onError(onError(createLogger("error", { service: "test" })));
  app.post("/echo", async (c) => c.json({ bytes: (await readBody(c, LIMIT)).byteLength }));
  return app;
}

/** Raw HTTP/1.1 on one keep-alive agent, so a second request shows whether the connection survived. */
function post(port: number, agent: http.Agent, body: Buffer, chunked: boolean) {
  return new Promise<{ status: number; json: unknown; reused: boolean }>((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = chunked
      ? { "transfer-encoding": "chunked" }
      : { "content-length": body.length };
    const req = http.request({ port, path: "/echo", method: "POST", agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString()),
          reused: req.reusedSocket,
        }),
      );
    });
    req.on("error", reject);
    if (chunked) for (let i = 0; i < body.length; i += 256) req.write(body.subarray(i, i + 256));
    else req.write(body);
    req.end();
  });
}

describe("readBody from the Node request", () => {
  let server: ReturnType<typeof serve>;
  let port = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  before(async () => {
    server = serve({ fetch: bodyApp().fetch, port: 0 });
    await new Promise((r) => server.once("listening", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    agent.destroy();
    server.close();
  });

  for (const chunked of [false, true]) {
    const how = chunked ? "chunked" : "with Content-Length";
    test(`When a body ${how} is within the limit, then all of it is read`, async () => {
      const res = await post(port, agent, Buffer.alloc(LIMIT, 1), chunked);
      assert.deepEqual([res.status, res.json], [200, { bytes: LIMIT }]);
    });

    test(`When a body ${how} is over the limit, then 413 JSON and the connection still serves`, async () => {
      const res = await post(port, agent, Buffer.alloc(LIMIT * 8, 1), chunked);
      assert.equal(res.status, 413);
      assert.equal((res.json as { error: string }).error, "payload_too_large");
      const next = await post(port, agent, Buffer.from("ok"), chunked);
      assert.deepEqual([next.status, next.json], [200, { bytes: 2 }]);
    });
  }
});

describe("readBody without a Node request (app.request)", () => {
  test("When the body is over the limit, then 413", async () => {
    const res = await bodyApp().request("/echo", { method: "POST", body: "x".repeat(LIMIT + 1) });
    assert.equal(res.status, 413);
  });

  test("When the body is within the limit, then its bytes", async () => {
    const res = await bodyApp().request("/echo", { method: "POST", body: "é" });
    assert.deepEqual(await res.json(), { bytes: 2 });
  });
});
