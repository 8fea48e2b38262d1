// scripts/stack.sh start after a stack process was SIGKILLed: the stale pid file is noticed and the
// process started again (not "already running, reusing it" for a process that is gone).
// Kills the processes of a stack of its own (harness/private-stack.ts) one at a time, so it runs
// beside the other stack files.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { createAdmin, createKafka } from "../functions/shared/kafka.ts";
import { createMongoClient } from "../functions/shared/mongo.ts";
import { unique } from "../harness/names.ts";
import { usePrivateStack } from "../harness/private-stack.ts";
import { stack, testConfig } from "../harness/stack.ts";
import { waitFor } from "../harness/wait.ts";

const RUN = join((await usePrivateStack("stack-test", ["kafka", "mongo"])).dir, "run");
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

/** pg_ctl of the stack's PostgreSQL, as the user it runs as, with its binaries and data directory. */
async function pgCtl(pid: number, ...args: string[]) {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const data = argv[argv.indexOf("-D") + 1] as string;
  const pgCtlBin = join(dirname(argv[0] as string), "pg_ctl");
  // As root the stack runs PostgreSQL as "postgres" (scripts/stack.sh), and so must pg_ctl.
  const asPostgres =
    process.getuid?.() === 0 ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] : [];
  const [cmd, ...rest] = [...asPostgres, pgCtlBin, ...args, "-D", data, "-l", join(data, "pg_ctl.log")];
  await promisify(execFile)(cmd as string, rest, { timeout: 60_000 });
  return data;
}

describe("stack.sh after pg_ctl restart", () => {
  test("When PostgreSQL is restarted with pg_ctl, then stack.sh follows it by postmaster.pid: status names it, start reuses it, stop stops it", async () => {
    await stack("start", "mongo");
    const old = pidOf("postgres");
    const data = await pgCtl(old, "restart", "-m", "fast", "-w");
    const postmaster = () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    const restarted = postmaster();
    assert.notEqual(restarted, old);
    assert.ok(alive(restarted));
    try {
      assert.match(
        await stack("status"),
        new RegExp(`PostgreSQL on 127\\.0\\.0\\.1:\\d+, pid ${restarted}\\)`),
      );
      const again = await stack("start", "mongo");
      assert.doesNotMatch(again, /in use|starting it again/);
      assert.equal(postmaster(), restarted, "the restarted PostgreSQL is reused, not replaced");
      await waitFor("the database answers", async () => databaseAnswers().then(() => true), {
        timeoutMs: 30_000,
      });
      assert.match(await stack("stop", "mongo"), new RegExp(`postgres: stopped \\(pid ${restarted}\\)`));
      assert.equal(alive(restarted), false, "stop stopped the restarted PostgreSQL");
    } finally {
      if (alive(restarted)) await pgCtl(restarted, "stop", "-m", "fast", "-w").catch(() => {});
      await stack("start", "mongo");
    }
  });
});
