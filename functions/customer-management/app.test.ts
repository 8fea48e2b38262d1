import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, MongoClient } from "mongodb";
import { authFor, testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { stack } from "../../harness/stack.ts";
import { waitFor } from "../../harness/wait.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { type PurchaseDoc, toCents } from "../shared/purchase.ts";
import { createApp } from "./app.ts";

// It stops the database: a FerretDB of its own (harness/private-stack.ts), so it runs beside the others.
await usePrivateStack("customer-management", ["mongo"]);

let client: MongoClient;
let collection: Collection<PurchaseDoc>;
let app: ReturnType<typeof createApp>;
const tokens = await testAuth();
// The service client's token (purchases:admin): these tests read every user's purchases.
const admin = { Authorization: `Bearer ${await tokens.serviceToken()}` };

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
const doc = (id: string, user: string, item: string, price: number, ts: Date): PurchaseDoc => ({
  _id: id,
  username: user,
  user_id: user,
  item_name: item,
  price,
  price_cents: toCents(price),
  timestamp: ts,
  created_at: ts,
  event_id: id,
  event_source: "/test",
});

before(async () => {
  ({ client, collection } = await freshDatabase("mgmt", 1500));
  // A known data set: 0.1 + 0.2 style prices (float sums would drift), ties in timestamps.
  const cents: PurchaseDoc[] = [
    doc("c1", "cents", "Pen", 0.1, at(1)),
    doc("c2", "cents", "Pen", 0.2, at(2)),
    doc("c3", "cents", "Mug", 0.7, at(3)),
    doc("c4", "cents", "Lamp", 19.99, at(3)),
    doc("c5", "cents", "Pen", 0.1, at(4)),
  ];
  // 237 purchases for one user, several sharing a timestamp, to page through.
  const many = Array.from({ length: 237 }, (_, i) =>
    doc(
      `m${String(i).padStart(3, "0")}`,
      "many",
      ["A", "B", "C", "D", "E", "F", "G"][i % 7] as string,
      1.01,
      at(Math.floor(i / 3)),
    ),
  );
  await collection.insertMany([...cents, ...many]);
  app = createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "customer-management", defaultMetrics: false }),
    auth: authFor(tokens.env),
    client,
    collection,
    timeoutMs: 1500,
    groupState: async () => ({ state: "consuming", lag: 3 }),
  });
});
after(() => client.close());

const get = async (path: string, headers: Record<string, string> = admin) => {
  const res = await app.request(path, { headers });
  return { status: res.status, body: await res.json() };
};

describe("GET /purchases/:user_id", () => {
  test("When a user has a known set of purchases, then the statistics are exact in cents", async () => {
    const { status, body } = await get("/purchases/cents");
    assert.equal(status, 200);
    assert.deepEqual(body.stats, {
      count: 5,
      total_spent: 21.09,
      average_price: 4.22,
      min_price: 0.1,
      max_price: 19.99,
      first_purchase_at: at(1).toISOString(),
      last_purchase_at: at(4).toISOString(),
      top_items: [
        { item_name: "Pen", count: 3, total: 0.4 },
        { item_name: "Lamp", count: 1, total: 19.99 },
        { item_name: "Mug", count: 1, total: 0.7 },
      ],
    });
    assert.deepEqual(
      body.purchases.map((p: { id: string }) => p.id),
      ["c5", "c4", "c3", "c2", "c1"],
    );
    assert.equal(body.next_cursor, null);
  });

  test("When a user has more purchases than a page, then stats cover all and paging visits each exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let lastTs = Number.POSITIVE_INFINITY;
    do {
      const {
        status,
        body,
      }: {
        status: number;
        body: {
          purchases: { id: string; timestamp: string }[];
          next_cursor: string | null;
          stats: { count: number };
        };
      } = await get(`/purchases/many?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(status, 200);
      assert.equal(body.stats.count, 237);
      for (const p of body.purchases) {
        const ts = Date.parse(p.timestamp);
        assert.ok(ts <= lastTs, "newest first");
        lastTs = ts;
        seen.push(p.id);
      }
      cursor = body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 5);
    assert.equal(seen.length, 237);
    assert.equal(new Set(seen).size, 237);
  });

  test("When a user has no purchases, then 200 with an empty history and null statistics", async () => {
    const { status, body } = await get("/purchases/nobody");
    assert.equal(status, 200);
    assert.deepEqual(body.purchases, []);
    assert.equal(body.stats.count, 0);
    assert.equal(body.stats.total_spent, 0);
    assert.equal(body.stats.average_price, null);
  });

  const bad: [string, RegExp][] = [
    ["/purchases/bad%20id", /user_id/],
    ["/purchases/%24gt", /user_id/],
    [`/purchases/${"x".repeat(65)}`, /user_id/],
    ["/purchases/u?limit=0", /limit/],
    ["/purchases/u?limit=501", /limit/],
    ["/purchases/u?limit=abc", /limit/],
    ["/purchases/u?limit=-1", /limit/],
    ["/purchases/u?cursor=not*a*cursor", /cursor/],
    ["/purchases/u?cursor=bm90LWpzb24", /cursor/],
    ["/api/purchases?limit=1001", /limit/],
    ["/api/purchases/u?limit=0", /limit/],
  ];
  for (const [path, message] of bad) {
    test(`When ${path} is requested, then 400 with a JSON error`, async () => {
      const { status, body } = await get(path);
      assert.equal(status, 400);
      assert.equal(body.error, "validation_failed");
      assert.match(body.message, message);
    });
  }
});

describe("seed routes, info and health", () => {
  test("When a shopper reads their own (by id or me), then the same history as the admin sees; another's is 403", async () => {
    const shopper = await tokens.headers("cents");
    const expected = (await get("/purchases/cents")).body;
    for (const path of ["/purchases/cents", "/purchases/me"])
      assert.deepEqual(await get(path, shopper), { status: 200, body: expected }, path);
    assert.equal((await get("/purchases/many", shopper)).status, 403);
    assert.equal((await get("/api/purchases", shopper)).status, 403);
  });

  test("When /api/purchases/:userId is requested, then {purchases, userId}", async () => {
    const { body } = await get("/api/purchases/cents");
    assert.equal(body.userId, "cents");
    assert.equal(body.purchases.length, 5);
  });

  test("When /api/purchases?limit=7 is requested, then 7 purchases and count 7", async () => {
    const { body } = await get("/api/purchases?limit=7");
    assert.equal(body.count, 7);
    assert.equal(body.purchases.length, 7);
  });

  test("When the database is stopped, then health is 503 naming it, reads are 503, and both recover", async () => {
    const { status, body } = await get("/health");
    assert.equal(status, 200);
    assert.deepEqual(body, {
      status: "healthy",
      service: "customer-management",
      mongodb: "connected",
      kafka: "consuming",
      lag: 3,
    });
    await stack("stop", "mongo");
    try {
      await sleep(1100);
      const down = await get("/health");
      assert.equal(down.status, 503);
      assert.equal(down.body.status, "unhealthy");
      assert.equal(down.body.mongodb, "unreachable");
      const read = await get("/purchases/cents");
      assert.equal(read.status, 503);
      assert.equal(read.body.error, "database_unavailable");
    } finally {
      await stack("start", "mongo");
    }
    await waitFor("health to recover", async () => (await get("/health")).status === 200, {
      timeoutMs: 20_000,
      everyMs: 300,
    });
    assert.equal((await get("/purchases/cents")).status, 200);
  });
});
