// Dead-letter topic tool for the local KafkaSource dispatcher (kafka-source/dispatcher).
//   node scripts/dlq.ts list [--topic purchases-dlq] [--limit N]
//     prints every dead letter, oldest first: partition:offset, id, source, type, knativeerrorcode,
//     the decoded knativeerrordata and a preview of the data. Reads from the beginning to the end
//     offsets with a throwaway group id, commits nothing.
//   node scripts/dlq.ts replay <offset|partition:offset> [...] [--to purchases]
//     produces the chosen dead letters' original records to --to (key, value bytes and headers as
//     produced, plus the id a record that was no CloudEvent had; without the failure headers), so
//     dedup by id still holds.
//     --new-id gives each a new id instead (derived from its DLQ position; the old one kept as the
//     extension originalid): the way out of a 422 identity_conflict (docs/operations.md#dead-letters).
// Kafka: $KAFKA_BOOTSTRAP_SERVERS; defaults: --topic $KAFKA_DLQ_TOPIC, --to $KAFKA_TOPIC.

import { createAdmin, createKafka, createProducer } from "../functions/shared/kafka.ts";
import { systemConfig } from "../harness/config.ts";
import {
  describe,
  namedPurchaseId,
  parseArgs,
  replayMessage,
  select,
  USAGE,
  UsageError,
} from "../kafka-source/dlq/dead-letters.ts";
import { readTopic } from "../kafka-source/dlq/read-topic.ts";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const config = systemConfig({ ...process.env, LOG_LEVEL: "silent" });
  const cmd = parseArgs(argv, { topic: config.KAFKA_DLQ_TOPIC, to: config.KAFKA_TOPIC });
  const kafka = createKafka(config, "dlq-tool");
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    const topics = await admin.listTopics({ timeout: 10_000 });
    for (const t of cmd.command === "replay" ? [cmd.topic, cmd.to] : [cmd.topic]) {
      if (!topics.includes(t)) throw new Error(`topic ${t} does not exist`);
    }
    const records = await readTopic(admin, config.KAFKA_BOOTSTRAP_SERVERS, cmd.topic);
    if (cmd.command === "list") {
      const shown = records.slice(0, cmd.limit);
      for (const r of shown) console.log(describe(r));
      console.log(`${shown.length} of ${records.length} dead letter(s) in ${cmd.topic}`);
      return 0;
    }
    const chosen = select(records, cmd.positions);
    const messages = chosen.map((r) => replayMessage(r, { newId: cmd.newId }));
    for (const r of cmd.newId ? chosen : []) {
      const named = namedPurchaseId(r);
      if (named) {
        console.error(
          `warning: ${r.partition}:${r.offset} names its purchase id ${named} in its data: a new event id ` +
            "does not change it, so a purchase that conflicts on it will be refused again",
        );
      }
    }
    const producer = createProducer(kafka, { timeoutMs: 10_000 });
    await producer.connect();
    try {
      await producer.send({
        topic: cmd.to,
        messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers })),
      });
    } finally {
      await producer.disconnect();
    }
    for (const [i, r] of chosen.entries()) {
      const was = cmd.newId ? ` (was ${messages[i]?.originalId})` : "";
      console.log(`replayed ${r.partition}:${r.offset} id=${messages[i]?.id}${was} to ${cmd.to}`);
    }
    return 0;
  } finally {
    await admin.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`dlq: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`dlq: ${(err as Error).message}`);
    process.exit(1);
  },
);
