// Integration: the management API outlives broker restarts. It restarts a broker of its own
// (harness/private-stack.ts), so it runs in the stack tier beside the other files.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { unique } from "../../harness/names.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { type Component, spawnComponent } from "../../harness/process.ts";
import { stack } from "../../harness/stack.ts";
import { freshTopic, testKafka } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";
import { createGroupReader } from "./lag.ts";

const privateStack = await usePrivateStack("restart", ["kafka"]);
const kafkaPidFile = join(privateStack.dir, "run", "kafka.pid");
const auth = await testAuth();

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the broker and waits until the process is gone (its pidfile stays behind, stale). */
async function killBroker() {
  const pid = Number(readFileSync(kafkaPidFile, "utf8").trim());
  process.kill(pid, "SIGKILL");
  await waitFor("the broker to die", async () => !isAlive(pid));
}

describe("management API: broker restarts", () => {
  const group = unique("mgmt-group");
  let topic: string;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let api: Component;
  // 6 records, 2 per partition; the group committed partition 0 up to offset 1: lag 5.
  const expectedLag = 5;

  before(async () => {
    topic = await freshTopic("mgmt", 3);
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [0, 1, 2, 3, 4, 5].map((i) => ({ value: `r${i}`, partition: i % 3 })),
    });
    await producer.disconnect();
    const committer = kafka.consumer({ kafkaJS: { groupId: group, autoCommit: false } });
    await committer.connect();
    await committer.commitOffsets([{ topic, partition: 0, offset: "1" }]);
    await committer.disconnect();
    db = await freshDatabase("mgmt-restart");
    api = await spawnComponent({
      name: "customer-management",
      entry: "functions/customer-management/server.ts",
      env: {
        ...auth.env,
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: group,
        MONGODB_URI: db.uri,
        LOG_LEVEL: "warn",
      },
    });
  });

  after(async () => {
    await api?.stop();
    await db?.client.db().dropDatabase();
    await db?.client.close();
  });

  const health = async () => {
    const { exitCode, signalCode } = api.child;
    if (exitCode !== null || signalCode !== null) throw new Error(`the API died (${signalCode ?? exitCode})`);
    const res = await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as { kafka: string; lag: number | null };
  };

  test("When the group has committed offsets, then the reader reports its lag; when a member joins, then consuming", async () => {
    const kafka = testKafka();
    const reader = createGroupReader(kafka, group);
    // A group of its own for the member, so that the restart test sees this group unchanged.
    const memberGroup = `${group}-member`;
    const memberReader = createGroupReader(kafka, memberGroup);
    const member = kafka.consumer({ kafkaJS: { groupId: memberGroup, autoCommit: false } });
    await Promise.all([reader.connect(), memberReader.connect(), member.connect()]);
    try {
      assert.deepEqual(await reader.read(topic, 5000), { state: "idle", lag: expectedLag });
      await member.subscribe({ topics: [topic] });
      await member.run({ eachMessage: async () => {} });
      await waitFor(
        "the member to join",
        async () => (await memberReader.read(topic, 2000))?.state === "consuming",
      );
      await member.disconnect();
      await waitFor(
        "the group to empty",
        async () => (await memberReader.read(topic, 2000))?.state === "idle",
      );
    } finally {
      await Promise.allSettled([reader.disconnect(), memberReader.disconnect(), member.disconnect()]);
    }
  });

  test("When the broker is restarted (gracefully and by SIGKILL) under polling, then the API never dies and reports Kafka again", async () => {
    await waitFor("Kafka in /health", async () => (await health()).lag === expectedLag);
    const answers = new Map<string, number>();
    const failures: string[] = [];
    let polling = true;
    // /health and a history read every 200 ms, as the reproduction did.
    const poller = (async () => {
      while (polling) {
        for (const path of ["/health", "/purchases/alice"]) {
          try {
            // Any user's history: the service client's admin scope (the owner rule, issue 25); a
            // token per request, as the restarts can outlast one token's 5 minutes on a loaded machine.
            const res = await fetch(`${api.url}${path}`, {
              headers: { Authorization: `Bearer ${await auth.serviceToken()}` },
              signal: AbortSignal.timeout(5000),
            });
            await res.arrayBuffer();
            const key = `${path} ${res.status}`;
            answers.set(key, (answers.get(key) ?? 0) + 1);
          } catch (err) {
            failures.push(`${path}: ${(err as Error).message}`);
          }
        }
        await sleep(200);
      }
    })();
    try {
      for (const how of ["graceful", "SIGKILL", "graceful", "SIGKILL"]) {
        if (how === "graceful") await stack("stop", "kafka");
        else await killBroker();
        await waitFor(
          `/health to see the broker gone (${how})`,
          async () => (await health()).kafka === "unreachable",
        );
        await sleep(3000); // the outage the reproduction had
        await stack("start", "kafka");
        await waitFor(
          `/health to report Kafka again after a ${how} restart`,
          async () => {
            const h = await health();
            return h.kafka === "idle" && h.lag === expectedLag;
          },
          { timeoutMs: 60_000, everyMs: 500 },
        );
      }
    } finally {
      polling = false;
      await poller;
    }
    assert.deepEqual([api.child.exitCode, api.child.signalCode], [null, null], "the API is still running");
    assert.deepEqual(failures, [], "every poll was answered");
    // Kafka is not needed to read history, and a healthy database keeps /health at 200.
    assert.deepEqual([...answers.keys()].sort(), ["/health 200", "/purchases/alice 200"]);
  });
});
