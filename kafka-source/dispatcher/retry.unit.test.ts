import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { resolveConfig } from "./manifest.ts";
import { backoffMs, errorExtensions, isRetryableStatus, partitionCancel, retryWindowMs } from "./retry.ts";

describe("retry policy", () => {
  test("When the sink answers 5xx, 404, 408, 409 or 429, then the delivery is retried", () => {
    for (const status of [500, 502, 503, 504, 404, 408, 409, 429])
      assert.ok(isRetryableStatus(status), `${status}`);
  });

  test("When the sink answers 400, 401, 403, other 4xx or 3xx, then it is not retried", () => {
    for (const status of [300, 302, 400, 401, 403, 405, 410, 413, 422]) {
      assert.ok(!isRetryableStatus(status), `${status}`);
    }
  });

  test("When the policy is linear, then retry n waits delay*n", () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffMs("linear", 200, n)),
      [200, 400, 600],
    );
  });

  test("When the policy is exponential, then retry n waits delay*2^n (first retry: 2*delay)", () => {
    assert.deepEqual(
      [1, 2, 3, 8].map((n) => backoffMs("exponential", 200, n)),
      [400, 800, 1600, 51_200],
    );
  });

  test("When no backoffDelay is set, then retries do not wait", () => {
    assert.equal(backoffMs("exponential", 0, 5), 0);
  });

  test("When the retries are summed, then the window is every wait before the last attempt", () => {
    assert.equal(retryWindowMs("linear", 1000, 3), 6000);
    assert.equal(retryWindowMs("exponential", 200, 8), 102_000);
    assert.equal(retryWindowMs("linear", 1000, 0), 0);
  });
});

describe("the project's delivery policy (kafka-source.yaml)", () => {
  const manifest = readFileSync(new URL("../kafka-source.yaml", import.meta.url), "utf8");
  const { delivery } = resolveConfig(manifest, { KAFKA_SOURCE_SINK_URL: "http://sink/" });
  const wait = (n: number) => backoffMs(delivery.backoffPolicy, delivery.backoffDelayMs, n);

  test("When the database or the sink is out for 10 minutes, then retries outlast it", () => {
    // Waits alone; each failing attempt adds its own time (up to the 3 s database timeout).
    assert.ok(retryWindowMs(delivery.backoffPolicy, delivery.backoffDelayMs, delivery.retry) > 10 * 60_000);
  });

  test("When an outage ends, then no event waits more than a minute for its next attempt", () => {
    assert.ok(wait(delivery.retry) <= 60_000, `last wait ${wait(delivery.retry)} ms`);
  });

  test("When the first retries come, then they come within seconds (a restarting sink is back soon)", () => {
    assert.ok(wait(1) + wait(2) + wait(3) <= 10_000);
  });
});

describe("dead-letter error extensions", () => {
  test("When there was no response, then knativeerrordest and the reason as knativeerrordata are added", () => {
    assert.deepEqual(errorExtensions("http://sink", { error: "ECONNREFUSED" }), {
      knativeerrordest: "http://sink",
      knativeerrordata: Buffer.from("ECONNREFUSED").toString("base64"),
    });
    assert.deepEqual(errorExtensions("http://sink", {}), { knativeerrordest: "http://sink" });
  });

  test("When the sink answered, then the code, base64 of at most 1024 body bytes and kne- headers are added", () => {
    const body = Buffer.alloc(1500, "x");
    const ext = errorExtensions("http://sink", {
      status: 400,
      body,
      headers: { "kne-reason": "bad", other: "no" },
    });
    assert.equal(ext.knativeerrordest, "http://sink");
    assert.equal(ext.knativeerrorcode, "400");
    assert.equal(Buffer.from(ext.knativeerrordata ?? "", "base64").length, 1024);
    assert.equal(ext.reason, "bad");
    assert.equal(ext.other, undefined);
  });

  test("When the failing response has an empty body, then knativeerrordata is left out", () => {
    const ext = errorExtensions("http://sink", { status: 503, body: Buffer.alloc(0) });
    assert.equal(ext.knativeerrordata, undefined);
    assert.equal(ext.knativeerrorcode, "503");
  });
});

describe("partitionCancel", () => {
  test("When 60 deliveries of one partition wait on its cancel signal, then no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const cancel = partitionCancel();
      await Promise.all(Array.from({ length: 60 }, () => sleep(5, undefined, { signal: cancel.signal })));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.name === "MaxListenersExceededWarning"),
        [],
      );
    } finally {
      process.off("warning", onWarning);
    }
  });
});
