// The gateway's per-function breaker (./breaker.ts), as Knative's queue-proxy has it: a flood
// against a function that does not answer yet gets 503 overloaded at once beyond concurrency +
// queue depth, and every request let in completes. Counts and statuses only: the function answers
// when the test opens a latch, not after some milliseconds.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createBreaker } from "./breaker.ts";
import { createGateway } from "./gateway.ts";

type Server = ReturnType<typeof serve>;
const listen = (fetch: (req: Request) => Response | Promise<Response>) =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    );
  });

const get = (url: string) =>
  new Promise<{ status: number; body: string; retryAfter?: string }>((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers["retry-after"] }),
      );
    })
      .on("error", reject)
      .end();
  });

/** Resolves when `check` holds, checked after each event the function reports. */
function until(check: () => boolean, events: EventTarget) {
  return new Promise<void>((resolve) => {
    if (check()) return resolve();
    const on = () => {
      if (check()) {
        events.removeEventListener("change", on);
        resolve();
      }
    };
    events.addEventListener("change", on);
  });
}

describe("gateway breaker", () => {
  test("When a slow function is flooded, then requests beyond concurrency + queue depth get 503 overloaded at once, and the others complete", async () => {
    const events = new EventTarget();
    let arrived = 0;
    let open: () => void = () => {};
    const latch = new Promise<void>((resolve) => {
      open = resolve;
    });
    const slow = new Hono().get("/items", async (c) => {
      arrived++;
      events.dispatchEvent(new Event("change"));
      await latch;
      return c.json([]);
    });
    const fn = await listen(slow.fetch);
    const gw = createGateway(
      { buy: fn.url, items: fn.url, userPurchases: fn.url },
      { concurrency: 2, queueDepth: 3 },
    );
    const gateway = await listen(gw.fetch);
    try {
      const answers: { status: number; body: string; retryAfter?: string }[] = [];
      const flood = Array.from({ length: 12 }, () =>
        get(`${gateway.url}/items`).then((a) => {
          answers.push(a);
          events.dispatchEvent(new Event("change"));
          return a;
        }),
      );
      // While the function holds every request: 2 in flight, 3 queued, the 7 others refused.
      await until(() => arrived === 2 && answers.length === 7, events);
      assert.equal(arrived, 2, "only `concurrency` requests reach the function");
      for (const a of answers) {
        assert.equal(a.status, 503);
        assert.equal(JSON.parse(a.body).error, "overloaded");
        assert.equal(a.retryAfter, "1");
      }
      open();
      const all = await Promise.all(flood);
      assert.equal(all.filter((a) => a.status === 200).length, 5, "in flight and queued ones complete");
      assert.equal(all.filter((a) => a.status === 503).length, 7);
      assert.equal(arrived, 5);
    } finally {
      open();
      gw.close();
      gateway.server.close();
      fn.server.close();
    }
  });

  test("When a slot is released, then the oldest waiting request takes it and the queue frees a place", async () => {
    const breaker = createBreaker({ concurrency: 1, queueDepth: 1 });
    const first = await breaker.enter();
    const second = breaker.enter();
    assert.ok(first && second);
    assert.equal(breaker.enter(), undefined, "full: 1 in flight, 1 waiting");
    first();
    first(); // a second release of the same slot changes nothing
    const release = await second;
    assert.equal(breaker.inFlight, 1);
    assert.equal(breaker.queued, 0);
    assert.ok(breaker.enter(), "a place in the queue again");
    release();
  });
});
