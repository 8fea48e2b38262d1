// A caller's W3C trace context through the real broker, with tracing off and on at `buy`: the
// purchase record's ce_traceparent/ce_tracestate, the dispatcher's delivery headers, and the span a
// purchase-persist that does export joins to the caller's trace (OTLP/HTTP JSON, read by a sink here).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { type Sink, startDispatcher, startSink, writeManifest } from "../../harness/dispatcher-fixture.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import type { Component } from "../../harness/process.ts";
import { ensureTopics, startFunction } from "../../harness/system.ts";
import { deleteTopics, readRecords } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP collector of spans (the JSON encoding @opentelemetry/exporter-trace-otlp-http sends). */
async function startCollector() {
  const spans: OtlpSpan[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
const TRACESTATE = "congo=t61rcWkgMzE,rojo@vendor=00f067aa0ba902b7";

const pipeline = isolatedPipeline("passthrough");
const tracingOn = (url: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_BSP_SCHEDULE_DELAY: "100" });
let collector: Awaited<ReturnType<typeof startCollector>>;
let deliveries: Sink;
const running: Component[] = [];
let closeDb = async () => {};
const url = (name: string) => running.find((c) => c.name === name)?.url as string;

before(async () => {
  await ensureTopics(pipeline.env);
  collector = await startCollector();
  deliveries = await startSink();
  const db = await freshDatabase("passthrough", 10_000);
  closeDb = () => db.client.close();
  const env = { ...pipeline.env, ...(await testAuth()).env, LOG_LEVEL: "warn" };
  const started = await Promise.all([
    startFunction({ name: "buy", env }),
    // The same function with tracing on: the record carries its produce span's context.
    startFunction({ name: "buy", env: { ...env, ...tracingOn(collector.url), OTEL_SERVICE_NAME: "buy-on" } }),
    startFunction({
      name: "purchase-persist",
      env: { ...env, MONGODB_URI: db.uri, ...tracingOn(collector.url) },
    }),
  ]);
  const [buyOff, buyOn, persist] = started;
  running.push(...started);
  buyOff.name = "buy-off";
  buyOn.name = "buy-on";
  // Two consumer groups on the topic: one delivers to a sink that records the headers, one to persist.
  const dispatch = (group: string, sink: string) =>
    startDispatcher({
      KAFKA_SOURCE_MANIFEST: writeManifest(),
      KAFKA_SOURCE_TOPICS: pipeline.topic,
      KAFKA_SOURCE_GROUP: group,
      KAFKA_SOURCE_SINK_URL: sink,
      KAFKA_SOURCE_DLQ: "none",
    });
  running.push(
    ...(await Promise.all([
      dispatch(unique("headers"), deliveries.url),
      dispatch(pipeline.group, persist.url),
    ])),
  );
});

after(async () => {
  for (const c of running.reverse()) await c.stop();
  await deliveries?.close();
  await collector?.close();
  await closeDb();
  await deleteTopics([pipeline.topic, pipeline.dlq]).catch(() => {});
});

let produced = 0;
async function buy(component: string, headers: Record<string, string>) {
  const user = unique("tp");
  const res = await fetch(`${url(component)}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(await (await testAuth()).headers(user)), ...headers },
    body: JSON.stringify({ username: user, user_id: user }),
  });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  const id = (JSON.parse(text) as { purchase: { id: string } }).purchase.id;
  // Every purchase of this file goes to the one topic: read them all, from the beginning.
  const records = await readRecords(pipeline.topic, ++produced);
  const record = records.find((r) => r.headers.ce_id === id);
  assert.ok(record, `no record with ce_id ${id}`);
  const delivery = await waitFor(`the delivery of ${id}`, async () =>
    deliveries.delivered().find((r) => r.id === id),
  );
  return { id, record: record.headers, delivery: delivery.headers };
}

describe("tracing: a caller's trace context passes through", () => {
  test("When tracing is off and the caller sends a valid traceparent and tracestate, then the record and the delivery carry them unchanged", async () => {
    const traceparent = `00-${hex(16)}-${hex(8)}-01`;
    const { record, delivery } = await buy("buy-off", { traceparent, tracestate: TRACESTATE });
    assert.equal(record.ce_traceparent, traceparent);
    assert.equal(record.ce_tracestate, TRACESTATE);
    assert.equal(delivery["ce-traceparent"], traceparent);
    assert.equal(delivery["ce-tracestate"], TRACESTATE);
  });

  test("When tracing is off at buy but on at persist, then persist's span joins the caller's trace", async () => {
    const [traceId, parentId] = [hex(16), hex(8)];
    await buy("buy-off", { traceparent: `00-${traceId}-${parentId}-01` });
    const span = await waitFor(`persist's span in trace ${traceId}`, async () =>
      collector.spans.find((s) => s.traceId === traceId && s.name === "POST /"),
    );
    assert.equal(span.parentSpanId, parentId, "persist's delivery span is a child of the caller's span");
  });

  test("When tracing is off and the traceparent is invalid, then it and its tracestate are dropped and the purchase is accepted", async () => {
    for (const traceparent of [
      `00-${"0".repeat(32)}-${hex(8)}-01`,
      `00-${hex(16).toUpperCase()}-${hex(8)}-01`,
      `ff-${hex(16)}-${hex(8)}-01`,
      "not a traceparent",
    ]) {
      const { record, delivery } = await buy("buy-off", { traceparent, tracestate: TRACESTATE });
      assert.equal(record.ce_traceparent, undefined, traceparent);
      assert.equal(record.ce_tracestate, undefined, traceparent);
      assert.equal(delivery["ce-traceparent"], undefined, traceparent);
    }
  });

  test("When tracing is on, then the record carries a child of the caller's span (its produce span), not the caller's own", async () => {
    const [traceId, parentId] = [hex(16), hex(8)];
    const { record, delivery } = await buy("buy-on", { traceparent: `00-${traceId}-${parentId}-01` });
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(record.ce_traceparent ?? "");
    assert.ok(m, `ce_traceparent: ${record.ce_traceparent}`);
    assert.equal(m[1], traceId, "same trace");
    assert.notEqual(m[2], parentId, "a span of buy's own");
    assert.equal(delivery["ce-traceparent"], record.ce_traceparent);
    const produce = await waitFor("buy's produce span", async () =>
      collector.spans.find((s) => s.spanId === m[2]),
    );
    assert.equal(produce.traceId, traceId);
  });
});
