// Integration: spec.ordering. The sink holds every request for a while and records how many were
// open at once, per partition (ce-knativekafkapartition) and in total.
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

describe("dispatcher: ordering", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  async function run(ordering: "ordered" | "unordered", partitions: number, count: number, delayMs: number) {
    const topic = await suite.kafka.topic(partitions);
    const sink = await startSink(() => ({ status: 200, delayMs }));
    running.push(sink);
    const proc = await startDispatcher({
      KAFKA_SOURCE_MANIFEST: writeManifest({ ordering }),
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: "none",
    });
    running.push(proc);
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}` }));
    await suite.kafka.producer.send({ topic, messages });
    await waitFor(`${count} events`, async () => sink.delivered().length === count, { timeoutMs: 20_000 });
    return sink;
  }

  test("When ordering is ordered, then a partition never has two events in flight and they arrive in offset order", async () => {
    const sink = await run("ordered", 2, 20, 30);
    assert.equal(sink.stats().maxActivePerPartition, 1);
    for (const p of [0, 1]) {
      const offsets = sink
        .delivered()
        .filter((r) => r.partition === p)
        .map((r) => r.offset);
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
        `partition ${p} in order`,
      );
    }
    assert.equal(sink.stats().maxActive, 2, "the two partitions still progress side by side");
  });

  test("When ordering is unordered, then several events of one partition are in flight at once", async () => {
    const sink = await run("unordered", 1, 20, 300);
    assert.ok(sink.stats().maxActivePerPartition > 1, `max in flight ${sink.stats().maxActivePerPartition}`);
    assert.ok(sink.stats().maxActive <= 50, "never more than max.poll.records");
  });
});
