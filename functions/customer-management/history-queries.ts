// A user's history page and statistics over ALL their purchases, with only operations that both
// MongoDB and FerretDB 1.24 support (find with sort/limit/projection). Money is summed in integer
// cents (price_cents) and converted once at the end.
import type { Collection, Filter } from "mongodb";
import type { Stats } from "../shared/api-schemas.ts";
import { type Cursor, encodeCursor } from "../shared/paging.ts";
import { fromCents, type PurchaseDoc, toApi } from "../shared/purchase.ts";

export async function userStats(
  collection: Collection<PurchaseDoc>,
  userId: string,
  signal?: AbortSignal,
): Promise<Stats> {
  // One pass over the user's purchases instead of one aggregate per figure: FerretDB 1.24 answers
  // every filtered query with a collection scan (and computes only the first accumulator of a
  // $group correctly), so nine scans per history read would starve its writes. On MongoDB this is
  // one index range scan over the user's (small) projected documents.
  const docs = collection.find(
    { user_id: userId },
    { projection: { _id: 1, item_name: 1, price_cents: 1, timestamp: 1 }, ...(signal ? { signal } : {}) },
  );
  let count = 0;
  let cents = 0;
  let min: number | null = null;
  let max: number | null = null;
  let first: Date | null = null;
  let last: Date | null = null;
  const items = new Map<string, { count: number; cents: number }>();
  for await (const d of docs) {
    count++;
    cents += d.price_cents;
    min = min === null ? d.price_cents : Math.min(min, d.price_cents);
    max = max === null ? d.price_cents : Math.max(max, d.price_cents);
    if (!first || d.timestamp < first) first = d.timestamp;
    if (!last || d.timestamp > last) last = d.timestamp;
    const item = items.get(d.item_name) ?? { count: 0, cents: 0 };
    item.count++;
    item.cents += d.price_cents;
    items.set(d.item_name, item);
  }
  const top = [...items]
    .map(([item_name, i]) => ({ item_name, ...i }))
    .sort((a, b) => b.count - a.count || b.cents - a.cents || a.item_name.localeCompare(b.item_name))
    .slice(0, 5);
  return {
    count,
    total_spent: fromCents(cents),
    average_price: count ? fromCents(Math.round(cents / count)) : null,
    min_price: min === null ? null : fromCents(min),
    max_price: max === null ? null : fromCents(max),
    first_purchase_at: first?.toISOString() ?? null,
    last_purchase_at: last?.toISOString() ?? null,
    top_items: top.map((t) => ({ item_name: t.item_name, count: t.count, total: fromCents(t.cents) })),
  };
}

/** One page newest first, strictly after `after`; next_cursor is null on the last page. */
export async function userPage(
  collection: Collection<PurchaseDoc>,
  userId: string,
  limit: number,
  after?: Cursor,
  signal?: AbortSignal,
) {
  const filter: Filter<PurchaseDoc> = { user_id: userId };
  if (after) {
    filter.$or = [
      { timestamp: { $lt: after.timestamp } },
      { timestamp: after.timestamp, _id: { $lt: after.id } },
    ];
  }
  const docs = await collection
    .find(filter, { sort: { timestamp: -1, _id: -1 }, limit: limit + 1, ...(signal ? { signal } : {}) })
    .toArray();
  const page = docs.slice(0, limit);
  const lastDoc = page[page.length - 1];
  const next =
    docs.length > limit && lastDoc ? encodeCursor({ timestamp: lastDoc.timestamp, id: lastDoc._id }) : null;
  return { purchases: page.map(toApi), next_cursor: next };
}
