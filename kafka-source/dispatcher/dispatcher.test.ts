// Integration: the dispatcher as a child process against the local Kafka and a real HTTP sink.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dispatcherSuite,
  metric,
  startDispatcher,
  startSink,
  writeManifest,
} from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher: delivery to the sink", () => {
  const suite = dispatcherSuite();
  const { running } = suite;

  /** A topic, a sink answering `reply`, and a dispatcher between them (fast retries unless given). */
  async function setup(reply?: Parameters<typeof startSink>[0], delivery: Record<string, unknown> = {}) {
    const topic = await suite.kafka.topic(1);
    const dlq = await suite.kafka.topic(1);
    const sink = await startSink(reply);
    running.push(sink);
    const manifest = writeManifest(
      {},
      { retry: 3, backoffPolicy: "linear", backoffDelay: "PT0.05S", ...delivery },
    );
    const proc = await startDispatcher({
      KAFKA_SOURCE_MANIFEST: manifest,
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    running.push(proc);
    return { topic, dlq, sink, proc };
  }

  test("When a plain JSON record and a binary CloudEvent record are produced, then both arrive in binary mode with KafkaSource attributes", async () => {
    const { topic, sink } = await setup();
    await suite.kafka.producer.send({
      topic,
      messages: [
        {
          key: "user-1",
          value: '{"item":"book"}',
          headers: { "content-type": "application/json", "X-Trace": "t1" },
        },
        {
          value: '{"item":"pen"}',
          headers: {
            ce_specversion: "1.0",
            ce_id: "purchase-42",
            ce_source: "/buy",
            ce_type: "purchase.created",
            "content-type": "application/json",
          },
        },
      ],
    });
    await waitFor("both events at the sink", async () => sink.delivered().length >= 2);
    const [plain, ce] = sink.delivered();
    assert.equal(plain?.headers["ce-id"], "partition:0/offset:0");
    assert.equal(
      plain?.headers["ce-source"],
      `/apis/v1/namespaces/purchases/kafkasources/purchases-source#${topic}`,
    );
    assert.equal(plain?.headers["ce-type"], "dev.knative.kafka.event");
    assert.equal(plain?.headers["ce-subject"], "partition:0#0");
    assert.equal(plain?.headers["ce-key"], "user-1");
    assert.equal(plain?.headers["ce-partitionkey"], "user-1");
    assert.equal(plain?.headers["ce-kafkaheaderxtrace"], "t1");
    assert.ok(plain?.headers["ce-time"], "time is the record timestamp");
    assert.equal(plain?.headers["content-type"], "application/json");
    assert.equal(plain?.body.toString(), '{"item":"book"}');
    assert.equal(ce?.headers["ce-id"], "purchase-42");
    assert.equal(ce?.headers["ce-type"], "purchase.created");
    assert.equal(ce?.headers["ce-knativekafkaoffset"], "1");
    assert.equal(ce?.headers["ce-knativekafkapartition"], "0");
    assert.equal(ce?.body.toString(), '{"item":"pen"}');
  });

  test("When the sink answers 503 once, then the event is retried and delivered once", async () => {
    const { topic, sink, proc } = await setup((_req, attempt) => (attempt === 1 ? 503 : 200));
    await suite.kafka.producer.send({ topic, messages: [{ value: '{"n":1}' }] });
    await waitFor("the retried delivery", async () => sink.delivered().length === 1);
    assert.deepEqual(
      sink.received.map((r) => r.status),
      [503, 200],
    );
    await waitFor(
      "the retry counted",
      async () => (await metric(proc.url, "kafka_source_events_retried_total")) >= 1,
    );
    assert.equal(await metric(proc.url, "kafka_source_events_dispatched_total"), 1);
  });

  test("When the sink answers 400, then the event goes straight to the DLQ with the error extensions and later records still arrive", async () => {
    const { topic, dlq, sink } = await setup((req) =>
      req.body.toString().includes("bad") ? { status: 400, body: "bad purchase" } : 200,
    );
    await suite.kafka.producer.send({
      topic,
      messages: ['{"n":0}', '{"bad":1}', '{"n":2}'].map((value) => ({ value })),
    });
    await waitFor("the good records", async () => sink.delivered().length === 2);
    assert.equal(sink.received.filter((r) => r.status === 400).length, 1, "a 400 is not retried");
    const [dead] = await waitFor("the dead letter", async () => {
      const records = await suite.kafka.read(dlq);
      return records.length > 0 && records;
    });
    const h = Object.fromEntries(dead?.headers.map(([k, v]) => [k, v.toString()]) ?? []);
    assert.equal(h.ce_id, "partition:0/offset:1");
    assert.equal(h.ce_knativeerrordest, sink.url);
    assert.equal(h.ce_knativeerrorcode, "400");
    assert.equal(Buffer.from(h.ce_knativeerrordata ?? "", "base64").toString(), "bad purchase");
    assert.equal(dead?.value?.toString(), '{"bad":1}');
    assert.deepEqual(
      sink.delivered().map((r) => r.offset),
      [0, 2],
    );
  });

  test("When an attempt outlasts delivery.timeout, then it is abandoned and retried", async () => {
    const { topic, sink } = await setup(
      (_req, attempt) => ({ status: 200, delayMs: attempt === 1 ? 1500 : 0 }),
      {
        timeout: "PT0.3S",
      },
    );
    await suite.kafka.producer.send({ topic, messages: [{ value: '{"slow":true}' }] });
    await waitFor("two attempts", async () => sink.received.length === 2);
    assert.deepEqual(
      sink.received.map((r) => r.id),
      ["partition:0/offset:0", "partition:0/offset:0"],
    );
  });

  test("When the dead-letter sink is an HTTP URL, then the failed event is POSTed there with the error extensions", async () => {
    const dls = await startSink();
    running.push(dls);
    const topic = await suite.kafka.topic(1);
    const sink = await startSink(() => ({ status: 403, body: "forbidden" }));
    running.push(sink);
    const proc = await startDispatcher({
      KAFKA_SOURCE_MANIFEST: writeManifest({}, { retry: 3 }),
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: dls.url,
    });
    running.push(proc);
    await suite.kafka.producer.send({ topic, messages: [{ value: "x" }] });
    const [dead] = await waitFor(
      "the dead letter",
      async () => dls.delivered().length === 1 && dls.delivered(),
    );
    assert.equal(sink.received.length, 1, "403 is not retried");
    assert.equal(dead?.headers["ce-id"], "partition:0/offset:0");
    assert.equal(dead?.headers["ce-knativeerrorcode"], "403");
    assert.equal(dead?.headers["ce-knativeerrordest"], sink.url);
    assert.equal(Buffer.from(dead?.headers["ce-knativeerrordata"] ?? "", "base64").toString(), "forbidden");
    assert.equal(dead?.body.toString(), "x");
  });

  test("When the sink is down for a while, then connection errors are retried and everything arrives", async () => {
    const reserved = await startSink();
    const port = reserved.port;
    await reserved.close(); // nothing listens on `port` now: connection refused
    const topic = await suite.kafka.topic(1);
    const manifest = writeManifest(
      { ordering: "ordered" },
      { retry: 20, backoffPolicy: "linear", backoffDelay: "PT0.1S" },
    );
    const proc = await startDispatcher({
      KAFKA_SOURCE_MANIFEST: manifest,
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: `http://127.0.0.1:${port}/`,
      KAFKA_SOURCE_DLQ: "none",
    });
    running.push(proc);
    await suite.kafka.producer.send({ topic, messages: [1, 2, 3].map((n) => ({ value: `{"n":${n}}` })) });
    await waitFor(
      "a refused retry",
      async () => (await metric(proc.url, "kafka_source_events_retried_total")) >= 2,
    );
    const sink = await startSink(() => 200, port);
    running.push(sink);
    await waitFor("all three events", async () => sink.delivered().length === 3, { timeoutMs: 20_000 });
    assert.deepEqual(
      sink.delivered().map((r) => r.offset),
      [0, 1, 2],
    );
  });
});
