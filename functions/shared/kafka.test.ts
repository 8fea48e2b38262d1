import assert from "node:assert/strict";
import { describe, test } from "node:test";
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
});
