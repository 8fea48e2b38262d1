// Kafka helpers of the tests, the bench and the campaigns: topics of one's own, record counts,
// reading records back, committed offsets, and the dead-letter tool against the local broker.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { type Admin, createAdmin, createKafka, ensureTopic } from "../functions/shared/kafka.ts";
import { unique } from "./names.ts";
import { ROOT } from "./root.ts";
import { testConfig } from "./stack.ts";

/** The local stack's brokers (KAFKA_BOOTSTRAP_SERVERS). */
const localBrokers = () => testConfig().KAFKA_BOOTSTRAP_SERVERS;

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

/** Runs `fn` with a connected admin client of `brokers` (default: the local stack's). */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>, brokers = localBrokers()): Promise<T> {
  const admin = createAdmin(createKafka({ KAFKA_BOOTSTRAP_SERVERS: brokers }, unique("admin")));
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a fresh topic and returns its name. */
export async function freshTopic(prefix = "t", partitions = 3) {
  const topic = unique(prefix);
  await createTopics([topic], { partitions });
  return topic;
}

export interface TopicOptions {
  partitions?: number;
  brokers?: string[];
}

export const createTopics = (topics: string[], { partitions = 3, brokers }: TopicOptions = {}) =>
  withAdmin(async (admin) => {
    for (const topic of topics) await ensureTopic(admin, { topic, partitions });
  }, brokers);

/** Deletes those of `topics` that exist; a failure is ignored (clean-up). */
export const deleteTopics = (topics: string[], brokers?: string[]) =>
  withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone, timeout: 10_000 });
  }, brokers).catch(() => {});

/** Deletes consumer groups; a failure is ignored (clean-up). */
export const deleteGroups = (groups: string[], brokers?: string[]) =>
  withAdmin((admin) => admin.deleteGroups(groups), brokers).catch(() => {});

/** Total records in a topic (sum of high watermarks minus low). */
export const recordCount = (topic: string, brokers?: string[]) =>
  withAdmin(async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic, {
      isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED,
    });
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }, brokers);

/**
 * A cheap progress count for a consumer group: the sum of its committed offsets on `topic` (a lower
 * bound of what it has processed). Keeps one admin connection; close() when done.
 */
export async function committedCounter(opts: { group: string; topic: string; brokers?: string[] }) {
  const { group, topic, brokers = localBrokers() } = opts;
  const admin = createAdmin(createKafka({ KAFKA_BOOTSTRAP_SERVERS: brokers }, unique("offsets")));
  await admin.connect();
  return {
    count: async () => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    },
    close: () => admin.disconnect(),
  };
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
  const child = spawn(process.execPath, ["scripts/dlq.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: testConfig().KAFKA_BOOTSTRAP_SERVERS.join(",") },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return once(child, "exit").then(([code]) => ({ code: code as number, out }));
}
