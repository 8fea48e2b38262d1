import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Kafka from "@confluentinc/kafka-javascript";
import { unique } from "../../harness/names.ts";
import { testConfig } from "../../harness/stack.ts";
import { freshTopic, readRecords } from "../../harness/topics.ts";
import { createAdmin, createKafka, createProducer, ensureTopic } from "./kafka.ts";

describe("kafka (real broker)", () => {
  test("When a record with key and headers is produced, then it is consumed back intact", async () => {
    const topic = await freshTopic("roundtrip");
    const producer = createProducer(createKafka(testConfig(), unique("p")), { timeoutMs: 5000 });
    await producer.connect();
    try {
      const [meta] = await producer.send({
        topic,
        messages: [
          {
            key: "user-7",
            value: '{"hello":"kafka"}',
            headers: { ce_id: "abc", "content-type": "application/json" },
          },
        ],
      });
      assert.equal(meta?.topicName, topic);
      const [record] = await readRecords(topic, 1);
      assert.equal(record?.key, "user-7");
      assert.equal(record?.value, '{"hello":"kafka"}');
      assert.equal(record?.headers.ce_id, "abc");
      assert.equal(record?.partition, meta?.partition);
      assert.equal(record?.offset, Number(meta?.baseOffset));
    } finally {
      await producer.disconnect();
    }
  });

  test("When ensureTopic runs twice, then the topic exists once with the asked partitions", async () => {
    const admin = createAdmin(createKafka(testConfig(), unique("a")));
    await admin.connect();
    try {
      const topic = unique("ensure");
      assert.equal(await ensureTopic(admin, { topic, partitions: 3 }), true);
      assert.equal(await ensureTopic(admin, { topic, partitions: 3 }), false);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(meta[0]?.partitions.length, 3);
    } finally {
      await admin.disconnect();
    }
  });

  test("When partitions are added to a topic, then the producer writes to a new one within a few metadata refreshes", async () => {
    const refreshMs = 500;
    const topic = await freshTopic("grow", 1);
    const producer = createProducer(createKafka(testConfig(), unique("p")), {
      timeoutMs: 5000,
      metadataRefreshMs: refreshMs,
    });
    await producer.connect();
    const admin = Kafka.AdminClient.create({
      "bootstrap.servers": testConfig().KAFKA_BOOTSTRAP_SERVERS.join(","),
    });
    try {
      await producer.send({ topic, messages: [{ key: "k", value: "before" }] });
      await new Promise<void>((resolve, reject) =>
        admin.createPartitions(topic, 3, 10_000, (err) => (err ? reject(err) : resolve())),
      );
      // Counted in refresh intervals, not milliseconds: each round sends 20 keys (with 3
      // partitions, all 20 on partition 0 has odds 3^-20 once the producer knows of the others).
      let rounds = 0;
      let partitions = new Set<number>();
      for (; rounds < 10 && partitions.size < 2; rounds++) {
        await sleep(refreshMs);
        const messages = Array.from({ length: 20 }, (_, i) => ({
          key: `user-${rounds}-${i}`,
          value: "after",
        }));
        const metas = await producer.send({ topic, messages });
        partitions = new Set(metas.map((m) => m.partition));
      }
      assert.ok(partitions.size >= 2, `still only partition 0 after ${rounds} refresh intervals`);
    } finally {
      admin.disconnect();
      await producer.disconnect();
    }
  });
});
