// Kafka helpers for tests: a topic of one's own, its record count, and reading records back.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { createAdmin, createKafka, ensureTopic } from "../functions/shared/kafka.ts";
import { ROOT, testConfig, unique } from "./helpers.ts";

export interface RecordOut {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export function testKafka() {
  return createKafka(testConfig(), unique("test"));
}

/** Creates a fresh topic and returns its name. */
export async function freshTopic(prefix = "t", partitions = 3) {
  const topic = unique(prefix);
  const admin = createAdmin(testKafka());
  await admin.connect();
  try {
    await ensureTopic(admin, { topic, partitions });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Total records in a topic (sum of high watermarks). */
export async function recordCount(topic: string) {
  const admin = createAdmin(testKafka());
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic, {
      isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED,
    });
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Reads `count` records from the beginning of a topic (throws after timeoutMs). */
export async function readRecords(topic: string, count: number, timeoutMs = 20_000): Promise<RecordOut[]> {
  const consumer = testKafka().consumer({
    kafkaJS: { groupId: unique("reader"), fromBeginning: true, autoCommit: false },
  });
  await consumer.connect();
  const records: RecordOut[] = [];
  try {
    await consumer.subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${count} records from ${topic}`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          records.push({
            partition,
            offset: Number(message.offset),
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? "",
            headers,
          });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Runs the dead-letter tool (scripts/dlq.ts) against the test run's broker: exit code and output. */
export function runDlqTool(...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dlq.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: testConfig().KAFKA_BOOTSTRAP_SERVERS.join(",") },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return once(child, "exit").then(([code]) => ({ code: code as number, out }));
}
