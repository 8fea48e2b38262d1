// Pure: what an insert that hit a unique index (duplicate key 11000) means. A duplicate is proven,
// not assumed: the stored purchase must be the incoming one. The identity rules, per kind of event
// (docs/reliability.md#what-holds-and-why):
// - a CloudEvent of its own (buy's): (source, id), and the purchase id its data names. The same
//   purchase has the same user, item and price. Not the same timestamp: buy answers a retry with
//   the same Idempotency-Key with the same purchase id and item but stamps it anew, and when the
//   first attempt reached Kafka too both arrive here (the first one stored wins);
// - a plain record KafkaSource wrapped: (source, id, time), id = partition/offset, time = the record
//   timestamp. Its purchase id is derived from all three. The unique index event_identity is on
//   (event_source, event_id) only, so that a redelivery of a record stored without event_time (its
//   id derived from source and id alone) still collides and is compared. A later record that reuses
//   partition/offset (a recreated topic) collides there with a different time: it is stored under
//   event_id `<id>@<time>` instead (see requalified). A redelivery is the same record, so the
//   same purchase has the same user id, username, item, price and timestamp.
import { Errors } from "../shared/errors.ts";
import { type PurchaseDoc, toApi } from "../shared/purchase.ts";

export interface Difference {
  field: string;
  message: string;
}

export type Judgement =
  | { status: "duplicate"; stored: PurchaseDoc }
  | { status: "conflict"; stored: PurchaseDoc; differences: Difference[] }
  /** Not the same record: insert it again under its time-qualified identity. */
  | { status: "requalify" }
  /** Nothing holds the id or identity any more: the outcome is unknown, retry. */
  | { status: "unknown" };

/** Where the purchase id comes from: named by the event's data, or derived from its identity. */
export type IdSource = "named" | "derived";

const COMPARED = {
  named: ["user_id", "item_name", "price_cents"],
  derived: ["user_id", "username", "item_name", "price_cents", "timestamp"],
} as const;

const shown = (value: unknown) => JSON.stringify(value instanceof Date ? value.toISOString() : value);

/** The fields in which two purchases differ (created_at and the event fields are never compared). */
function differences(stored: PurchaseDoc, incoming: PurchaseDoc, ids: IdSource): Difference[] {
  const out: Difference[] = [];
  for (const field of COMPARED[ids]) {
    const [a, b] = [stored[field], incoming[field]];
    const same = a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
    if (!same) out.push({ field, message: `stored ${shown(a)}, this event ${shown(b)}` });
  }
  return out;
}

/** The identity under which a wrapped record that reuses partition/offset is stored. */
export function requalified(doc: PurchaseDoc): PurchaseDoc {
  if (!doc.event_time) throw new Error("only a wrapped plain record with a time can be requalified");
  return { ...doc, event_id: `${doc.event_id}@${doc.event_time.toISOString()}` };
}

/**
 * `byId`: the stored document with the incoming purchase id; `byIdentity`: the one holding its
 * (event_source, event_id). Whichever held the key that collided decides; the purchase id first.
 */
export function judge(
  incoming: PurchaseDoc,
  ids: IdSource,
  byId: PurchaseDoc | null,
  byIdentity: PurchaseDoc | null,
): Judgement {
  const stored = byId ?? byIdentity;
  if (!stored) return { status: "unknown" };
  if (!byId && byIdentity && incoming.event_time && byIdentity.event_time) {
    // The same partition/offset at another time: another record of a recreated topic.
    if (byIdentity.event_time.getTime() !== incoming.event_time.getTime()) return { status: "requalify" };
  }
  const diff = differences(stored, incoming, ids);
  // The same identity under another purchase id is another purchase, except for a wrapped record
  // stored without event_time: its id was derived from (source, id) alone.
  const untimed = incoming.event_time !== undefined && stored.event_time === undefined;
  if (stored._id !== incoming._id && !untimed)
    diff.unshift({ field: "id", message: `stored ${shown(stored._id)}, this event ${shown(incoming._id)}` });
  return diff.length === 0
    ? { status: "duplicate", stored }
    : { status: "conflict", stored, differences: diff };
}

/**
 * The 422 for an event whose identity a different stored purchase holds. The stored purchase's id
 * comes first: a dead letter keeps only the first 1024 bytes of the body (knativeerrordata).
 */
export function conflictError(stored: PurchaseDoc, diff: Difference[]) {
  const message =
    `stored purchase ${stored._id} holds this event's identity but is a different purchase ` +
    `(${diff.map((d) => d.field).join(", ")} differ); this event is not stored ` +
    "(docs/operations.md#dead-letters)";
  return Errors.identityConflict(message, [
    ...diff,
    { field: "stored", message: JSON.stringify(toApi(stored)) },
  ]);
}
