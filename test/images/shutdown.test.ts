// SIGTERM to purchase-persist's container with events waiting in its batch, as the kubelet sends it
// when Knative scales a revision down: the events are answered and stored, the container exits 0
// within the grace period its manifest gives (timeoutSeconds), and nothing is lost.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import { freshDatabase } from "../../harness/databases.ts";
import { unique } from "../../harness/names.ts";
import { waitReady } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";
import { startFunction } from "../../harness/system.ts";

let db: Awaited<ReturnType<typeof freshDatabase>>;
before(async () => {
  db = await freshDatabase("shutdown");
});
after(async () => {
  await db.client.db().dropDatabase();
  await db.client.close();
});

const gracePeriodMs = () => {
  const svc = parse(readFileSync(join(ROOT, "knative/base/services/purchase-persist.yaml"), "utf8"));
  return (svc.spec.template.spec.timeoutSeconds as number) * 1000;
};

describe("purchase-persist image: SIGTERM with requests in flight", () => {
  test("When SIGTERM arrives while events wait in the batch, then each is stored and answered, and the container exits 0 in time", async () => {
    // A long batch window, so the events are still waiting in the batch when SIGTERM arrives.
    const c = await startFunction({
      name: "purchase-persist",
      runtime: "container",
      env: { MONGODB_URI: db.uri, PERSIST_BATCH_WAIT_MS: "1000", LOG_LEVEL: "warn" },
    });
    await waitReady(c);
    const user = unique("sigterm");
    const answered: number[] = [];
    const posts = Array.from({ length: 5 }, (_, i) =>
      fetch(c.url, {
        method: "POST",
        headers: {
          "ce-specversion": "1.0",
          "ce-id": `${user}-${i}`,
          "ce-source": "/test/sigterm",
          "ce-type": "com.example.purchase",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          username: user,
          user_id: user,
          item_name: "Desk",
          price: 300,
          timestamp: "2026-11-21T10:00:00.000Z",
        }),
      }).then(async (res) => {
        answered.push(Date.now());
        return { status: res.status, body: (await res.json()) as { status: string } };
      }),
    );
    await sleep(200);
    const signalledAt = Date.now();
    const exitCode = await c.stop("SIGTERM");
    const exitedAfterMs = Date.now() - signalledAt;
    const results = await Promise.all(posts);

    assert.ok(
      answered.every((t) => t >= signalledAt),
      "the requests were answered after SIGTERM (in flight)",
    );
    assert.deepEqual(
      results.map((r) => [r.status, r.body.status]),
      results.map(() => [200, "stored"]),
    );
    assert.equal(exitCode, 0, c.output());
    assert.ok(exitedAfterMs < gracePeriodMs(), `exited after ${exitedAfterMs} ms`);
    assert.equal(await db.collection.countDocuments({ user_id: user }), 5);
  });
});
