// scripts/stack.sh start after a stack process was SIGKILLed: the stale pid file is noticed and the
// process started again (not "already running, reusing it" for a process that is gone).
// Kills the shared local stack's processes one at a time and leaves the stack running.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createAdmin, createKafka } from "../functions/shared/kafka.ts";
import { createMongoClient } from "../functions/shared/mongo.ts";
import { unique } from "../harness/names.ts";
import { ROOT } from "../harness/root.ts";
import { stack, testConfig } from "../harness/stack.ts";
import { waitFor } from "../harness/wait.ts";

const RUN = join(process.env.STACK_DIR ?? join(ROOT, ".local"), "run");
const pidOf = (service: string) => Number(readFileSync(join(RUN, `${service}.pid`), "utf8").trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(service: string) {
  const pid = pidOf(service);
  assert.ok(alive(pid), `${service} runs before the test (pid ${pid})`);
  process.kill(pid, "SIGKILL");
  await waitFor(`${service} (pid ${pid}) gone`, async () => !alive(pid));
  return pid;
}

async function databaseAnswers() {
  const client = createMongoClient(testConfig({ MONGODB_TIMEOUT_MS: "5000" }));
  try {
    const db = client.db(unique("stack"));
    await db.collection("t").insertOne({ ok: 1 });
    assert.equal(await db.collection("t").countDocuments(), 1);
    await db.dropDatabase();
  } finally {
    await client.close();
  }
}

describe("stack.sh start after a SIGKILL", () => {
  for (const service of ["postgres", "mongo"]) {
    test(`When ${service === "mongo" ? "FerretDB" : "PostgreSQL"} is SIGKILLed, then stack.sh start starts it again and the database answers`, async () => {
      await stack("start", "mongo");
      const old = await killAndWait(service);
      const out = await stack("start", "mongo");
      assert.match(
        out,
        new RegExp(`${service}: not running \\(pid ${old} in .* is gone\\), starting it again`),
      );
      const pid = pidOf(service);
      assert.notEqual(pid, old);
      assert.ok(alive(pid));
      await waitFor("the database answers", async () => databaseAnswers().then(() => true), {
        timeoutMs: 30_000,
      });
    });
  }

  test("When the Kafka broker is SIGKILLed, then stack.sh start starts it again and it serves metadata", async () => {
    await stack("start", "kafka");
    const old = await killAndWait("kafka");
    const out = await stack("start", "kafka");
    assert.match(out, new RegExp(`kafka: not running \\(pid ${old} in .* is gone\\), starting it again`));
    assert.ok(alive(pidOf("kafka")));
    const admin = createAdmin(createKafka(testConfig(), unique("stack-test")));
    await admin.connect();
    try {
      await waitFor("broker metadata", async () => Array.isArray(await admin.listTopics()), {
        timeoutMs: 30_000,
      });
    } finally {
      await admin.disconnect();
    }
  });
});
