// Reads a whole topic from the beginning up to the end offsets it had when the read started, with a
// throwaway group id and manual assignment: nothing is committed, no group rebalances.
import { randomUUID } from "node:crypto";
import { RdKafka } from "@confluentinc/kafka-javascript";
import { type Admin, withTimeout } from "../../functions/shared/kafka.ts";
import { toRecord } from "../dispatcher/consumer.ts";
import type { KafkaRecord } from "../dispatcher/mapping.ts";

export async function readTopic(
  admin: Admin,
  bootstrapServers: string[],
  topic: string,
  timeoutMs = 15_000,
): Promise<KafkaRecord[]> {
  const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low));
  if (ends.length === 0) return [];
  const consumer = new RdKafka.KafkaConsumer({
    "bootstrap.servers": bootstrapServers.join(","),
    "group.id": `dlq-reader-${randomUUID()}`,
    "enable.auto.commit": false,
    "auto.offset.reset": "earliest",
  });
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())),
  );
  try {
    consumer.assign(ends.map((p) => ({ topic, partition: p.partition, offset: Number(p.low) })));
    consumer.setDefaultConsumeTimeout(200);
    const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const records: KafkaRecord[] = [];
    const read = async () => {
      while (remaining.size > 0) {
        const batch = await new Promise<KafkaRecord[]>((resolve, reject) =>
          consumer.consume(500, (err, messages) => (err ? reject(err) : resolve(messages.map(toRecord)))),
        );
        for (const r of batch) {
          const end = remaining.get(r.partition);
          if (end === undefined || r.offset >= end) continue;
          records.push(r);
        }
        // The position (next offset to read) passes transaction markers and compacted gaps too.
        for (const pos of consumer.position(ends.map((p) => ({ topic, partition: p.partition })))) {
          if (pos.offset >= (remaining.get(pos.partition) ?? Number.POSITIVE_INFINITY))
            remaining.delete(pos.partition);
        }
      }
    };
    await withTimeout(read(), timeoutMs);
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
