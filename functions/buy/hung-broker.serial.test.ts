// Issue 24, point 2: with the broker hung (SIGSTOP) under load, a 503 from /buy means the purchase
// was not made, and the outcome-unknown answers say so. Stops the shared stack's broker: serial.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buyOnBroker, BUY_TIMEOUT_MS as TIMEOUT_MS } from "../../harness/buy-fixture.ts";
import { unique } from "../../harness/names.ts";
import { ROOT } from "../../harness/root.ts";
import { readRecords, recordCount } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";

const kafkaPid = () =>
  Number(readFileSync(join(process.env.STACK_DIR ?? join(ROOT, ".local"), "run", "kafka.pid"), "utf8"));

const suite = buyOnBroker("hung");

interface Answer {
  user: string;
  key?: string;
  status: number;
  error?: string;
  message?: string;
  id?: string;
}

async function buy(user: string, key?: string): Promise<Answer> {
  const res = await suite.app.request("/buy", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(await suite.headersFor(user)),
      ...(key ? { "Idempotency-Key": key } : {}),
    },
    body: JSON.stringify({ username: user, user_id: user }),
  });
  const body = await res.json();
  return { user, key, status: res.status, error: body.error, message: body.message, id: body.purchase?.id };
}

describe("POST /buy with the broker hung", () => {
  test("When the broker hangs under load, then no purchase answered 503 is stored, and each 504 says its outcome is unknown", async () => {
    assert.equal((await buy(unique("warm"))).status, 202);
    const answers: Answer[] = [];
    let running = true;
    // Eight clients, half with an Idempotency-Key (a new one per purchase), each buying in a loop.
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; running; i++) {
        const user = `${suite.topic}-c${c}-${i}`;
        answers.push(await buy(user, c % 2 ? `key-${user}` : undefined));
        // A refusal is answered without I/O: without a pause, eight clients would be a loop of
        // microtasks that starves the timers (the one that resumes the broker among them).
        await sleep(20);
      }
    });
    const pid = kafkaPid();
    await waitFor("some purchases before the hang", async () => answers.length >= 40);
    process.kill(pid, "SIGSTOP");
    let resumedAt = 0;
    try {
      await sleep(3 * TIMEOUT_MS); // how long the broker hangs: load, not an assertion
    } finally {
      process.kill(pid, "SIGCONT");
      resumedAt = answers.length;
    }
    await waitFor(
      "purchases taken again after the hang",
      async () => answers.slice(resumedAt).some((a) => a.status === 202),
      { timeoutMs: 30_000 },
    );
    running = false;
    await Promise.all(clients);

    // Retries of the unknown keyed purchases, with the same key: the same purchase id.
    const unknown = answers.filter((a) => a.status === 504);
    for (const a of unknown.filter((a) => a.key)) {
      const retry = await buy(a.user, a.key);
      assert.equal(retry.status, 202);
      assert.ok(a.message?.includes(retry.id as string), `${a.message} names ${retry.id}`);
    }

    // Whatever the broker received before the hang is written once it resumes: wait until the
    // record count stops changing, then read every record.
    let count = -1;
    await waitFor(
      "the topic to settle",
      async () => {
        const now = await recordCount(suite.topic);
        const settled = now === count;
        count = now;
        return settled;
      },
      { timeoutMs: 60_000, everyMs: 2000 },
    );
    const stored = new Set((await readRecords(suite.topic, count, 60_000)).map((r) => r.key));

    const by = (s: number) => answers.filter((a) => a.status === s);
    const refused = by(503);
    console.log(
      `hung broker: ${answers.length} answers: ${by(202).length} x 202, ${refused.length} x 503, ` +
        `${unknown.length} x 504 (${unknown.filter((a) => stored.has(a.user)).length} of them stored)`,
    );
    assert.ok(refused.length > 0, "some purchases were refused while the broker hung");
    for (const a of refused) {
      assert.equal(a.error, "kafka_unavailable");
      assert.ok(!stored.has(a.user), `${a.user} answered 503 but is stored`);
    }
    for (const a of unknown) {
      assert.equal(a.error, "outcome_unknown");
      assert.match(a.message ?? "", /may or may not have been made/);
    }
    for (const a of by(202)) assert.ok(stored.has(a.user), `${a.user} answered 202 but is not stored`);
    assert.deepEqual(
      answers.filter((a) => ![202, 503, 504].includes(a.status)),
      [],
      "only 202, 503 and 504",
    );
  });
});
