// Integration: the purchases topic is deleted and recreated under the running system.
// The group's old position is out of range on the new topic; librdkafka resets it by initialOffset
// (earliest in kafka-source.yaml) and the dispatcher must deliver the new records from offset 0.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin, createKafka, createProducer, ensureTopic } from "../../functions/shared/kafka.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: a recreated topic", () => {
  const pipeline = isolatedPipeline("recreated");
  const { topic, dlq } = pipeline;
  const kafka = createKafka(testConfig(), unique("recreate"));
  const admin = createAdmin(kafka);
  const producer = createProducer(kafka, { timeoutMs: 10_000 });
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let system: System;

  before(async () => {
    db = await freshDatabase("recreated");
    const auth = await testAuth();
    system = await startSystem({
      env: { ...pipeline.env, ...auth.env, MONGODB_URI: db.uri, LOG_LEVEL: "info" },
    });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  after(async () => {
    await system?.stop();
    await admin.deleteTopics({ topics: [topic, dlq], timeout: 10_000 }).catch(() => {});
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    await db?.client.db().dropDatabase();
    await db?.client.close();
  });

  const stored = (user: string) => db.collection.countDocuments({ user_id: user });

  /** Plain JSON records, one per partition: on a new topic each lands at offset 0. */
  const producePlain = (user: string) =>
    producer.send({
      topic,
      messages: [0, 1, 2].map((partition) => ({
        partition,
        value: JSON.stringify({
          username: user,
          user_id: user,
          item_name: `Item ${partition}`,
          price: 2.5,
          timestamp: new Date().toISOString(),
        }),
      })),
    });

  test("When the topic is deleted and recreated under a running dispatcher, then the new records are stored", async () => {
    // Move the group's committed position well past what the new topic will hold. Through buy, so
    // that these events have ids of their own: plain records at the same partition/offset would
    // share their identity with the new ones.
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${system.url("gateway")}/buy`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(await (await testAuth()).headers(`before-${i}`)) },
        body: "{}",
      });
      assert.equal(res.status, 202, await res.text());
    }
    await waitFor("the first purchases stored", async () => (await db.collection.countDocuments({})) === 12);

    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    await waitFor("the topic gone", async () => !(await admin.listTopics()).includes(topic));
    await ensureTopic(admin, { topic, partitions: 3 });
    await waitFor(
      "the producer to see the new topic",
      async () => {
        await producePlain("after");
        return true;
      },
      { timeoutMs: 30_000, everyMs: 1000 },
    );

    // A send that failed part-way may have been repeated: at least the three, each one stored.
    await waitFor("the new purchases stored", async () => (await stored("after")) >= 3, {
      timeoutMs: 60_000,
    });
    const health = await waitFor("the management API to see no lag", async () => {
      const h = await (await fetch(`${system.url("customer-management")}/health`)).json();
      return h.lag === 0 ? h : undefined;
    });
    assert.equal(health.kafka, "consuming");
    const persisted = await db.collection.find({ user_id: "after" }).toArray();
    assert.deepEqual([...new Set(persisted.map((p) => p.item_name))].sort(), ["Item 0", "Item 1", "Item 2"]);
  });
});
