// The database side of the bench: which store it is, and stored counts (databases: harness/databases.ts).
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, Document } from "mongodb";
import { ensureIndexes } from "../../functions/shared/mongo.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { dropDatabase, openDatabase } from "../../harness/databases.ts";
import type { CountSample } from "./stats.ts";

export interface StoreInfo {
  name: string;
  /**
   * How the store answers a `{user_id}` filter: an index lookup (MongoDB); a scan of the collection
   * inside the database (FerretDB on PostgreSQL pushes the filter down, but its indexes do not serve
   * it); or decoding every document in FerretDB itself (FerretDB on SQLite), ~100x slower.
   */
  userQuery: "index" | "scan" | "decode-all";
}

/**
 * The store's name and version, and how a user's history is found. FerretDB 1.x on SQLite pushes
 * down only `_id` equality (internal/backends/sqlite/collection.go, Query): explain shows
 * `filterPushdown: false`. On PostgreSQL it pushes `{user_id}` down as `_jsonb->'user_id' @> ...`,
 * which its btree expression indexes cannot serve: a sequential scan (the read figure adds a GIN
 * index that can: ferretdb-index.ts).
 */
export async function probeStore(base: string): Promise<StoreInfo> {
  const { client, collection } = openDatabase({ base, name: "bench_probe" });
  try {
    const build = await client.db("admin").command({ buildInfo: 1 });
    const name = build.ferretdbVersion ? `FerretDB ${build.ferretdbVersion}` : `MongoDB ${build.version}`;
    await ensureIndexes(collection);
    const plan: Document = await collection.find({ user_id: "probe" }).sort({ timestamp: -1 }).explain();
    const text = JSON.stringify(plan);
    const indexed = build.ferretdbVersion ? /Index (Only )?Scan/.test(text) : text.includes("IXSCAN");
    const pushed = !build.ferretdbVersion || plan.filterPushdown === true;
    return { name, userQuery: indexed ? "index" : pushed ? "scan" : "decode-all" };
  } finally {
    await dropDatabase(client);
    await client.close();
  }
}

/**
 * Stored documents, exactly. Not `$collStats`: FerretDB on PostgreSQL answers it from the planner's
 * estimate (`reltuples`), which lags until the next ANALYZE. Reads every document on FerretDB, so
 * callers poll it only on small collections (see watchCount for progress on big ones).
 */
export async function storedCount(collection: Collection<PurchaseDoc> | Collection): Promise<number> {
  return collection.countDocuments({});
}

export interface WatchOptions {
  target: number;
  /** Longest wait for the first stored document (start-up: a JVM, a consumer group join). */
  startupMs: number;
  /** Longest run after the first stored document. */
  timeoutMs: number;
  everyMs?: number;
  onSample?: (s: CountSample) => void;
  /** Stop early (e.g. the contender process died). */
  abort?: () => string | undefined;
}

/**
 * Samples a stored count from now until it reaches `target` or the time is up. `count` should be
 * cheap for the store (an acknowledgement counter, a metric, committed offsets): on FerretDB a
 * count reads every document and would slow down what it measures.
 */
export async function watchCount(count: () => Promise<number>, opts: WatchOptions) {
  const { target, startupMs, timeoutMs, everyMs = 250 } = opts;
  const t0 = performance.now();
  const samples: CountSample[] = [{ t: 0, count: 0 }];
  let firstAt: number | undefined;
  for (;;) {
    await sleep(everyMs);
    const sample = { t: performance.now() - t0, count: await count() };
    samples.push(sample);
    if (sample.count > 0) firstAt ??= sample.t;
    opts.onSample?.(sample);
    if (sample.count >= target) return { samples, reached: true, stopped: undefined };
    const stopped =
      opts.abort?.() ??
      (firstAt === undefined && sample.t >= startupMs
        ? `nothing stored within ${Math.round(startupMs / 1000)} s of the start`
        : undefined);
    if (stopped || (firstAt !== undefined && sample.t - firstAt >= timeoutMs)) {
      return { samples, reached: false, stopped };
    }
  }
}
