// The fault "poison records mid-load" (issue 24): a hostile producer writes records no sink can take
// straight to the purchases topic while purchases flow. Each must be dead-lettered (verify.ts checks
// them by position) and no partition may stop: the campaign's drain waits for lag 0.
import { createKafka, createProducer } from "../../functions/shared/kafka.ts";
import { splitDeadLetter } from "../../kafka-source/dispatcher/dead-letter-record.ts";
import { readTopic } from "../../kafka-source/dlq/read-topic.ts";
import { unique } from "../names.ts";
import { testConfig } from "../stack.ts";
import { withAdmin } from "../topics.ts";
import type { Fault } from "./faults.ts";

export interface Position {
  partition: number;
  offset: number;
}

const ce = { specversion: "1.0", source: "/poison", type: "poison" };
/** Kinds the dispatcher cannot send (its event is no valid HTTP) or purchase-persist refuses (400). */
const KINDS: Array<{ headers: Record<string, string>; value: string }> = [
  {
    headers: { "content-type": "application/cloudevents+json" },
    value: JSON.stringify({ ...ce, id: "p", datacontenttype: "application/json\u0001", data: { a: 1 } }),
  },
  {
    headers: { ce_specversion: "1.0", ce_id: "p", ce_source: "/poison", ce_type: "t", "ce_bad name": "v" },
    value: "{}",
  },
  { headers: { "content-type": "application/json\u0007" }, value: "{}" },
  {
    headers: { "content-type": "application/cloudevents+json" },
    value: JSON.stringify({ ...ce, id: "p", data_base64: "%%%not base64" }),
  },
  { headers: {}, value: "not json at all" },
];

/** A burst of every kind to every partition of the campaign's topic; the fault reports their positions. */
export const poisonRecords = (partitions = 3): Fault => ({
  name: "poison records",
  inject: async ({ env, clock }) => {
    const topic = env.KAFKA_TOPIC;
    if (!topic) throw new Error("poison records: the campaign's env has no KAFKA_TOPIC");
    const injectedAt = clock();
    const producer = createProducer(createKafka(testConfig(), unique("poison")), { timeoutMs: 10_000 });
    await producer.connect();
    const poisoned: Position[] = [];
    try {
      for (let partition = 0; partition < partitions; partition++) {
        for (const [i, kind] of KINDS.entries()) {
          const key = `poison-${partition}-${i}`;
          const [meta] = await producer.send({ topic, messages: [{ partition, key, ...kind }] });
          poisoned.push({ partition, offset: Number(meta?.baseOffset ?? meta?.offset) });
        }
      }
    } finally {
      await producer.disconnect();
    }
    return { injectedAt, restoredAt: clock(), poisoned };
  },
});

/** The source positions (knativekafkapartition/offset) of every dead letter in `dlq`. */
export const deadLetterPositions = (dlq: string): Promise<Position[]> =>
  withAdmin(async (admin) => {
    const letters = await readTopic(admin, testConfig().KAFKA_BOOTSTRAP_SERVERS, dlq);
    return letters.map((letter) => {
      const { failure } = splitDeadLetter(letter);
      return { partition: Number(failure.knativekafkapartition), offset: Number(failure.knativekafkaoffset) };
    });
  });
