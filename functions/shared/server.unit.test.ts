import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnComponent } from "../../harness/process.ts";

// info: the test reads the shutdown lines from its output.
const startSlowFunction = () =>
  spawnComponent({ name: "slow", entry: "test/fixtures/slow-function.ts", env: { LOG_LEVEL: "info" } });

describe("server bootstrap", () => {
  test("When SIGTERM arrives during a slow request, then it finishes with 200 and the process exits 0", async () => {
    const proc = await startSlowFunction();
    assert.equal((await fetch(`${proc.url}/readyz`)).status, 200);
    const slow = fetch(`${proc.url}/slow?ms=1500`);
    await sleep(300);
    const exit = proc.stop("SIGTERM");
    const res = await slow;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { done: true });
    assert.equal(await exit, 0);
    const out = proc.output();
    assert.ok(out.indexOf('"msg":"shutting down"') < out.indexOf('"msg":"clients closed"'), out);
    await assert.rejects(fetch(`${proc.url}/livez`), "no longer accepting");
  });

  test("When the process is idle, then SIGTERM exits 0 promptly", async () => {
    const proc = await startSlowFunction();
    const started = Date.now();
    assert.equal(await proc.stop("SIGTERM"), 0);
    assert.ok(Date.now() - started < 5000);
  });
});
