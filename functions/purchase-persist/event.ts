// Pure mapping: an incoming CloudEvent (as KafkaSource delivers it) -> the purchase document.
// Two kinds arrive: the buy function's purchase event (its own id), and a plain JSON record that
// KafkaSource wrapped (type dev.knative.kafka.event, id partition:<p>/offset:<o>, time = the record
// timestamp); both carry the purchase JSON {username, user_id, item_name, price, timestamp}.
import type { CloudEventV1 } from "cloudevents";
import * as v from "valibot";
import { decodeUtf8, wellFormed } from "../shared/body.ts";
import { issueDetails } from "../shared/errors.ts";
import { isCalendarDate, PurchaseDataSchema, type PurchaseDoc, toCents } from "../shared/purchase.ts";
import { uuidV5For } from "../shared/uuid5.ts";
import type { IdSource } from "./identity.ts";

// Namespace for purchase ids derived from a CloudEvent's identity: RFC 9562 UUIDv5.
const EVENT_NAMESPACE = "9b8e51b6-3a51-4f0e-8d4c-6f0a1d2e7c33";
const eventUuid = uuidV5For(EVENT_NAMESPACE);

/** The type KafkaSource gives a record that is not a CloudEvent of its own (docs/kafka-source.md#behaviour). */
const PLAIN_RECORD_TYPE = "dev.knative.kafka.event";

// CloudEvents 1.0 required context attributes (spec section 3.1): non-empty strings; `time`, when
// present, an RFC 3339 timestamp.
const Attributes = v.object({
  specversion: v.literal("1.0", "specversion must be 1.0"),
  id: v.pipe(v.string("id is required"), v.minLength(1, "id must not be empty"), v.maxLength(512)),
  source: v.pipe(
    v.string("source is required"),
    v.minLength(1, "source must not be empty"),
    v.maxLength(1024),
  ),
  type: v.pipe(v.string("type is required"), v.minLength(1, "type must not be empty"), v.maxLength(256)),
  time: v.optional(
    v.pipe(
      v.string("time must be a string"),
      v.isoTimestamp("time must be an RFC 3339 timestamp"),
      v.check(isCalendarDate, "time must be a day of the calendar (no February 30)"),
    ),
  ),
});

/**
 * The context attributes as the sender wrote them: the ce-* headers in binary mode, the JSON
 * envelope in structured mode (HTTP binding, sections 3.1 and 3.2). The SDK fills in a missing `id`
 * (a random UUID, which would defeat deduplication) and `specversion`, and does not check `time`,
 * so the attributes are validated from the message itself.
 */
/**
 * The CloudEvent attribute headers (ce-*, and content-type for datacontenttype) that a request sent
 * more than once, from Node's raw header list: Node and the Fetch Headers join repeats into one
 * value ("a, b"), which would pass for a single id (HTTP binding, section 3.1.3: one header per
 * attribute).
 */
export function repeatedAttributeHeaders(rawHeaders: readonly string[]): string[] {
  const seen = new Map<string, number>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]).toLowerCase();
    if (name.startsWith("ce-") || name === "content-type") seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([name]) => name);
}

export function declaredAttributes(headers: Record<string, string>, body: string): unknown {
  if (/^application\/cloudevents\+json/i.test(headers["content-type"] ?? "")) {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const h = (name: string) => headers[`ce-${name}`];
  return {
    specversion: h("specversion"),
    id: h("id"),
    source: h("source"),
    type: h("type"),
    time: h("time"),
  };
}

export type Rejection = { reason: "invalid_event" | "invalid_data"; message: string; details?: unknown };
export type Mapped = { ok: true; doc: PurchaseDoc; ids: IdSource } | ({ ok: false } & Rejection);

/** The event's data as a JS value: JSON text, bytes (data_base64) or an already-parsed object. */
function dataOf(data: unknown): unknown {
  if (ArrayBuffer.isView(data)) {
    data = decodeUtf8(Uint8Array.from(data as Uint8Array));
    if (data === undefined) throw new Error("data is not valid UTF-8");
  }
  if (typeof data === "string") data = JSON.parse(data);
  if (!wellFormed(data)) throw new Error("a string holds an unpaired surrogate");
  return data;
}

/** `declared`: the attributes as sent (see declaredAttributes); by default the event's own. */
export function toPurchaseDoc(event: CloudEventV1<unknown>, now: Date, declared: unknown = event): Mapped {
  const attrs = v.safeParse(Attributes, declared);
  if (!attrs.success) {
    const details = issueDetails(attrs.issues);
    return {
      ok: false,
      reason: "invalid_event",
      message: `invalid CloudEvent: ${details[0]?.message}`,
      details,
    };
  }
  if (typeof declared === "object" && declared !== null && "data" in declared && "data_base64" in declared) {
    // JSON event format, section 3.1: data_base64 carries binary data *instead of* data.
    return {
      ok: false,
      reason: "invalid_event",
      message: "invalid CloudEvent: it has both data and data_base64; send one",
    };
  }
  let raw: unknown;
  try {
    raw = dataOf(event.data);
  } catch (err) {
    return {
      ok: false,
      reason: "invalid_data",
      message: `event data is not valid JSON: ${(err as Error).message}`,
    };
  }
  const data = v.safeParse(PurchaseDataSchema, raw);
  if (!data.success) {
    const details = issueDetails(data.issues);
    const first = details[0];
    return {
      ok: false,
      reason: "invalid_data",
      message: `invalid purchase: ${first?.field}: ${first?.message}`,
      details,
    };
  }
  const p = data.output;
  const { id, source, type, time } = attrs.output;
  // A wrapped plain record's id (partition/offset) is unique only while its topic lives: a recreated
  // topic counts from 0 again. Its time (the record timestamp) repeats on redelivery and differs
  // after a re-creation, so it is part of the identity. A CloudEvent of its own is (source, id)
  // (CloudEvents 1.0, section 3.1.1), or the purchase id its data names.
  const eventTime = type === PLAIN_RECORD_TYPE && time !== undefined ? new Date(time) : undefined;
  const identity = eventTime ? `${source}\n${id}\n${eventTime.toISOString()}` : `${source}\n${id}`;
  return {
    ok: true,
    ids: p.id === undefined ? "derived" : "named",
    doc: {
      _id: p.id ?? eventUuid(identity),
      username: p.username,
      user_id: p.user_id,
      item_name: p.item_name,
      price: p.price,
      price_cents: toCents(p.price),
      timestamp: p.timestamp,
      created_at: now,
      event_id: id,
      event_source: source,
      ...(eventTime ? { event_time: eventTime } : {}),
    },
  };
}
