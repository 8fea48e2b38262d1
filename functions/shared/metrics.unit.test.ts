import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { createBaseApp } from "./app.ts";
import { createLogger } from "./logging.ts";
import { createRegistry } from "./metrics.ts";

function app() {
  const registry = createRegistry({ service: "orders", revision: "orders-00001" });
  const a = createBaseApp({ logger: createLogger("silent"), registry });
  a.get("/purchases/:user_id", (c) => c.json({ user: c.req.param("user_id") }));
  return a;
}

describe("metrics", () => {
  test("When routes are hit, then requests are counted by method, route pattern and status class", async () => {
    const a = app();
    await a.request("/purchases/alice");
    await a.request("/purchases/bob");
    await a.request("/missing/route");
    const text = await (await a.request("/metrics")).text();
    assert.match(
      text,
      /http_requests_total\{method="GET",handler="\/purchases\/:user_id",status="2xx",service="orders",revision="orders-00001"\} 2/,
    );
    assert.doesNotMatch(text, /alice|bob|missing\/route/);
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="0.005",service="orders",revision="orders-00001",method="GET",handler="\/purchases\/:user_id",status="2xx"\}/,
    );
    assert.match(text, /status="4xx"/);
  });

  test("When promtool checks the /metrics output, then it passes", async (t) => {
    const a = app();
    await a.request("/purchases/alice");
    const text = await (await a.request("/metrics")).text();
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    if (r.error)
      assert.fail(`promtool not found (scripts/install-system.sh installs it): ${r.error.message}`);
    t.diagnostic(r.stdout + r.stderr);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
