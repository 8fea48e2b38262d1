// Fault campaign, identity case: on the whole running system, a different purchase that
// reuses an event identity is never acknowledged as stored or duplicate: it ends in the dead-letter
// topic with a 422 identity_conflict naming the stored purchase, and `scripts/dlq.ts replay --new-id`
// stores it. A topic deleted and recreated under the system starts its offsets again at 0: the new
// record on a used partition/offset is stored as the new purchase it is.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin, createKafka, createProducer, ensureTopic } from "../../functions/shared/kafka.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { spawnComponent } from "../../harness/process.ts";
import { testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { readRecords, recordCount, runDlqTool } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";

const pipeline = isolatedPipeline("identity");
const { topic, dlq, group } = pipeline;
const kafka = createKafka(testConfig(), unique("identity"));
const admin = createAdmin(kafka);
const producer = createProducer(kafka, { timeoutMs: 10_000 });
let db: Awaited<ReturnType<typeof freshDatabase>>;
let system: System;
let env: Record<string, string>;

before(async () => {
  db = await freshDatabase("identity");
  env = { ...pipeline.env, MONGODB_URI: db.uri, LOG_LEVEL: "info" };
  system = await startSystem({ env });
  await Promise.all([admin.connect(), producer.connect()]);
});

after(async () => {
  await system?.stop();
  await producer.disconnect().catch(() => {});
  await admin.deleteTopics({ topics: [topic, dlq], timeout: 10_000 }).catch(() => {});
  await admin.disconnect().catch(() => {});
  await db?.client
    .db()
    .dropDatabase()
    .catch(() => {});
  await db?.client.close();
});

const purchase = (user: string, item_name: string, price: number) => ({
  username: "Erin",
  user_id: user,
  item_name,
  price,
  timestamp: new Date().toISOString(),
});
const items = async (user: string) =>
  (await db.collection.find({ user_id: user }).toArray()).map((d) => d.item_name).sort();
const metric = async (name: RegExp) =>
  Number((await (await fetch(`${system.url("purchase-persist")}/metrics`)).text()).match(name)?.[1] ?? 0);

describe("fault campaign: reused identities", () => {
  test("When a different purchase reuses a CloudEvent's (source, id), then it is dead-lettered with 422 identity_conflict naming the stored purchase, never stored; replay --new-id stores it", async () => {
    const user = unique("erin");
    const id = unique("reused");
    const send = (data: unknown) =>
      producer.send({
        topic,
        messages: [
          {
            partition: 0,
            key: user,
            value: JSON.stringify(data),
            headers: {
              ce_specversion: "1.0",
              ce_id: id,
              ce_source: "/faults/identity",
              ce_type: "org.example.faults.purchase.v1",
              "content-type": "application/json",
            },
          },
        ],
      });
    await send(purchase(user, "Laptop", 999.99));
    await waitFor("the Laptop stored", async () => (await items(user)).length === 1, { timeoutMs: 30_000 });
    const [laptop] = await db.collection.find({ user_id: user }).toArray();

    const duplicatesBefore = await metric(/purchases_duplicate_total\{[^}]*\} (\d+)/);
    await send(purchase(user, "Desk", 249));
    await waitFor("a dead letter", async () => (await recordCount(dlq)) === 1, { timeoutMs: 30_000 });
    const [letter] = await readRecords(dlq, 1);
    assert.equal(letter?.headers.ce_id, id);
    assert.equal(letter?.headers.ce_knativeerrorcode, "422");
    const reason = Buffer.from(letter?.headers.ce_knativeerrordata ?? "", "base64").toString();
    assert.match(reason, /"error":"identity_conflict"/);
    assert.match(reason, new RegExp(`stored purchase ${laptop?._id} `));
    assert.deepEqual(await items(user), ["Laptop"]);
    assert.equal(await metric(/purchases_rejected_total\{reason="identity_conflict"[^}]*\} (\d+)/), 1);
    const duplicates = await metric(/purchases_duplicate_total\{[^}]*\} (\d+)/);
    assert.equal(duplicates, duplicatesBefore, "not counted as a duplicate");

    const replay = await runDlqTool(
      "replay",
      `0:${letter?.offset}`,
      "--new-id",
      "--topic",
      dlq,
      "--to",
      topic,
    );
    assert.equal(replay.code, 0, replay.out);
    assert.match(replay.out, new RegExp(`\\(was ${id}\\)`));
    await waitFor("the Desk stored", async () => (await items(user)).length === 2, { timeoutMs: 30_000 });
    assert.deepEqual(await items(user), ["Desk", "Laptop"]);
    assert.equal(await recordCount(dlq), 1, "the replay was not dead-lettered again");
  });

  test("When the topic is deleted and recreated, then a new plain record on a used partition/offset is stored as a new purchase", async () => {
    const user = unique("recreated");
    // A partition still empty, so that the record lands at offset 0 before and after.
    const empty = (await admin.fetchTopicOffsets(topic)).find((p) => Number(p.high) === 0)?.partition;
    assert.notEqual(empty, undefined);
    const plain = (item: string, price: number) =>
      producer.send({
        topic,
        messages: [{ partition: empty, key: user, value: JSON.stringify(purchase(user, item, price)) }],
      });
    await plain("Chair", 89);
    await waitFor("the Chair stored", async () => (await items(user)).length === 1, { timeoutMs: 30_000 });
    const [chair] = await db.collection.find({ user_id: user }).toArray();

    // The dispatcher is stopped while the topic is replaced and started again, as a redeploy would.
    const dispatcher = system.components.get("kafka-source");
    await dispatcher?.stop();
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    await waitFor("the topic gone", async () => !(await admin.listTopics({ timeout: 5000 })).includes(topic));
    // Kafka drops a group's committed offsets of a deleted topic; before it has, a restarted
    // consumer would resume the new topic at the old position (past the record of this test).
    await waitFor("the group's offsets of the deleted topic dropped", async () => {
      const committed = await admin.fetchOffsets({ groupId: group, timeout: 5000 });
      return !committed.some((t) => t.topic === topic && t.partitions.some((p) => Number(p.offset) >= 0));
    });
    await waitFor("the topic recreated", async () => {
      await ensureTopic(admin, { topic, partitions: 3 });
      return (await admin.fetchTopicOffsets(topic)).length === 3;
    });
    system.components.set(
      "kafka-source",
      await spawnComponent({
        name: "kafka-source",
        entry: "kafka-source/dispatcher/main.ts",
        env: {
          ...env,
          ...(await testAuth()).senderEnv,
          KAFKA_BOOTSTRAP_SERVERS: testConfig().KAFKA_BOOTSTRAP_SERVERS.join(","),
          KAFKA_SOURCE_TOPICS: topic,
          KAFKA_SOURCE_GROUP: group,
          KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
          KAFKA_SOURCE_SINK_URL: system.url("purchase-persist"),
        },
      }),
    );

    await plain("Lamp", 35);
    await waitFor("the Lamp stored", async () => (await items(user)).length === 2, { timeoutMs: 30_000 });
    const lamp = await db.collection.findOne({ user_id: user, item_name: "Lamp" });
    assert.equal(
      lamp?.event_id,
      `${chair?.event_id}@${lamp?.event_time?.toISOString()}`,
      "the same partition/offset",
    );
    assert.notEqual(lamp?._id, chair?._id);
    assert.equal(await recordCount(dlq), 1, "nothing more dead-lettered");
  });
});
