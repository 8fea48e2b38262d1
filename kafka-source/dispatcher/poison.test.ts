// Integration (issue 24, points 1 and 8): records that cannot be sent, or that the sink refuses, are
// dead-lettered as the original record (key, value bytes, headers unchanged) with a reason naming
// their partition and offset, and their partition goes on: lag returns to 0.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dispatcherSuite,
  startDispatcher,
  startSink,
  writeManifest,
} from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { waitFor } from "../../harness/wait.ts";
import { splitDeadLetter } from "./dead-letter-record.ts";

const ce = { specversion: "1.0", source: "/buy", type: "purchase.created" };
const STRUCTURED = { "content-type": "application/cloudevents+json" };

/** The bad records of the issue, each followed by a good one on the same partition. */
const poison = [
  {
    why: /"content-type".*ERR_INVALID_CHAR/,
    headers: STRUCTURED,
    value: JSON.stringify({ ...ce, id: "p-1", datacontenttype: "application/json\u0001", data: { n: 1 } }),
  },
  {
    why: /name "ce-bad name" is no HTTP token.*ERR_INVALID_HTTP_TOKEN/,
    headers: { ce_specversion: "1.0", ce_id: "p-2", ce_source: "/buy", ce_type: "t", "ce_bad name": "v" },
    value: '{"n":2}',
  },
  {
    why: /"content-type".*ERR_INVALID_CHAR/,
    headers: { "content-type": "application/json\u0007", "X-Trace": "t-3" },
    value: '{"n":3}',
  },
  {
    // A structured CloudEvent with garbage data_base64: wrapped as an invalid CloudEvent, refused
    // by the sink; its dead letter still holds the JSON document, not bytes decoded from garbage.
    why: /refused/,
    headers: STRUCTURED,
    value: JSON.stringify({ ...ce, id: "p-4", data_base64: "refuse%%%not-base64" }),
  },
];

describe("dispatcher: records that cannot be sent", () => {
  const suite = dispatcherSuite();

  test("When poison records sit between good ones, then each is dead-lettered as the original record with its position and reason, the good ones arrive, and lag returns to 0", async () => {
    const { kafka } = suite;
    const topic = await kafka.topic(2);
    const dlq = await kafka.topic(1);
    const group = unique("g");
    const sink = await startSink((req) =>
      req.body.toString().includes("refuse") ? { status: 400, body: "refused" } : 200,
    );
    suite.running.push(sink);
    const proc = await startDispatcher({
      KAFKA_SOURCE_MANIFEST: writeManifest(
        {},
        { retry: 2, backoffPolicy: "linear", backoffDelay: "PT0.05S" },
      ),
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: group,
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    suite.running.push(proc);

    const messages = poison.flatMap((p, i) => [
      { partition: i % 2, key: `bad-${i}`, value: p.value, headers: p.headers },
      { partition: i % 2, key: `good-${i}`, value: `{"good":${i}}` },
    ]);
    await kafka.producer.send({ topic, messages });
    const produced = await kafka.read(topic);

    await waitFor(
      "the good records",
      async () => sink.delivered().filter((r) => r.body.includes("good")).length === 4,
    );
    const letters = await waitFor("four dead letters", async () => {
      const read = await kafka.read(dlq);
      return read.length === 4 && read;
    });
    for (const [i, p] of poison.entries()) {
      const original = produced.find((r) => r.key?.toString() === `bad-${i}`);
      assert.ok(original, `bad-${i} on the topic`);
      const letter = letters.find((l) => {
        const { failure } = splitDeadLetter(l);
        return (
          failure.knativekafkapartition === String(original.partition) &&
          failure.knativekafkaoffset === String(original.offset)
        );
      });
      assert.ok(letter, `a dead letter for bad-${i} at ${original.partition}@${original.offset}`);
      assert.deepEqual(letter.key, original.key, "the key unchanged");
      assert.deepEqual(letter.value, original.value, "the value bytes unchanged");
      assert.deepEqual(
        letter.headers.slice(0, original.headers.length),
        original.headers,
        "the original headers first, unchanged",
      );
      const { failure } = splitDeadLetter(letter);
      const reason = Buffer.from(failure.knativeerrordata ?? "", "base64").toString();
      assert.match(reason, p.why);
      if (failure.knativeerrorcode === undefined)
        assert.ok(reason.startsWith(`record ${topic}/${original.partition}@${original.offset}: `), reason);
    }

    const ends = await kafka.admin.fetchTopicOffsets(topic);
    await waitFor("lag 0 on every partition", async () => {
      const committed = await kafka.committed(group, topic);
      return ends.every((e) => committed.get(e.partition) === Number(e.high));
    });
  });
});
