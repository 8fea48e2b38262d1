// POST /buy while the shared broker is stopped: stops and restarts the local stack's Kafka, so it
// runs alone, after every other file (scripts/test.sh).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buyOnBroker, BUY_TIMEOUT_MS as TIMEOUT_MS } from "../../harness/buy-fixture.ts";
import { stack } from "../../harness/stack.ts";
import { waitFor } from "../../harness/wait.ts";

const suite = buyOnBroker("buy-outage");
const { buy } = suite;

describe("POST /buy: broker outage", () => {
  test("When the broker is stopped, then /buy says so within the bound, then 503 at once, and recovers after", async () => {
    assert.equal((await suite.app.request("/health")).status, 200);
    await stack("stop", "kafka");
    try {
      await sleep(1100); // let the cached health probe expire
      const started = Date.now();
      const res = await buy({ username: "carol", user_id: "carol" });
      const elapsed = Date.now() - started;
      // The first one was handed to the client, which cannot say whether it was sent before the
      // broker went (outcome.ts): 504 outcome_unknown, unless the client already knew the broker
      // was gone. Then a failed produce and no broker listening: 503, the purchase not handed over.
      const first = { status: res.status, error: (await res.json()).error };
      assert.ok(
        [
          JSON.stringify({ status: 504, error: "outcome_unknown" }),
          JSON.stringify({ status: 503, error: "kafka_unavailable" }),
        ].includes(JSON.stringify(first)),
        JSON.stringify(first),
      );
      assert.ok(elapsed < TIMEOUT_MS + 1000, `took ${elapsed} ms, bound ${TIMEOUT_MS} ms`);
      const next = await buy({ username: "carol", user_id: "carol" });
      assert.equal(next.status, 503);
      assert.equal((await next.json()).error, "kafka_unavailable");
      const health = await suite.app.request("/health");
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
    await waitFor("/health to recover", async () => (await suite.app.request("/health")).status === 200, {
      timeoutMs: 10_000,
      everyMs: 300,
    });
  });
});
