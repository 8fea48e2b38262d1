// Pure: dead letters (the original records the dispatcher kept, with the event's identity and the
// failure as ce_ headers: dispatcher/dead-letter-record.ts) -> readable summaries and replayable
// records, and the argument parsing of scripts/dlq.ts.
import { uuidV5For } from "../../functions/shared/uuid5.ts";
import { toKafkaBinary, withoutAttributes } from "../dispatcher/binding.ts";
import { splitDeadLetter, toProducerHeaders } from "../dispatcher/dead-letter-record.ts";
import { type KafkaRecord, parseCloudEventRecord } from "../dispatcher/mapping.ts";

export const USAGE = `usage:
  node scripts/dlq.ts list [--topic <dlq topic>] [--limit N]
  node scripts/dlq.ts replay <offset|partition:offset> [...] [--topic <dlq topic>] [--to <topic>] [--new-id]
--new-id: the replayed event gets a new id (the same one each time for the same dead letter) and keeps
  the old one as the extension originalid: for a 422 identity_conflict, whose identity is taken
defaults: --topic $KAFKA_DLQ_TOPIC (purchases-dlq), --to $KAFKA_TOPIC (purchases); Kafka: $KAFKA_BOOTSTRAP_SERVERS`;

// Namespace of the ids --new-id gives (RFC 9562 UUIDv5 of the dead letter's position).
const REPLAY_NAMESPACE = "4d7c2a8e-5b1f-4e63-9a0d-2f8b6c1e7a54";
const replayId = uuidV5For(REPLAY_NAMESPACE);

export class UsageError extends Error {}

export type Command =
  | { command: "list"; topic: string; limit: number }
  | {
      command: "replay";
      topic: string;
      to: string;
      positions: Array<{ partition?: number; offset: number }>;
      newId: boolean;
    };

export function parseArgs(argv: string[], defaults: { topic: string; to: string }): Command {
  const [command, ...rest] = argv;
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (name === "new-id") {
      flags[name] = "true";
      continue;
    }
    if (!["topic", "to", "limit"].includes(name)) throw new UsageError(`unknown option ${arg}`);
    const value = rest[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
    flags[name] = value;
  }
  const topic = flags.topic ?? defaults.topic;
  if (command === "list") {
    if (positional.length) throw new UsageError(`list takes no arguments, got ${positional.join(" ")}`);
    if (flags.to || flags["new-id"]) throw new UsageError("--to and --new-id are for replay");
    const limit = flags.limit === undefined ? Number.POSITIVE_INFINITY : Number(flags.limit);
    if (flags.limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw new UsageError("--limit must be a whole number >= 1");
    }
    return { command: "list", topic, limit };
  }
  if (command === "replay") {
    if (flags.limit) throw new UsageError("--limit is for list");
    if (positional.length === 0) throw new UsageError("replay needs at least one offset (see `list`)");
    const positions = positional.map((p) => {
      const m = /^(?:(\d+):)?(\d+)$/.exec(p);
      if (!m) throw new UsageError(`not an offset: ${p} (use <offset> or <partition>:<offset>)`);
      return { ...(m[1] === undefined ? {} : { partition: Number(m[1]) }), offset: Number(m[2]) };
    });
    return {
      command: "replay",
      topic,
      to: flags.to ?? defaults.to,
      positions,
      newId: flags["new-id"] === "true",
    };
  }
  throw new UsageError(command ? `unknown command ${command}` : "missing command");
}

/** The dead letters the positions name; a bare offset must be unique across partitions. */
export function select(records: KafkaRecord[], positions: Array<{ partition?: number; offset: number }>) {
  return positions.map(({ partition, offset }) => {
    const hits = records.filter(
      (r) => r.offset === offset && (partition === undefined || r.partition === partition),
    );
    const at = partition === undefined ? `offset ${offset}` : `${partition}:${offset}`;
    if (hits.length === 0) throw new UsageError(`no dead letter at ${at}`);
    if (hits.length > 1) {
      throw new UsageError(
        `offset ${offset} is in partitions ${hits.map((h) => h.partition).join(", ")}: use p:o`,
      );
    }
    return hits[0] as KafkaRecord;
  });
}

const preview = (data: Buffer | undefined, max = 120) => {
  if (!data || data.length === 0) return "(none)";
  const text = data.subarray(0, max).toString("utf8").replace(/\s+/g, " ");
  return data.length > max ? `${text}… (${data.length} bytes)` : text;
};

/** One dead letter as a few readable lines. */
export function describe(record: KafkaRecord): string {
  const { replayable, failure } = splitDeadLetter(record);
  const event = parseCloudEventRecord(replayable);
  const at = `${record.partition}:${record.offset}`;
  const errorData =
    failure.knativeerrordata === undefined ? undefined : Buffer.from(failure.knativeerrordata, "base64");
  const a = event?.attributes;
  const from =
    failure.knativekafkaoffset === undefined
      ? ""
      : `  from partition ${failure.knativekafkapartition} offset ${failure.knativekafkaoffset}`;
  return [
    a ? `${at}  id=${a.id}  type=${a.type}  source=${a.source}${from}` : `${at}  (not a CloudEvent)${from}`,
    `    knativeerrorcode=${failure.knativeerrorcode ?? "(no response)"}  knativeerrordest=${failure.knativeerrordest ?? "?"}`,
    `    knativeerrordata: ${preview(errorData, 1024)}`,
    `    data: ${preview(event ? event.data : (replayable.value ?? undefined))}`,
  ].join("\n");
}

/** A record to produce again: headers as the producer takes them, and the event id it carries. */
export interface ReplayMessage {
  key: Buffer | undefined;
  value: Buffer | null;
  headers: Record<string, Buffer[] | string>;
  id: string | undefined;
  originalId?: string;
}

/**
 * The record to put back on the source topic: the original record as it was produced (key, value
 * bytes, headers), with the identity the dead letter gave it (a record that was no CloudEvent keeps
 * the id it had), without the failure part; the dispatcher adds knativekafka* anew. So consumers
 * that dedupe by id see the same event.
 * With `newId`, the event is rewritten in binary mode with an id of its own instead: derived from
 * the dead letter's position, so that replaying the same dead letter twice still gives one event
 * (at-least-once holds).
 */
export function replayMessage(record: KafkaRecord, opts: { newId?: boolean } = {}): ReplayMessage {
  const { replayable } = splitDeadLetter(record);
  const event = parseCloudEventRecord(replayable);
  if (!opts.newId) {
    const headers = toProducerHeaders(replayable.headers);
    return { key: replayable.key, value: replayable.value, headers, id: event?.attributes.id as string };
  }
  if (!event) throw new UsageError(`${record.partition}:${record.offset} is not a CloudEvent`);
  const attributes = withoutAttributes(event.attributes, (n) => /^knative(error|kafka)/.test(n));
  const originalId = String(attributes.id);
  attributes.originalid = originalId;
  attributes.id = replayId(`${record.topic}\n${record.partition}\n${record.offset}`);
  const message = toKafkaBinary({ ...event, attributes }, record.key);
  return { ...message, id: attributes.id, originalId };
}

/** Why --new-id will not help: the data names its purchase id, which a new event id leaves as is. */
export function namedPurchaseId(record: KafkaRecord): string | undefined {
  try {
    const data = JSON.parse(
      parseCloudEventRecord(splitDeadLetter(record).replayable)?.data?.toString("utf8") ?? "",
    );
    return typeof data?.id === "string" ? data.id : undefined;
  } catch {
    return undefined;
  }
}
