// Pure: the record a `kafka:<topic>` dead-letter sink writes, and its parts read back (scripts/dlq.ts).
// Upstream, the KafkaSink behind a dead-letter sink writes the failed event in binary mode: a record
// that was no CloudEvent, or a structured one, comes out rewritten (decoded data_base64, lower-cased
// header names, headers turned into kafkaheader* extensions). Ours keeps the original record instead,
// so that what the producer wrote can be read and replayed as it was:
// 1. the original key, value bytes and headers, unchanged, first;
// 2. identity: the event's attributes as ce_<name> headers that no original header carries already
//    (for a record that was no binary-mode CloudEvent: its wrapping's id, source, type…), so that
//    every dead letter is a binary-mode CloudEvent (docs/asyncapi.json) and a replay keeps its id;
// 3. the failure: ce_knativeerrordest first (always there, so the last one marks where the failure
//    part begins), the other knativeerror* extensions, and the record's knativekafkapartition and
//    knativekafkaoffset on the source topic.
import type { KafkaRecord, MappedEvent } from "./mapping.ts";

export interface DeadLetterRecord {
  key: Buffer | undefined;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

const POSITION = ["knativekafkapartition", "knativekafkaoffset"];
const BOUNDARY = "ce_knativeerrordest";

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
  const failed: Record<string, string> = { knativeerrordest: failure.knativeerrordest ?? "", ...failure };
  for (const name of POSITION) failed[name] = String(event.attributes[name] ?? "");
  const trailer = Object.entries(failed).map(([n, v]): [string, Buffer] => [`ce_${n}`, Buffer.from(v)]);
  return { key: record.key, value: record.value, headers: [...record.headers, ...identity, ...trailer] };
}

/**
 * A dead letter split at its failure part: `replayable` is the record to put back on the source
 * topic (the original plus its identity), `failure` the knativeerror* and knativekafka* values. A dead
 * letter from before the original was kept (the event's attributes, then knativeerror*) splits the
 * same way: its replayable part is the event as it was sent.
 */
export function splitDeadLetter(letter: Pick<KafkaRecord, "key" | "value" | "headers">): {
  replayable: DeadLetterRecord;
  failure: Record<string, string>;
} {
  const at = letter.headers.findLastIndex(([name]) => name.toLowerCase() === BOUNDARY);
  const end = at < 0 ? letter.headers.length : at;
  const failure: Record<string, string> = {};
  for (const [name, value] of letter.headers.slice(end))
    failure[name.slice(3).toLowerCase()] = value.toString();
  return {
    replayable: { key: letter.key, value: letter.value, headers: letter.headers.slice(0, end) },
    failure,
  };
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
