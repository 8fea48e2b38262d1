// One purchase followed through Kafka: the whole system (harness/system.ts) exporting OTLP to a
// real Jaeger v2 (scripts/jaeger.sh), and the purchase's trace read back through Jaeger's query API.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import { PurchaseHeadersSchema } from "../../harness/asyncapi-schemas.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { readRecords } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";
import { getTrace, type Jaeger, type JaegerTrace, spanNames, startJaeger } from "./jaeger.ts";

const pipeline = isolatedPipeline("trace");
const dir = mkdtempSync(join(tmpdir(), "jaeger-"));
let jaeger: Jaeger;
let system: System;
let closeDb: () => Promise<void>;

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

async function buy(user: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.url("gateway")}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(await (await testAuth()).headers(user)), ...headers },
    body: JSON.stringify({ username: user, user_id: user }),
  });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  return (JSON.parse(text) as { purchase: { id: string } }).purchase.id;
}

const expected = [
  "buy POST /buy",
  `buy send ${pipeline.topic}`,
  "purchase-persist POST /",
  "purchase-persist insertMany purchases",
];

/** Waits until Jaeger holds the trace with every expected span (spans arrive per service, batched). */
async function completeTrace(traceId: string): Promise<JaegerTrace> {
  let seen: string[] = [];
  const found = await waitFor(
    `trace ${traceId} with ${expected.join(", ")}`,
    async () => {
      const t = await getTrace(jaeger, traceId);
      seen = t ? spanNames(t) : [];
      return expected.every((name) => seen.includes(name)) && t;
    },
    { timeoutMs: 30_000, everyMs: 200 },
  ).catch((err: Error) => assert.fail(`${err.message}; spans seen: ${seen.join(", ") || "none"}`));
  return found as JaegerTrace;
}

const span = (t: JaegerTrace, name: string) => {
  const s = t.spans.find((x) => `${t.processes[x.processID]?.serviceName} ${x.operationName}` === name);
  assert.ok(s, `no span ${name} in ${spanNames(t).join(", ")}`);
  return s;
};
const parentOf = (s: JaegerTrace["spans"][number]) =>
  s.references.find((r) => r.refType === "CHILD_OF")?.spanID;

/** The spans hang together: buy's request -> its produce -> persist's delivery -> the write. */
function assertChain(t: JaegerTrace) {
  const request = span(t, "buy POST /buy");
  const send = span(t, `buy send ${pipeline.topic}`);
  const delivery = span(t, "purchase-persist POST /");
  const write = span(t, "purchase-persist insertMany purchases");
  assert.equal(parentOf(send), request.spanID, "the produce is a child of the /buy request");
  assert.equal(parentOf(delivery), send.spanID, "persist continues the trace from the produce");
  assert.ok(
    write.references.some((r) => r.spanID === delivery.spanID),
    "the database write refers to the delivery it carries",
  );
}

before(async () => {
  jaeger = await startJaeger(dir);
  const db = await freshDatabase("trace", 10_000);
  closeDb = () => db.client.close();
  system = await startSystem({
    env: {
      ...pipeline.env,
      ...(await testAuth()).env,
      MONGODB_URI: db.uri,
      LOG_LEVEL: "debug",
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      // Export every 100 ms rather than every 5 s: the test waits on the trace, not on a timer.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
});

after(async () => {
  await system?.stop();
  await jaeger?.stop();
  await closeDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("tracing: one purchase, one trace across Kafka", () => {
  test("When a caller sends a traceparent, then buy and persist spans join the caller's trace in Jaeger", async () => {
    const traceId = hex(16);
    const id = await buy(unique("traced"), { traceparent: `00-${traceId}-${hex(8)}-01` });
    const t = await completeTrace(traceId);
    assertChain(t);

    // Every log line of the traced request carries its trace_id (debug: the access log lines).
    const logged = (name: string) =>
      (system.components.get(name)?.output() ?? "")
        .split("\n")
        .filter((l) => l.includes(`"trace_id":"${traceId}"`));
    assert.ok(
      logged("buy").some((l) => l.includes('"path":"/buy"')),
      "buy's access log line has the trace_id",
    );
    assert.ok(
      logged("purchase-persist").some((l) => l.includes('"msg":"request"')),
      "persist's access log line has the trace_id",
    );
    assert.ok(id);
  });

  test("When a caller sends none, then buy starts the trace and the record carries it as ce_traceparent", async () => {
    const id = await buy(unique("untraced"));
    const records = await readRecords(pipeline.topic, 2);
    const record = records.find((r) => r.headers.ce_id === id);
    assert.ok(record, `no record with ce_id ${id}`);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(record.headers.ce_traceparent ?? "");
    assert.ok(m, `ce_traceparent: ${record.headers.ce_traceparent}`);
    const contract = v.safeParse(PurchaseHeadersSchema, record.headers);
    assert.ok(contract.success, `the AsyncAPI headers schema: ${JSON.stringify(contract.issues)}`);
    const t = await completeTrace(m[1] as string);
    assertChain(t);
    assert.equal(span(t, `buy send ${pipeline.topic}`).spanID, m[2], "the record names the produce span");
    assert.equal(parentOf(span(t, "buy POST /buy")), undefined, "buy's request span is the root");
  });
});
