// Pure: the record a `kafka:<topic>` dead-letter sink writes, and its parts read back (scripts/dlq.ts).
// Upstream, the KafkaSink behind a dead-letter sink writes the failed event in binary mode: a record
// that was no CloudEvent, or a structured one, comes out rewritten (decoded data_base64, lower-cased
// header names, headers turned into kafkaheader* extensions). Ours keeps the original record instead,
// so that what the producer wrote can be read and replayed as it was:
// 1. the original key, value bytes and headers, unchanged, first;
// 2. identity: the event's attributes as ce_<name> headers that no original header carries already
//    (for a record that was no binary-mode CloudEvent: its wrapping's id, source, type…), so that
//    every dead letter is a binary-mode CloudEvent (docs/asyncapi.json) and a replay keeps its id;
// 3. the failure: the knativeerror* extensions (errorExtensions) and the record's
//    knativekafkapartition and knativekafkaoffset on the source topic.
import type { KafkaRecord, MappedEvent } from "./mapping.ts";

export interface DeadLetterRecord {
  key: Buffer | undefined;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

const POSITION = ["knativekafkapartition", "knativekafkaoffset"];
const FAILURE = /^ce_knative(error|kafka)/;

/** `failure`: errorExtensions' output (knativeerrordest first, as it builds it). */
export function toDeadLetterRecord(
  record: KafkaRecord,
  event: MappedEvent,
  failure: Record<string, string>,
): DeadLetterRecord {
  const carried = new Set(record.headers.map(([name]) => name.toLowerCase()));
  const identity: Array<[string, Buffer]> = [];
  for (const [name, value] of Object.entries(event.attributes)) {
    const header = name === "datacontenttype" ? "content-type" : `ce_${name}`;
    if (POSITION.includes(name) || name in failure || carried.has(header)) continue;
    identity.push([header, Buffer.from(String(value))]);
  }
  const failed: Record<string, string> = { ...failure };
  for (const name of POSITION) failed[name] = String(event.attributes[name] ?? "");
  const trailer = Object.entries(failed).map(([n, v]): [string, Buffer] => [`ce_${n}`, Buffer.from(v)]);
  return { key: record.key, value: record.value, headers: [...record.headers, ...identity, ...trailer] };
}

/**
 * A dead letter split into `replayable`, the record to put back on the source topic (every header
 * but ce_knativeerror* and ce_knativekafka*: for ours, the original plus its identity), and
 * `failure`, those values (the last of a name: ours come after any the original had). By name, not
 * by position, so that it reads the same way a dead letter a KafkaSink wrote in the cluster (the
 * event in binary mode, headers in its own order) and one from before the original was kept.
 */
export function splitDeadLetter(letter: Pick<KafkaRecord, "key" | "value" | "headers">): {
  replayable: DeadLetterRecord;
  failure: Record<string, string>;
} {
  const failure: Record<string, string> = {};
  const headers: Array<[string, Buffer]> = [];
  for (const [name, value] of letter.headers) {
    const lower = name.toLowerCase();
    if (FAILURE.test(lower)) failure[lower.slice(3)] = value.toString();
    else headers.push([name, value]);
  }
  return { replayable: { key: letter.key, value: letter.value, headers }, failure };
}

/**
 * Headers as the KafkaJS-style producer takes them: one entry per name, repeated values as an array
 * in their order. Each name keeps its values and their order; the order between different names
 * is the producer's (object key order: names that look like integers come first).
 */
export function toProducerHeaders(headers: Array<[string, Buffer]>): Record<string, Buffer[]> {
  const out: Record<string, Buffer[]> = Object.create(null);
  for (const [name, value] of headers) {
    const values = out[name];
    if (values) values.push(value);
    else Object.defineProperty(out, name, { value: [value], enumerable: true, writable: true });
  }
  return out;
}
