// A user's history page and statistics over ALL their purchases. Only operations that both MongoDB
// and FerretDB 1.24 support: $match/$group with $sum, countDocuments; extremes by sort + limit.
// Money is summed in integer cents (price_cents) and converted once at the end.
import type { Collection, Filter } from "mongodb";
import type { Stats } from "../shared/api-schemas.ts";
import { type Cursor, encodeCursor } from "../shared/history.ts";
import { fromCents, type PurchaseDoc, toApi } from "../shared/purchase.ts";

export async function userStats(collection: Collection<PurchaseDoc>, userId: string): Promise<Stats> {
  // FerretDB 1.24 computes only the FIRST accumulator of a $group correctly (later ones come back
  // as 0), so every $group here has exactly one accumulator. Works the same on MongoDB.
  const sum = <K extends string>(by: string | null, field: "$price_cents" | 1) =>
    collection
      .aggregate<{ _id: K; n: number }>([
        { $match: { user_id: userId } },
        { $group: { _id: by, n: { $sum: field } } },
      ])
      .toArray();
  const one = (sort: Record<string, 1 | -1>) =>
    collection
      .find({ user_id: userId }, { sort, limit: 1, projection: { price_cents: 1, timestamp: 1 } })
      .next();
  const [count, totals, itemCounts, itemCents, cheapest, dearest, first, last] = await Promise.all([
    collection.countDocuments({ user_id: userId }),
    sum(null, "$price_cents"),
    sum<string>("$item_name", 1),
    sum<string>("$item_name", "$price_cents"),
    one({ price_cents: 1 }),
    one({ price_cents: -1 }),
    one({ timestamp: 1, _id: 1 }),
    one({ timestamp: -1, _id: -1 }),
  ]);
  const cents = totals[0]?.n ?? 0;
  const centsByItem = new Map(itemCents.map((i) => [i._id, i.n]));
  const top = itemCounts
    .map((i) => ({ item_name: i._id, count: i.n, cents: centsByItem.get(i._id) ?? 0 }))
    .sort((a, b) => b.count - a.count || b.cents - a.cents || a.item_name.localeCompare(b.item_name))
    .slice(0, 5);
  return {
    count,
    total_spent: fromCents(cents),
    average_price: count ? fromCents(Math.round(cents / count)) : null,
    min_price: cheapest ? fromCents(cheapest.price_cents) : null,
    max_price: dearest ? fromCents(dearest.price_cents) : null,
    first_purchase_at: first?.timestamp.toISOString() ?? null,
    last_purchase_at: last?.timestamp.toISOString() ?? null,
    top_items: top.map((t) => ({ item_name: t.item_name, count: t.count, total: fromCents(t.cents) })),
  };
}

/** One page newest first, strictly after `after`; next_cursor is null on the last page. */
export async function userPage(
  collection: Collection<PurchaseDoc>,
  userId: string,
  limit: number,
  after?: Cursor,
) {
  const filter: Filter<PurchaseDoc> = { user_id: userId };
  if (after) {
    filter.$or = [
      { timestamp: { $lt: after.timestamp } },
      { timestamp: after.timestamp, _id: { $lt: after.id } },
    ];
  }
  const docs = await collection
    .find(filter, { sort: { timestamp: -1, _id: -1 }, limit: limit + 1 })
    .toArray();
  const page = docs.slice(0, limit);
  const lastDoc = page[page.length - 1];
  const next =
    docs.length > limit && lastDoc ? encodeCursor({ timestamp: lastDoc.timestamp, id: lastDoc._id }) : null;
  return { purchases: page.map(toApi), next_cursor: next };
}
