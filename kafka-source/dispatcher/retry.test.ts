import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffMs, errorExtensions, isRetryableStatus } from "./retry.ts";

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
});

describe("dead-letter error extensions", () => {
  test("When there was no response, then only knativeerrordest is added", () => {
    assert.deepEqual(errorExtensions("http://sink", { error: "ECONNREFUSED" }), {
      knativeerrordest: "http://sink",
    });
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
