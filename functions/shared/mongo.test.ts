import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MongoServerError } from "mongodb";
import { freshDatabase } from "../../harness/databases.ts";
import { ensureIndexes, isDuplicateKey } from "./mongo.ts";
import type { PurchaseDoc } from "./purchase.ts";

const doc = (id: string, eventId: string): PurchaseDoc => ({
  _id: id,
  username: "u",
  user_id: "u",
  item_name: "Pen",
  price: 1,
  price_cents: 100,
  timestamp: new Date(),
  created_at: new Date(),
  event_id: eventId,
  event_source: "/src",
});

describe("mongo (real FerretDB)", () => {
  test("When a document is inserted, then it reads back; a duplicate id or event identity gives 11000", async () => {
    const { client, collection } = await freshDatabase("roundtrip");
    try {
      await collection.insertOne(doc("p1", "e1"));
      assert.equal((await collection.findOne({ _id: "p1" }))?.item_name, "Pen");
      await assert.rejects(collection.insertOne(doc("p1", "e2")), (err) => {
        assert.ok(err instanceof MongoServerError && isDuplicateKey(err));
        return true;
      });
      await assert.rejects(collection.insertOne(doc("p2", "e1")), (err) => isDuplicateKey(err));
      assert.equal(await collection.countDocuments({}), 1);
    } finally {
      await client.close();
    }
  });

  test("When ensureIndexes runs (twice), then the unique event index and the history index exist", async () => {
    const { client, collection } = await freshDatabase("indexes");
    try {
      await ensureIndexes(collection);
      const indexes = await collection.indexes();
      const byName = new Map(indexes.map((i) => [i.name, i]));
      assert.deepEqual(byName.get("event_identity")?.key, { event_source: 1, event_id: 1 });
      assert.equal(byName.get("event_identity")?.unique, true);
      assert.deepEqual(byName.get("user_history")?.key, { user_id: 1, timestamp: -1, _id: -1 });
      assert.ok(byName.has("_id_"));
    } finally {
      await client.close();
    }
  });
});
