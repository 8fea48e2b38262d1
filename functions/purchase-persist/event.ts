// Pure mapping: an incoming CloudEvent (as KafkaSource delivers it) -> the purchase document.
// Two kinds arrive: the buy function's purchase event (its own id), and a plain JSON record that
// KafkaSource wrapped (type dev.knative.kafka.event, id partition:<p>/offset:<o>); both carry the
// seed's message format as data.
import type { CloudEventV1 } from "cloudevents";
import { v5 as uuidv5 } from "uuid";
import * as v from "valibot";
import { decodeUtf8, wellFormed } from "../shared/body.ts";
import { issueDetails } from "../shared/errors.ts";
import { PurchaseDataSchema, type PurchaseDoc, toCents } from "../shared/purchase.ts";

// Namespace for purchase ids derived from a CloudEvent's identity (source, id): RFC 9562 UUIDv5.
const EVENT_NAMESPACE = "9b8e51b6-3a51-4f0e-8d4c-6f0a1d2e7c33";

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
    v.pipe(v.string("time must be a string"), v.isoTimestamp("time must be an RFC 3339 timestamp")),
  ),
});

/**
 * The context attributes as the sender wrote them: the ce-* headers in binary mode, the JSON
 * envelope in structured mode (HTTP binding, sections 3.1 and 3.2). The SDK fills in a missing `id`
 * (a random UUID, which would defeat deduplication) and `specversion`, and does not check `time`,
 * so the attributes are validated from the message itself.
 */
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
export type Mapped = { ok: true; doc: PurchaseDoc } | ({ ok: false } & Rejection);

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
  const { id, source } = attrs.output;
  return {
    ok: true,
    doc: {
      _id: p.id ?? uuidv5(`${source}\n${id}`, EVENT_NAMESPACE),
      username: p.username,
      user_id: p.user_id,
      item_name: p.item_name,
      price: p.price,
      price_cents: toCents(p.price),
      timestamp: p.timestamp,
      created_at: now,
      event_id: id,
      event_source: source,
    },
  };
}
