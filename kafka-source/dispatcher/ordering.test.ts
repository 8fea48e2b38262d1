// Integration: spec.ordering. The sink holds every request for a while and records how many were
// open at once, per partition (ce-knativekafkapartition) and in total.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  dispatcherSuite,
  type Received,
  type Reply,
  startDispatcher,
  startSink,
  writeManifest,
} from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: ordering", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  async function run(
    ordering: "ordered" | "unordered",
    partitions: number,
    count: number,
    reply: (req: Received) => Reply,
  ) {
    const topic = await suite.kafka.topic(partitions);
    const sink = await startSink(reply);
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
    // Each answer waits until both partitions have sent a request (at most 5 s): they overlap unless
    // the dispatcher sends one partition's events only after the other's, which the last assert catches.
    const seen = new Set<number>();
    let resolve = () => {};
    const both = new Promise<void>((r) => {
      resolve = r;
    });
    const sink = await run("ordered", 2, 20, (req) => {
      seen.add(req.partition);
      if (seen.size === 2) resolve();
      return {
        status: 200,
        delayMs: 30,
        until: Promise.race([both, sleep(5000, undefined, { ref: false })]),
      };
    });
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
    const sink = await run("unordered", 1, 20, () => ({ status: 200, delayMs: 300 }));
    assert.ok(sink.stats().maxActivePerPartition > 1, `max in flight ${sink.stats().maxActivePerPartition}`);
    assert.ok(sink.stats().maxActive <= 50, "never more than max.poll.records");
  });
});
