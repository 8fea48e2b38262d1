// POST /buy while the shared broker is stopped: stops and restarts the local stack's Kafka, so it
// runs alone, after every other file (scripts/test.sh).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { unique } from "../../harness/names.ts";
import { stack, testConfig } from "../../harness/stack.ts";
import { freshTopic } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";
import { type Admin, createAdmin, createKafka, createProducer, type Producer } from "../shared/kafka.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp } from "./app.ts";

const TIMEOUT_MS = 2000;
let topic: string;
let producer: Producer;
let admin: Admin;
let app: ReturnType<typeof createApp>;

const buy = (body: unknown, headers: Record<string, string> = {}) =>
  app.request("/buy", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

before(async () => {
  topic = await freshTopic("buy");
  const kafka = createKafka(testConfig(), unique("buy-test"));
  producer = createProducer(kafka, { timeoutMs: TIMEOUT_MS });
  admin = createAdmin(kafka);
  await Promise.all([producer.connect(), admin.connect()]);
  app = createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "buy", defaultMetrics: false }),
    producer,
    admin,
    topic,
    timeoutMs: TIMEOUT_MS,
  });
});

after(async () => {
  await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
});

describe("POST /buy: broker outage", () => {
  test("When the broker is stopped, then /buy and /health answer 503 within the bound, and recover after", async () => {
    assert.equal((await app.request("/health")).status, 200);
    await stack("stop", "kafka");
    try {
      await sleep(1100); // let the cached health probe expire
      const started = Date.now();
      const res = await buy({ username: "carol", user_id: "carol" });
      const elapsed = Date.now() - started;
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error, "kafka_unavailable");
      assert.ok(elapsed < TIMEOUT_MS + 1000, `took ${elapsed} ms, bound ${TIMEOUT_MS} ms`);
      const health = await app.request("/health");
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: "unhealthy", service: "buy", kafka: "unreachable" });
    } finally {
      await stack("start", "kafka");
    }
    await waitFor(
      "/buy to recover",
      async () => (await buy({ username: "carol", user_id: "carol" })).status === 202,
      { timeoutMs: 60_000, everyMs: 500 },
    );
    await waitFor("/health to recover", async () => (await app.request("/health")).status === 200, {
      timeoutMs: 10_000,
      everyMs: 300,
    });
  });
});
