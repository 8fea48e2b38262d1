import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, MongoClient } from "mongodb";
import { freshDatabase } from "../../harness/databases.ts";
import { unique } from "../../harness/names.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { stack } from "../../harness/stack.ts";
import { waitFor } from "../../harness/wait.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import type { PurchaseDoc } from "../shared/purchase.ts";
import { createApp } from "./app.ts";

// It stops the database: a FerretDB of its own (harness/private-stack.ts), so it runs beside the others.
await usePrivateStack("purchase-persist", ["mongo"]);

let client: MongoClient;
let collection: Collection<PurchaseDoc>;
let app: ReturnType<typeof createApp>["app"];

before(async () => {
  ({ client, collection } = await freshDatabase("persist", 1500));
  ({ app } = createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "purchase-persist", defaultMetrics: false }),
    client,
    collection,
    batchSize: 100,
    batchWaitMs: 2,
    maxPending: 1000,
    timeoutMs: 1500,
  }));
});
after(() => client.close());

const purchase = (over: Record<string, unknown> = {}) => ({
  username: "dora",
  user_id: "dora",
  item_name: "Coffee Mug",
  price: 12.5,
  timestamp: "2026-11-21T10:00:00.000Z",
  ...over,
});

/** A CloudEvent in HTTP binary mode, as KafkaSource POSTs it. */
const binary = (id: string, data: unknown, extra: Record<string, string> = {}) =>
  app.request("/", {
    method: "POST",
    headers: {
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases",
      "ce-type": "dev.knative.kafka.event",
      "ce-knativekafkapartition": "0",
      "ce-knativekafkaoffset": "7",
      "content-type": "application/json",
      ...extra,
    },
    body: typeof data === "string" ? data : JSON.stringify(data),
  });

describe("purchase-persist", () => {
  test("When the same CloudEvent is POSTed three times, then three 2xx and one document", async () => {
    const id = `partition:0/offset:${unique("o")}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await binary(id, purchase({ user_id: "triple" }))).status);
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.equal(await collection.countDocuments({ user_id: "triple" }), 1);
    const doc = await collection.findOne({ user_id: "triple" });
    assert.ok(doc?.timestamp instanceof Date && doc.created_at instanceof Date, "dates are BSON dates");
    assert.equal(doc?.price_cents, 1250);
    assert.equal(doc?.event_id, id);
  });

  test("When the buy function's event arrives twice with its own id, then it is stored once under that id", async () => {
    const pid = crypto.randomUUID();
    const data = purchase({ id: pid, user_id: "own-id" });
    const headers = {
      "ce-type": "org.example.purchases.purchase.created.v1",
      "ce-source": "/purchases/functions/buy",
    };
    assert.equal((await binary(pid, data, headers)).status, 200);
    const again = await binary(pid, data, headers);
    assert.deepEqual(await again.json(), { status: "duplicate", id: pid });
    assert.equal(await collection.countDocuments({ _id: pid }), 1);
  });

  test("When a structured-mode CloudEvent arrives, then it is stored", async () => {
    const res = await app.request("/", {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify({
        specversion: "1.0",
        id: unique("s"),
        source: "/structured",
        type: "t",
        datacontenttype: "application/json",
        data: purchase({ user_id: "structured" }),
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(await collection.countDocuments({ user_id: "structured" }), 1);
  });

  test("When 200 distinct events arrive concurrently, then all are stored and writes are batched", async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => binary(`partition:1/offset:${i}`, purchase({ user_id: "many" }))),
    );
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(await collection.countDocuments({ user_id: "many" }), 200);
    const metrics = await (await app.request("/metrics")).text();
    const batches = Number(metrics.match(/purchases_persist_batch_size_count\{[^}]*\} (\d+)/)?.[1]);
    assert.ok(batches < 200, `expected group commit, got ${batches} batches for 200+ events`);
  });

  const invalid: [string, unknown, Record<string, string>, string][] = [
    ["negative price", purchase({ price: -1 }), {}, "invalid_data"],
    ["price with 3 decimals", purchase({ price: 1.234 }), {}, "invalid_data"],
    ["missing user_id", { ...purchase(), user_id: undefined }, {}, "invalid_data"],
    ["$gt operator as user_id", purchase({ user_id: { $gt: "" } }), {}, "invalid_data"],
    ["bad timestamp", purchase({ timestamp: "yesterday" }), {}, "invalid_data"],
    ["data not JSON", "{oops", {}, "invalid_event"],
    ["data is an array", [purchase()], {}, "invalid_data"],
    ["empty ce-id", purchase(), { "ce-id": "" }, "invalid_event"],
    ["wrong specversion", purchase(), { "ce-specversion": "0.9" }, "invalid_event"],
  ];
  for (const [name, data, headers, error] of invalid) {
    test(`When the event has ${name}, then 400 ${error} and nothing is stored`, async () => {
      const before = await collection.countDocuments({});
      const res = await binary(unique("bad"), data, headers);
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error, error);
      assert.equal(typeof body.message, "string");
      assert.equal(await collection.countDocuments({}), before);
    });
  }

  test("When the body is not a CloudEvent at all, then 400", async () => {
    const res = await app.request("/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 400);
  });

  test("When a batch of CloudEvents arrives, then 400 invalid_event, counted as invalid_event, and nothing is stored", async () => {
    const rejected = async () => {
      const metrics = await (await app.request("/metrics")).text();
      return Number(metrics.match(/purchases_rejected_total\{[^}]*reason="invalid_event"[^}]*\} (\d+)/)?.[1]);
    };
    const [before, countBefore] = [await rejected(), await collection.countDocuments({})];
    const event = { specversion: "1.0", id: unique("batch"), source: "/test", type: "t", data: purchase() };
    const res = await app.request("/", {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: JSON.stringify([event]),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "invalid_event");
    assert.equal(await rejected(), before + 1);
    assert.equal(await collection.countDocuments({}), countBefore);
  });

  test("When the database is stopped, then 503 (retryable) and health 503; after restart it stores again", async () => {
    await stack("stop", "mongo");
    try {
      const res = await binary(unique("down"), purchase({ user_id: "down" }));
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error, "database_unavailable");
      await sleep(1100);
      assert.equal((await app.request("/health")).status, 503);
    } finally {
      await stack("start", "mongo");
    }
    const id = unique("up");
    await waitFor(
      "a store after restart",
      async () => (await binary(id, purchase({ user_id: "down" }))).status === 200,
      { timeoutMs: 30_000, everyMs: 300 },
    );
    assert.equal(await collection.countDocuments({ user_id: "down" }), 1);
    await waitFor("health", async () => (await app.request("/health")).status === 200, {
      timeoutMs: 10_000,
      everyMs: 300,
    });
  });

  test("When the metrics are read, then persisted, duplicate and rejected counters are there", async () => {
    const text = await (await app.request("/metrics")).text();
    assert.match(text, /purchases_persisted_total\{service="purchase-persist"\} \d+/);
    assert.match(text, /purchases_duplicate_total\{service="purchase-persist"\} [1-9]/);
    assert.match(text, /purchases_rejected_total\{reason="invalid_data",service="purchase-persist"\} [1-9]/);
    assert.match(text, /purchases_event_age_seconds_count/);
  });
});
