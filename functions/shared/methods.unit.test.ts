import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBaseApp } from "./app.ts";
import { createLogger } from "./logging.ts";
import { createRegistry } from "./metrics.ts";

const app = createBaseApp({
  logger: createLogger("silent"),
  registry: createRegistry({ service: "t", defaultMetrics: false }),
  corsOrigins: ["http://localhost:8080"],
});
app.get("/users/:id", (c) => c.json({ id: c.req.param("id") }));
app.post("/buy", (c) => c.json({}, 202));

describe("405 and OPTIONS", () => {
  // TRACE cannot be built as a Request in-process; harness/gateway.unit.test.ts sends it over HTTP.
  for (const method of ["PUT", "DELETE", "PATCH", "QUERY"]) {
    test(`When ${method} is sent to a GET route, then 405 JSON with Allow`, async () => {
      const res = await app.request("/users/alice", { method });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("Allow"), "GET, HEAD, OPTIONS");
      const body = await res.json();
      assert.equal(body.error, "method_not_allowed");
    });
  }

  test("When GET or HEAD is sent to a POST-only route, then 405 with Allow: POST, OPTIONS", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await app.request("/buy", { method });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("Allow"), "POST, OPTIONS");
    }
  });

  test("When a path differs from a route's only by a segment, then 404, not 405", async () => {
    for (const path of ["/users/a/b", "/users/", "/buy/x"]) {
      const res = await app.request(path, { method: "PUT" });
      assert.equal(res.status, 404, path);
    }
  });

  test("When a path matches no route, then 404 whatever the method", async () => {
    for (const method of ["GET", "PUT", "OPTIONS"]) {
      const res = await app.request("/nope", { method });
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error, "not_found");
    }
  });

  test("When OPTIONS is not a CORS preflight, then 204 with Allow", async () => {
    const res = await app.request("/users/alice", { method: "OPTIONS" });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("Allow"), "GET, HEAD, OPTIONS");
  });

  test("When OPTIONS is a CORS preflight, then the CORS middleware answers it", async () => {
    const res = await app.request("/buy", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:8080", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("Access-Control-Allow-Origin"), "http://localhost:8080");
  });

  test("When HEAD is sent to a GET route, then it is answered like GET without a body", async () => {
    const res = await app.request("/users/alice", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  });
});
