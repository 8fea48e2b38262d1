import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import { createBaseApp } from "./app.ts";
import { AppError, ERROR_CATALOG, Errors, parseOr400 } from "./errors.ts";
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

describe("error catalog", () => {
  test("When code names an error that is not in the catalog, then it does not compile", () => {
    // npm test type-checks this file: were "teapot" a code, the directive itself would fail tsc.
    // @ts-expect-error "teapot" is not a catalog code
    assert.throws(() => new AppError("teapot", "short and stout"), TypeError);
  });

  test("When an error is made, then its status and headers are the catalog's, plus its own", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      const err = new AppError(code as keyof typeof ERROR_CATALOG, "m", { headers: { "X-Extra": "1" } });
      assert.equal(err.status, entry.status, code);
      assert.deepEqual(err.headers, { ...("headers" in entry ? entry.headers : {}), "X-Extra": "1" }, code);
    }
  });

  test("When a code answers 503, then it carries Retry-After (the KafkaSource and clients retry it)", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      if (entry.status === 503)
        assert.equal(new AppError(code as "overloaded", "m").headers["Retry-After"], "1", code);
    }
  });
});
