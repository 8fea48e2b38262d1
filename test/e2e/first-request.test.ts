// Ready means able to serve: Knative routes to a new pod the moment its readiness probe passes, so
// each function's first real request, sent right then, must succeed. Runs the functions as
// processes (npm test) or as their images (npm run test:images: FUNCTION_RUNTIME=container).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { FIRST_REQUESTS } from "../../harness/first-request.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import type { Component } from "../../harness/process.ts";
import { defaultRuntime, ensureTopics, startFunction } from "../../harness/system.ts";

const runtime = defaultRuntime();
const pipeline = isolatedPipeline("first");
let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
const started: Component[] = [];

before(async () => {
  db = await freshDatabase("first");
  // Tokens verified: the protected first requests carry a test issuer's token (first-request.ts).
  env = { ...pipeline.env, ...(await testAuth()).env, MONGODB_URI: db.uri, LOG_LEVEL: "warn" };
  await ensureTopics(env);
});
after(async () => {
  for (const c of started) await c.stop();
  await db.client.db().dropDatabase();
  await db.client.close();
});

/** Starts `name`, polls /readyz every 5 ms and sends `request` the moment it answers 200. */
async function firstRequestAfterReady(name: string, request: (url: string) => Promise<Response>, extra = {}) {
  const c = await startFunction({ name, runtime, env: { ...env, ...extra }, until: "listening" });
  started.push(c);
  const deadline = Date.now() + 90_000;
  for (;;) {
    assert.ok(c.child.exitCode === null, `${name} exited:\n${c.output()}`);
    assert.ok(Date.now() < deadline, `${name} never became ready:\n${c.output()}`);
    const probe = await fetch(`${c.url}/readyz`).catch(() => undefined);
    await probe?.body?.cancel();
    if (probe?.status === 200) break;
    await sleep(5);
  }
  return { component: c, res: await request(c.url) };
}

const user = unique("first-user");
const first = (name: string, extra: Record<string, string> = {}) =>
  firstRequestAfterReady(name, (url) => FIRST_REQUESTS[name]?.send(url, user) as Promise<Response>, extra);

describe(`first request right after readiness (${runtime})`, () => {
  test("When buy reports ready, then its first POST /buy is accepted (202), not 503", async () => {
    const { res } = await first("buy");
    assert.equal(res.status, 202, await res.text());
  });

  test("When purchase-persist reports ready, then its first event is stored (200)", async () => {
    const { res } = await first("purchase-persist");
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { status: string }).status, "stored");
    assert.equal(await db.collection.countDocuments({ user_id: user }), 1);
  });

  let managementUrl = "";
  test("When the management API reports ready, then its first history read answers 200", async () => {
    const { component, res } = await first("customer-management");
    managementUrl = component.url;
    assert.equal(res.status, 200, await res.text());
  });

  test("When user-purchases reports ready, then its first history read answers 200", async () => {
    const { res } = await first("user-purchases", { CUSTOMER_MANAGEMENT_API_URL: managementUrl });
    assert.equal(res.status, 200, await res.text());
  });

  test("When items reports ready, then its first catalog read answers 200", async () => {
    const { res } = await first("items");
    assert.equal(res.status, 200, await res.text());
  });

  test("When web reports ready, then its first page load answers 200", async () => {
    const { res } = await first("web", { API_BASE_URL: "http://localhost:8000" });
    assert.equal(res.status, 200, await res.text());
  });
});
