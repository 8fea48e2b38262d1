// What a rejected input must not change: the stored purchases (count and a hash of every document)
// and the records in the purchases topic.
import { createHash } from "node:crypto";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import type { Collection } from "mongodb";
import type { Admin } from "../../functions/shared/kafka.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";

export interface DatabaseState {
  count: number;
  hash: string;
}

export async function databaseState(collection: Collection<PurchaseDoc>): Promise<DatabaseState> {
  const docs = await collection.find({}, { sort: { _id: 1 } }).toArray();
  return { count: docs.length, hash: createHash("sha256").update(JSON.stringify(docs)).digest("hex") };
}

/** Records in a topic (sum over partitions of high - low watermark). */
export async function topicRecords(admin: Admin, topic: string) {
  const offsets = await admin.fetchTopicOffsets(topic, {
    isolationLevel: KafkaJS.IsolationLevel.READ_UNCOMMITTED,
  });
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}
