// Integration: the project's own delivery policy (kafka-source.yaml, no overrides) between the local
// Kafka and a real HTTP sink: a 400 is dead-lettered on its first answer, a 503 is retried.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dispatcherSuite, startDispatcher, startSink } from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: the project's delivery policy", () => {
  const suite = dispatcherSuite();

  test("When the sink answers 400 for one event and 503 twice for another, then the 400 is dead-lettered at once and the other delivered", async () => {
    const topic = await suite.kafka.topic(1);
    const dlq = await suite.kafka.topic(1);
    const sink = await startSink((req, attempt) => {
      if (req.body.toString().includes("poison")) return { status: 400, body: "invalid" };
      return attempt <= 2 ? 503 : 200;
    });
    suite.running.push(sink);
    const proc = await startDispatcher({
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    suite.running.push(proc);
    await suite.kafka.producer.send({
      topic,
      messages: ['{"outage":1}', '{"poison":1}'].map((value) => ({ value })),
    });
    const [dead] = await waitFor("the dead letter", async () => {
      const records = await suite.kafka.read(dlq);
      return records.length > 0 && records;
    });
    assert.equal(dead?.value?.toString(), '{"poison":1}');
    // The linear policy waits 1 s, then 2 s: the retried event is delivered on its third attempt.
    await waitFor("the retried event", async () => sink.delivered().length === 1, { timeoutMs: 20_000 });
    const statuses = (offset: number) =>
      sink.received.filter((r) => r.offset === offset).map((r) => r.status);
    assert.deepEqual(statuses(0), [503, 503, 200]);
    assert.deepEqual(statuses(1), [400], "a 400 is not retried");
    assert.equal((await suite.kafka.read(dlq)).length, 1, "only the 400 was dead-lettered");
  });
});
