// Integration: a commit counts once the broker stored it. librdkafka's commitCb only reports that the
// commit was queued, so the consumer asks the coordinator afterwards (consumer.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../../functions/shared/logging.ts";
import { dispatcherSuite } from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { testConfig } from "../../harness/stack.ts";
import { waitFor } from "../../harness/wait.ts";
import { createSourceConsumer } from "./consumer.ts";
import type { TopicPartition } from "./scheduler.ts";

describe("dispatcher: commits", () => {
  const suite = dispatcherSuite();

  test("When the broker refuses part of a commit, then only what it stored is reported committed", async () => {
    const topic = await suite.kafka.topic(1);
    await suite.kafka.producer.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
    let assigned: TopicPartition[] = [];
    const consumer = createSourceConsumer(
      {
        bootstrapServers: testConfig().KAFKA_BOOTSTRAP_SERVERS,
        group: unique("g"),
        topics: [topic],
        initialOffset: "earliest",
        sessionTimeoutMs: 6000,
        maxPollIntervalMs: 6000,
      },
      {
        assigned: (tps) => {
          assigned = tps;
        },
        revoked: async () => {},
      },
      createLogger("silent"),
    );
    await consumer.connect();
    try {
      // A new group's first join and fetch: seconds, longer on a busy broker.
      await waitFor("records", async () => (await consumer.poll(10)).length > 0 && assigned.length > 0, {
        timeoutMs: 60_000,
      });
      const missing = { topic: unique("no-such-topic"), partition: 0, offset: 1 };
      const stored = await consumer.commit([{ topic, partition: 0, offset: 2 }, missing]);
      assert.deepEqual(stored, [{ topic, partition: 0, offset: 2 }]);
    } finally {
      // Bounded: a consumer closed while it is still joining its group can wait in librdkafka for
      // long; the test must end either way (npm test's --test-force-exit ends the file after it).
      await Promise.race([consumer.close(), sleep(15_000)]);
    }
  });
});
