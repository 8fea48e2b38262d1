// Producing the bench's seed records fast (topics, counts and offsets: harness/topics.ts).
import { createKafka, createProducer } from "../../functions/shared/kafka.ts";
import type { Say } from "./progress.ts";
import { type SeedRecord, seedRecord } from "./records.ts";

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
