// The purchases every contender works on: plain JSON records of the purchase
// {username, user_id, item_name, price, timestamp}, deterministic so every run has the same data.
import { CATALOG } from "../../functions/shared/catalog.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { toCents } from "../../functions/shared/purchase.ts";
import { type HttpMessage, toHttpBinary } from "../../kafka-source/dispatcher/binding.ts";
import { type SourceRef, toCloudEvent } from "../../kafka-source/dispatcher/mapping.ts";

export interface SeedRecord {
  username: string;
  user_id: string;
  item_name: string;
  price: number;
  timestamp: string;
}

const EPOCH = Date.parse("2026-01-01T00:00:00.000Z");

/** Purchase `i` of `users` users: round-robin users, catalog items by a fixed hash of i. */
export function seedRecord(i: number, users: number): SeedRecord {
  const u = i % users;
  const item = CATALOG[(i * 2_654_435_761) % CATALOG.length] ?? CATALOG[0];
  if (!item) throw new Error("catalog is empty");
  return {
    username: `Bench User ${u}`,
    user_id: `bench-u${u}`,
    item_name: item.name,
    price: item.price,
    timestamp: new Date(EPOCH + i * 1000).toISOString(),
  };
}

/** The document purchase-persist stores for record i (same fields, a UUID-sized id). */
export function seedDoc(i: number, users: number, source: string): PurchaseDoc {
  const r = seedRecord(i, users);
  const event_id = `partition:${i % 3}/offset:${i}`;
  return {
    _id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    username: r.username,
    user_id: r.user_id,
    item_name: r.item_name,
    price: r.price,
    price_cents: toCents(r.price),
    timestamp: new Date(r.timestamp),
    created_at: new Date(),
    event_id,
    event_source: source,
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), for picking users to read. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The POST the dispatcher sends purchase-persist for seed record i read from `topic` (partition i % 3,
 * offset i): what mapping.ts and binding.ts make of it, before delivery.ts adds its two headers.
 */
export function seedDelivery(
  i: number,
  opts: { topic: string; source: SourceRef; overrides?: Record<string, string> },
): HttpMessage {
  const r = seedRecord(i, 10_000);
  const event = toCloudEvent(
    {
      topic: opts.topic,
      partition: i % 3,
      offset: i,
      timestamp: Date.parse(r.timestamp),
      key: Buffer.from(r.user_id),
      value: Buffer.from(JSON.stringify(r)),
      headers: [],
    },
    opts.source,
    opts.overrides,
  );
  return toHttpBinary(event);
}
