// Kafka helpers of the bench: topics of its own, and producing its purchase records fast.
import type { KafkaJS } from "@confluentinc/kafka-javascript";
import { createAdmin, createKafka, createProducer, ensureTopic } from "../../functions/shared/kafka.ts";
import type { Say } from "./progress.ts";
import { type SeedRecord, seedRecord } from "./records.ts";

export async function withAdmin<T>(kafka: string[], fn: (admin: KafkaJS.Admin) => Promise<T>): Promise<T> {
  const admin = createAdmin(createKafka({ KAFKA_BOOTSTRAP_SERVERS: kafka }, "bench-admin"));
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export const createTopics = (kafka: string[], topics: string[], partitions = 3) =>
  withAdmin(kafka, async (admin) => {
    for (const topic of topics) await ensureTopic(admin, { topic, partitions });
  });

export const deleteTopics = (kafka: string[], topics: string[]) =>
  withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone, timeout: 10_000 });
  }).catch(() => {});

/** Records in a topic (sum of high watermarks minus low). */
export const topicSize = (kafka: string[], topic: string) =>
  withAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  });

/** Produces records 0..n-1 (key = user_id, value = the purchase JSON), batched, 4 sends in flight. */
export async function produceSeed(kafka: string[], topic: string, n: number, users: number, say: Say) {
  const producer = createProducer(createKafka({ KAFKA_BOOTSTRAP_SERVERS: kafka }, "bench-seed"), {
    timeoutMs: 60_000,
    lingerMs: 20,
  });
  await producer.connect();
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let shown = 0;
  const batch = 1000;
  try {
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          const from = next;
          next = Math.min(n, next + batch);
          const messages = [];
          for (let i = from; i < next; i++) {
            const r: SeedRecord = seedRecord(i, users);
            messages.push({ key: r.user_id, value: JSON.stringify(r) });
          }
          await producer.send({ topic, messages });
          done += messages.length;
          if (done - shown >= n / 4 || done === n) {
            shown = done;
            say(`produced ${done}/${n} records to ${topic}`);
          }
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  return { seconds: (performance.now() - t0) / 1000 };
}

/**
 * A cheap progress count for a consumer group: the sum of its committed offsets on `topic` (a lower
 * bound of what it has processed). Keeps one admin connection; close() when done.
 */
export async function committedCounter(kafka: string[], group: string, topic: string) {
  const admin = createAdmin(createKafka({ KAFKA_BOOTSTRAP_SERVERS: kafka }, "bench-offsets"));
  await admin.connect();
  return {
    count: async () => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    },
    close: () => admin.disconnect(),
  };
}

export const deleteGroups = (kafka: string[], groups: string[]) =>
  withAdmin(kafka, (admin) => admin.deleteGroups(groups)).catch(() => {});
