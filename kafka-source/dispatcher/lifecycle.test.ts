// Integration: at-least-once across a crash (SIGKILL) and a clean stop (SIGTERM).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  dispatcherSuite,
  type Sink,
  startDispatcher,
  startSink,
  writeManifest,
} from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: crash and shutdown", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  async function setup(count: number, delayMs: number | (() => number)) {
    const topic = await suite.kafka.topic(3);
    const group = unique("g");
    const sink = await startSink(() => ({
      status: 200,
      delayMs: typeof delayMs === "number" ? delayMs : delayMs(),
    }));
    running.push(sink);
    const env = {
      KAFKA_SOURCE_MANIFEST: writeManifest({ ordering: "unordered" }),
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: group,
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: "none",
      KAFKA_SOURCE_MAX_IN_FLIGHT: "10",
    };
    const start = async () => {
      const proc = await startDispatcher(env);
      running.push(proc);
      return proc;
    };
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}` }));
    await suite.kafka.producer.send({ topic, messages });
    return { topic, group, sink, start };
  }

  /** Per partition: how many offsets arrived and the highest one. */
  const perPartition = (got: Set<string>) => {
    const out: Record<string, { count: number; max: number }> = {};
    for (const key of got) {
      const [p, o] = key.split(":");
      const entry = out[p as string] ?? { count: 0, max: -1 };
      out[p as string] = { count: entry.count + 1, max: Math.max(entry.max, Number(o)) };
    }
    return out;
  };
  const delivered = (sink: Sink) => new Set(sink.delivered().map((r) => `${r.partition}:${r.offset}`));

  test("When the dispatcher is killed mid-stream and restarted, then every record is delivered at least once", async () => {
    const { sink, start } = await setup(300, 5);
    const first = await start();
    await waitFor("a third of the records", async () => delivered(sink).size >= 100);
    assert.equal(await first.stop("SIGKILL"), null);
    const before = delivered(sink).size;
    assert.ok(before < 300, "killed before the end");
    await start();
    await waitFor("all 300 records", async () => delivered(sink).size === 300, { timeoutMs: 25_000 });
    const values = new Set(sink.delivered().map((r) => r.body.toString()));
    assert.equal(values.size, 300, "every value arrived");
  });

  test("When a second dispatcher joins the group, then the first gives up partitions and every record is delivered", async () => {
    // Slow until the rebalance, so that records are still in flight when it happens: 1 s per record
    // with 10 in flight is 40 s of work, far more than a second dispatcher takes to join. (At 100 ms,
    // a machine where the join took over 4 s saw every record delivered before the rebalance.)
    let slow = true;
    const { sink, start } = await setup(400, () => (slow ? 1000 : 5));
    const first = await start();
    await waitFor("some records", async () => delivered(sink).size >= 20);
    const second = await start();
    await waitFor("the first to give up partitions", async () =>
      /"msg":"partitions revoked"/.test(first.output()),
    );
    await waitFor("the second to take them", async () => /"msg":"partitions assigned"/.test(second.output()));
    slow = false;
    await waitFor("all 400 records", async () => delivered(sink).size === 400, { timeoutMs: 25_000 }).catch(
      (err) => {
        // What a failure needs for its diagnosis: the records missing and both dispatchers' rebalances.
        const got = delivered(sink);
        const missing = 400 - got.size;
        const events = (out: string) =>
          out.split("\n").filter((l) => /revoked|assigned|commit failed|poll failed|fetching/.test(l));
        throw new Error(
          `${err.message}: ${missing} missing; delivered per partition ${JSON.stringify(perPartition(got))}\n` +
            `first:\n${events(first.output()).join("\n")}\nsecond:\n${events(second.output()).join("\n")}`,
        );
      },
    );
  });

  test("When the dispatcher gets SIGTERM in the middle of a rebalance, then it exits 0 and every record is delivered", async () => {
    // The rebalance's second round (the partitions for each member) reaches the first dispatcher
    // while it closes: the binding then refuses assign calls, and an exception in the rebalance
    // callback ended the process while librdkafka's close waited for that callback, so it never
    // exited (seen in a churn of joins and stops).
    let slow = true;
    const { sink, start } = await setup(200, () => (slow ? 1000 : 5));
    const first = await start();
    await waitFor("some records", async () => delivered(sink).size >= 10);
    const second = await start();
    await waitFor("the first to give up partitions", async () =>
      /"msg":"partitions revoked"/.test(first.output()),
    );
    const exit = await Promise.race([first.stop("SIGTERM"), sleep(40_000, "still running", { ref: false })]);
    assert.equal(exit, 0, `exit: ${exit}\n${first.output().split("\n").slice(-12).join("\n")}`);
    assert.doesNotMatch(first.output(), /KafkaConsumer is disconnected|rebalance callback failed/);
    slow = false;
    await waitFor("all 200 records", async () => delivered(sink).size === 200, { timeoutMs: 25_000 });
    assert.equal(second.child.exitCode, null, "the second dispatcher still runs");
  });

  test("When the dispatcher gets SIGTERM, then it exits 0 and the committed offsets cover exactly delivered records", async () => {
    const { topic, group, sink, start } = await setup(200, 20);
    const proc = await start();
    await waitFor("some records", async () => delivered(sink).size >= 40);
    assert.equal(await proc.stop("SIGTERM"), 0);
    assert.match(proc.output(), /"msg":"stopped"/);
    const got = delivered(sink);
    const committed = await suite.kafka.committed(group, topic);
    assert.ok(committed.size > 0, "something was committed");
    for (const [partition, next] of committed) {
      for (let o = 0; o < next; o++)
        assert.ok(got.has(`${partition}:${o}`), `committed ${partition}:${o} was delivered`);
    }
    for (const key of got) {
      const [p, o] = key.split(":").map(Number);
      assert.ok(
        (o as number) < (committed.get(p as number) ?? 0),
        `delivered ${key} is covered by the commit`,
      );
    }
  });
});
