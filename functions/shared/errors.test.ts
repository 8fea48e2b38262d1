import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import { createBaseApp } from "./app.ts";
import { Errors, parseOr400 } from "./errors.ts";
import { createLogger } from "./logging.ts";
import { createRegistry } from "./metrics.ts";

function appWithLogs() {
  const lines: string[] = [];
  const logger = createLogger("info", {}, (l) => lines.push(l));
  const app = createBaseApp({ logger, registry: createRegistry({ service: "t", defaultMetrics: false }) });
  app.get("/known", () => {
    throw Errors.kafkaUnavailable("Kafka is down");
  });
  app.get("/validation", (c) =>
    c.json(parseOr400(v.object({ n: v.number("must be a number") }), { n: "x" }, "query")),
  );
  app.get("/http", () => {
    throw new HTTPException(405, { message: "nope" });
  });
  app.get("/boom", () => {
    throw new Error("secret internals at /srv/app.ts:12");
  });
  return { app, lines };
}

describe("error mapping", () => {
  test("When a catalogued error is thrown, then its status and JSON body are returned", async () => {
    const res = await appWithLogs().app.request("/known");
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.deepEqual(await res.json(), { error: "kafka_unavailable", message: "Kafka is down" });
  });

  test("When validation fails, then 400 with details naming the field", async () => {
    const res = await appWithLogs().app.request("/validation");
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, "validation_failed");
    assert.match(body.message, /n: must be a number/);
    assert.deepEqual(body.details, [{ field: "n", message: "must be a number" }]);
  });

  test("When Hono raises an HTTP 4xx, then it becomes the same JSON shape", async () => {
    const res = await appWithLogs().app.request("/http");
    assert.equal(res.status, 405);
    assert.deepEqual(await res.json(), { error: "method_not_allowed", message: "nope" });
  });

  test("When an unknown error is thrown, then it is logged and the answer is a bare 500 with no stack", async () => {
    const { app, lines } = appWithLogs();
    const res = await app.request("/boom");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { error: "internal", message: "internal error" });
    assert.doesNotMatch(text, /secret|app\.ts/);
    assert.ok(lines.some((l) => l.includes("unhandled error") && l.includes("secret internals")));
  });

  test("When no route matches, then 404 JSON and a request id header", async () => {
    const res = await appWithLogs().app.request("/nowhere");
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, "not_found");
    assert.ok(res.headers.get("x-request-id"));
  });
});
