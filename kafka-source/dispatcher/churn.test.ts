// Integration: replicas come and go while records flow, as KEDA scaling and rolling updates do:
// joins, clean stops (SIGTERM) and crashes (SIGKILL), each one a rebalance, some of them during the
// previous one. Every record must reach the sink, and every SIGTERM must end its process with 0.
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

describe("dispatcher: replicas joining and leaving", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  test("When dispatchers join, stop and crash while records flow, then every record is delivered and every SIGTERM exits 0", async () => {
    const topic = await suite.kafka.topic(6);
    const sink = await startSink(() => ({ status: 200, delayMs: 10 }));
    running.push(sink);
    const env = {
      KAFKA_SOURCE_MANIFEST: writeManifest({ ordering: "unordered" }),
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: "none",
      KAFKA_SOURCE_MAX_IN_FLIGHT: "10",
    };
    let produced = 0;
    const produce = async (n: number) => {
      const messages = Array.from({ length: n }, (_, i) => ({
        key: `k${produced + i}`,
        value: `{"n":${produced + i}}`,
      }));
      produced += n;
      await suite.kafka.producer.send({ topic, messages });
    };
    const delivered = () => new Set(sink.delivered().map((r) => `${r.partition}:${r.offset}`)).size;
    const replicas: Component[] = [];
    const join = async () => {
      const proc = await startDispatcher(env);
      running.push(proc);
      replicas.push(proc);
    };
    // SIGTERM has a bound: the dispatcher's own shutdown limit is the delivery timeout + 15 s.
    const terminate = async (i: number) => {
      const proc = replicas[i] as Component;
      const exit = await Promise.race([proc.stop("SIGTERM"), sleep(40_000, "still running", { ref: false })]);
      assert.equal(
        exit,
        0,
        `replica ${i} after SIGTERM: ${exit}\n${proc.output().split("\n").slice(-10).join("\n")}`,
      );
    };

    await produce(1000);
    await join();
    await waitFor("the first records", async () => delivered() >= 50);
    let flowing = true;
    const trickle = (async () => {
      while (flowing) {
        await produce(50);
        await sleep(250);
      }
    })();
    // Each step starts a rebalance; 2 s apart, some land while the one before is still settling.
    const steps = [
      join, // 1
      join, // 2
      () => terminate(1),
      () => replicas[0]?.stop("SIGKILL"),
      join, // 3
      () => terminate(2),
      join, // 4
      () => terminate(3),
    ];
    try {
      for (const step of steps) {
        await step();
        await sleep(2000);
      }
    } finally {
      flowing = false;
      await trickle;
    }
    // The crashed replica's partitions wait for its session to expire (6 s) before they move.
    await waitFor(`all ${produced} records`, async () => delivered() === produced, { timeoutMs: 60_000 });
  });
});
