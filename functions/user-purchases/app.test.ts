import assert from "node:assert/strict";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import type { MongoClient } from "mongodb";
import { authFor, testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { createApp as createManagementApp } from "../customer-management/app.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { toCents } from "../shared/purchase.ts";
import { createApp } from "./app.ts";

// The bound on the management API call, for the tests of that bound (slow, down). A test of what a
// real answer gives (the management API reading FerretDB) waits for that answer instead: under
// side-by-side test files on a busy 2-core machine, its first history read took over 800 ms and
// came back as a 504.
const TIMEOUT_MS = 800;
const ANSWER_TIMEOUT_MS = 30_000;
const servers: Server[] = [];
const tokens = await testAuth();
/** The Authorization header of each request the management API received. */
const managementSaw: (string | null)[] = [];
let client: MongoClient;
let managementUrl: string;

/** A real HTTP server on a free port. */
async function listen(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const appFor = (url: string, timeoutMs = TIMEOUT_MS) => {
  const app = createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "user-purchases", defaultMetrics: false }),
    auth: authFor(tokens.env),
    managementUrl: url,
    timeoutMs,
  });
  /** GET `path` as shopper `user` (eve, whose purchase is stored). */
  return {
    request: async (path: string, user = "eve") => app.request(path, { headers: await tokens.headers(user) }),
  };
};

before(async () => {
  const db = await freshDatabase("userbuys");
  client = db.client;
  const ts = new Date("2026-01-02T03:04:05.000Z");
  await db.collection.insertOne({
    _id: "p1",
    username: "eve",
    user_id: "eve",
    item_name: "Yoga Mat",
    price: 29.95,
    price_cents: toCents(29.95),
    timestamp: ts,
    created_at: ts,
    event_id: "p1",
    event_source: "/t",
  });
  const management = createManagementApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "customer-management", defaultMetrics: false }),
    auth: authFor(tokens.env),
    client,
    collection: db.collection,
    timeoutMs: 2000,
    groupState: async () => undefined,
  });
  const fetch = (req: Request) => {
    managementSaw.push(req.headers.get("authorization"));
    return management.fetch(req);
  };
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise((r) => server.once("listening", r));
  servers.push(server);
  managementUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await client.close();
});

describe("GET /getAllUserBuys/:user_id", () => {
  test("When the management API answers, then its history and statistics are returned", async () => {
    const res = await appFor(managementUrl, ANSWER_TIMEOUT_MS).request("/getAllUserBuys/eve?limit=10");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.user_id, "eve");
    assert.equal(body.purchases[0].item_name, "Yoga Mat");
    assert.equal(body.stats.total_spent, 29.95);
  });

  test("When the caller reads me, then the management API gets the caller's token unchanged and answers their history", async () => {
    const app = createApp({
      logger: createLogger("silent"),
      registry: createRegistry({ service: "user-purchases", defaultMetrics: false }),
      auth: authFor(tokens.env),
      managementUrl,
      timeoutMs: ANSWER_TIMEOUT_MS,
    });
    const headers = await tokens.headers("eve");
    managementSaw.length = 0;
    const res = await app.request("/getAllUserBuys/me", { headers });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).purchases[0].user_id, "eve");
    assert.deepEqual(managementSaw, [headers.Authorization]);
  });

  test("When another shopper asks for eve's purchases, then 403 and the management API is not called", async () => {
    managementSaw.length = 0;
    const res = await appFor(managementUrl, ANSWER_TIMEOUT_MS).request("/getAllUserBuys/eve", "mallory");
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "forbidden");
    assert.deepEqual(managementSaw, []);
  });

  test("When user_id is invalid, then 400 and the management API is not called", async () => {
    let called = false;
    const url = await listen((_req, res) => {
      called = true;
      res.end("{}");
    });
    const res = await appFor(url).request("/getAllUserBuys/a%20b");
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "validation_failed");
    assert.equal(called, false);
  });

  test("When the management API answers 400 for a bad cursor, then the 400 is passed on", async () => {
    const res = await appFor(managementUrl, ANSWER_TIMEOUT_MS).request(
      "/getAllUserBuys/eve?cursor=bm90LWpzb24",
    );
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /cursor/);
  });

  test("When the management API is down, then 502 JSON", async () => {
    const closed = await listen(() => {});
    const port = new URL(closed).port;
    await new Promise<void>((r) => (servers.pop() as Server).close(() => r()));
    const started = Date.now();
    const res = await appFor(`http://127.0.0.1:${port}`).request("/getAllUserBuys/eve");
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error, "bad_gateway");
    assert.ok(Date.now() - started < TIMEOUT_MS + 1000);
  });

  test("When the management API is slow, then 504 JSON within the bound", async () => {
    const url = await listen(() => {}); // accepts, never answers
    const started = Date.now();
    const res = await appFor(url).request("/getAllUserBuys/eve");
    const elapsed = Date.now() - started;
    assert.equal(res.status, 504);
    assert.equal((await res.json()).error, "gateway_timeout");
    assert.ok(elapsed >= TIMEOUT_MS - 50 && elapsed < TIMEOUT_MS + 1000, `took ${elapsed} ms`);
  });

  for (const [name, status, body] of [
    ["HTML", 200, "<html>oops</html>"],
    ["JSON of the wrong shape", 200, '{"hello":"world"}'],
    ["a 500", 500, '{"error":"internal","message":"x"}'],
  ] as const) {
    test(`When the management API answers ${name}, then 502 JSON`, async () => {
      const url = await listen((_req, res) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      });
      const res = await appFor(url).request("/getAllUserBuys/eve");
      assert.equal(res.status, 502);
      assert.equal((await res.json()).error, "bad_gateway");
    });
  }
});
