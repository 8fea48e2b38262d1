// Integration: a sink outage longer than the consumer's max.poll.interval.ms. With its buffer full
// the dispatcher has no room for records, yet it must keep polling: librdkafka drops a consumer that
// has not polled for max.poll.interval.ms from the group, and a rebalance (a new replica joining)
// waits for every member's next poll.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  dispatcherSuite,
  startDispatcher,
  startSink,
  writeManifest,
} from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import type { Component } from "../../harness/process.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: a sink outage longer than max.poll.interval.ms", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  async function setup(count: number) {
    const topic = await suite.kafka.topic(4);
    const group = unique("g");
    let down = true;
    const sink = await startSink(() => (down ? 503 : 200));
    running.push(sink);
    const start = async (env: Record<string, string> = {}) => {
      const proc = await startDispatcher({
        // Retries outlast the outage (100 x 100 ms linear: ~8 min), as the project's policy does.
        KAFKA_SOURCE_MANIFEST: writeManifest(
          { ordering: "unordered" },
          { retry: 100, backoffPolicy: "linear", backoffDelay: "PT0.1S" },
        ),
        KAFKA_SOURCE_TOPICS: topic,
        KAFKA_SOURCE_GROUP: group,
        KAFKA_SOURCE_SINK_URL: sink.url,
        KAFKA_SOURCE_DLQ: "none",
        KAFKA_SOURCE_MAX_IN_FLIGHT: "5",
        ...env,
      });
      running.push(proc);
      return proc;
    };
    const produce = async (from: number, to: number) => {
      const messages = Array.from({ length: to - from }, (_, i) => ({
        key: `k${from + i}`,
        value: `{"n":${from + i}}`,
      }));
      await suite.kafka.producer.send({ topic, messages });
    };
    await produce(0, count);
    const delivered = () => new Set(sink.delivered().map((r) => `${r.partition}:${r.offset}`)).size;
    return { sink, start, delivered, produce, up: () => (down = false) };
  }

  /**
   * A first dispatcher that has paused fetching (the sink is down), then a second one joining. The
   * first serves the rebalance at its next poll: polling goes on while fetching is paused. (Before,
   * it polled only when its buffer had room, i.e. after the outage: up to max.poll.interval.ms,
   * 300 s by default, with the new replica idle.) The waits cover the second's start, its join and
   * the two cooperative rounds on a busy machine.
   */
  async function joinDuringOutage(start: () => Promise<Component>) {
    const first = await start();
    await waitFor("the buffer to fill and fetching to pause", async () =>
      /"msg":"fetching paused/.test(first.output()),
    );
    const second = await start();
    await waitFor(
      "the first to give up partitions",
      async () => /"msg":"partitions revoked"/.test(first.output()),
      { timeoutMs: 60_000 },
    );
    await waitFor(
      "the second to take them",
      async () => /"msg":"partitions assigned"/.test(second.output()),
      { timeoutMs: 60_000 },
    );
    return { first, second };
  }

  test("When the sink is down for twice max.poll.interval.ms, then the dispatcher keeps its partitions and delivers everything once it is back", async () => {
    const { sink, start, delivered, up } = await setup(60);
    const proc = await start({ KAFKA_SOURCE_MAX_POLL_INTERVAL_MS: "6000" });
    await waitFor("the buffer to fill and fetching to pause", async () =>
      /"msg":"fetching paused/.test(proc.output()),
    );
    // The outage itself: 12 s without a single 2xx, twice max.poll.interval.ms.
    await sleep(12_000);
    assert.equal(delivered(), 0, "nothing was delivered during the outage");
    assert.ok(sink.received.length > 5, "deliveries kept being retried");
    up();
    await waitFor("all 60 records", async () => delivered() === 60, { timeoutMs: 30_000 });
    assert.doesNotMatch(proc.output(), /"msg":"partitions revoked"/, "it never lost its partitions");
    assert.match(proc.output(), /"msg":"fetching resumed"/);
  });

  test("When a second dispatcher joins during the outage, then the rebalance completes without waiting for the outage to end", async () => {
    const { start, delivered, up } = await setup(60);
    await joinDuringOutage(start);
    assert.equal(delivered(), 0, "the sink is still down");
    up();
    await waitFor("all 60 records", async () => delivered() === 60, { timeoutMs: 30_000 });
  });

  test("When partitions revoked while fetching was paused come back after it resumed, then they are fetched again", async () => {
    // librdkafka keeps a partition's pause across its revocation: one that returns to this consumer
    // after the outage would stay paused for good, its records never fetched.
    const { start, delivered, produce, up } = await setup(60);
    const { first, second } = await joinDuringOutage(start);
    up();
    await waitFor("the first to resume fetching", async () =>
      /"msg":"fetching resumed"/.test(first.output()),
    );
    await waitFor("all 60 records", async () => delivered() === 60, { timeoutMs: 30_000 });
    // The second leaves: its partitions return to the first, which is no longer holding.
    assert.equal(await second.stop("SIGTERM"), 0);
    await waitFor(
      "the first to take every partition back",
      async () => (first.output().match(/"msg":"partitions assigned"/g) ?? []).length >= 2,
    );
    await produce(60, 120);
    await waitFor("all 120 records", async () => delivered() === 120, { timeoutMs: 30_000 });
  });
});
