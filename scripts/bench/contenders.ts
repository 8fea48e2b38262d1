// The contenders of figure 1 (persist.ts), each draining the same N purchases into a fresh database
// of its own: the store's ceiling (insertMany batches), our pipeline (the local KafkaSource
// dispatcher and purchase-persist), and MongoDB's Kafka sink connector under Kafka Connect
// standalone. Each reports progress from its own cheap count (acknowledged inserts, persist's
// purchases_persisted_total, the connector's committed offsets); the collection is checked at the end.
import type { Collection } from "mongodb";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { databaseUri, dropDatabase, emptyDatabase, openDatabase } from "../../harness/databases.ts";
import { exited } from "../../harness/process.ts";
import { committedCounter, deleteGroups, recordCount } from "../../harness/topics.ts";
import { connectProvisioned, INSERT_ONE, provisionConnect, startConnect } from "./connect.ts";
import { cpuMeter, scrape } from "./http.ts";
import { startDispatcher, startFunction, stop } from "./procs.ts";
import { seedDoc } from "./records.ts";
import { type CountSample, type SteadyRate, steadyRate } from "./stats.ts";
import { storedCount, type WatchOptions, watchCount } from "./store.ts";
import type { BenchContext } from "./types.ts";

export interface ContenderResult {
  rate: SteadyRate;
  stored: number;
  seconds: number;
  /** CPU ms per stored event, by process, from the first stored document to the last. */
  cpuMsPerEvent: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** The store's ceiling: one process, insertMany batches of 500, 2 in flight (as the batcher). */
export async function runCeiling(ctx: BenchContext, n: number, users: number): Promise<ContenderResult> {
  const db = `bench_${ctx.runId}_ceiling`;
  const { client, collection } = await emptyDatabase({ base: ctx.mongoUri, name: db });
  ctx.say(`ceiling: insertMany of ${n} documents (batches of 500, 2 in flight) into ${db}`);
  try {
    const docs = Array.from({ length: n }, (_, i) => seedDoc(i, users, "/bench/ceiling"));
    let next = 0;
    let acknowledged = 0;
    const writing = Promise.all(
      [0, 1].map(async () => {
        while (next < n) {
          const from = next;
          next += 500;
          const batch = docs.slice(from, next);
          await collection.insertMany(batch, {
            ordered: false,
            writeConcern: { w: "majority", journal: true },
          });
          acknowledged += batch.length;
        }
      }),
    );
    const outcome = await observe(ctx, async () => acknowledged, collection, n, "ceiling", {
      own: { bench: process.pid },
      startupMs: 60_000,
      timeoutMs: 600_000,
    });
    await writing;
    return outcome;
  } finally {
    await dropDatabase(client);
    await client.close();
  }
}

/** Ours: the local KafkaSource dispatcher (unordered) POSTing each record to purchase-persist. */
export async function runPipeline(ctx: BenchContext, topic: string, n: number): Promise<ContenderResult> {
  const db = `bench_${ctx.runId}_pipeline`;
  const group = `bench-${ctx.runId}-pipeline`;
  const { uri, client, collection } = await emptyDatabase({ base: ctx.mongoUri, name: db });
  const persist = await startFunction(ctx, "purchase-persist", { MONGODB_URI: uri });
  const dlq = `${topic}-dlq`;
  let dispatcher: Awaited<ReturnType<typeof startDispatcher>> | undefined;
  try {
    dispatcher = await startDispatcher(ctx, {
      KAFKA_SOURCE_SINK_URL: persist.url,
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: group,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    const d = dispatcher;
    ctx.say(`pipeline: dispatcher (unordered) -> purchase-persist -> ${db}`);
    const persisted = async () =>
      (await scrape(`${persist.url}/metrics`, ["purchases_persisted_total"])).purchases_persisted_total ?? 0;
    const outcome = await observe(ctx, persisted, collection, n, "pipeline", {
      own: { persist: persist.child.pid, dispatcher: d.child.pid },
      startupMs: 60_000,
      // Bounded so a full run stays within 15 minutes; the rate is then over what was stored.
      timeoutMs: ctx.quick ? 60_000 : 240_000,
      abort: () => exited(persist) ?? exited(d),
    });
    const persistMetrics = await scrape(`${persist.url}/metrics`, [
      "purchases_persisted_total",
      "purchases_duplicate_total",
      "purchases_rejected_total",
      "purchases_persist_batch_size_sum",
      "purchases_persist_batch_size_count",
    ]);
    const dispatcherMetrics = await scrape(`${d.url}/metrics`, [
      "kafka_source_events_dispatched_total",
      "kafka_source_events_retried_total",
      "kafka_source_events_dead_lettered_total",
    ]);
    const batches = persistMetrics.purchases_persist_batch_size_count || 1;
    const meanBatch =
      Math.round(((persistMetrics.purchases_persist_batch_size_sum ?? 0) / batches) * 10) / 10;
    const deadLetters = await recordCount(dlq, ctx.kafka).catch(() => 0);
    ctx.say(
      `pipeline: mean batch ${meanBatch} documents, ` +
        `${dispatcherMetrics.kafka_source_events_retried_total} retries, ${deadLetters} dead letters`,
    );
    return { ...outcome, extra: { meanBatch, persistMetrics, dispatcherMetrics, deadLetters } };
  } finally {
    await stop(dispatcher, persist);
    await deleteGroups([group], ctx.kafka);
    await dropDatabase(client);
    await client.close();
  }
}

/** MongoDB's sink connector with its default write model, or InsertOneDefaultStrategy. */
export async function runConnect(
  ctx: BenchContext,
  topic: string,
  n: number,
  variant: string,
): Promise<ContenderResult> {
  if (!connectProvisioned()) {
    if (ctx.quick) throw new Error("Kafka Connect is not provisioned (a full run provisions it)");
    await provisionConnect(ctx.say);
  }
  const db = `bench_${ctx.runId}_connect_${variant.replace("-", "_")}`;
  const { client, collection } = openDatabase({ base: ctx.mongoUri, name: db });
  await client.db().dropDatabase();
  // The same history index as ours; the event-identity index does not apply (no event ids).
  await collection.createIndexes([{ key: { user_id: 1, timestamp: -1, _id: -1 }, name: "user_history" }]);
  // Counted from its first stored document: a JVM start and plugin scan take 10-30 s here.
  const timeoutMs = ctx.quick ? 10_000 : variant === "default" ? 45_000 : 90_000;
  const name = `bench-${ctx.runId}-${variant}`;
  // Its progress from its committed offsets (a sink commits after writing; flushed every 500 ms).
  const offsets = await committedCounter({ group: `connect-${name}`, topic, brokers: ctx.kafka });
  const connect = await startConnect({
    workDir: ctx.workDir,
    name,
    kafka: ctx.kafka,
    topic,
    connectionUri: databaseUri(db, ctx.mongoUri),
    database: db,
    writeModel: variant === "insert-one" ? INSERT_ONE : undefined,
  });
  ctx.say(
    `Kafka Connect (${variant} write model) -> ${db}, time box ${timeoutMs / 1000} s from its first document`,
  );
  try {
    return await observe(ctx, offsets.count, collection, n, `connect ${variant}`, {
      own: { connect: connect.pid },
      startupMs: ctx.quick ? 30_000 : 90_000,
      timeoutMs,
      abort: connect.failed,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${connect.output().slice(-2000)}`);
    });
  } finally {
    await connect.stop();
    await offsets.close();
    await deleteGroups([`connect-${name}`], ctx.kafka);
    await dropDatabase(client);
    await client.close();
  }
}

/**
 * Watches a contender's own count of stored events to `n` (or its time box), with a progress line
 * about every 5 s; meters the CPU of its `own` processes, the store and the broker from the first
 * stored event; then checks that the collection holds what the contender reported.
 */
async function observe(
  ctx: BenchContext,
  count: () => Promise<number>,
  collection: Collection<PurchaseDoc>,
  n: number,
  who: string,
  opts: Pick<WatchOptions, "startupMs" | "timeoutMs" | "abort"> & { own: Record<string, number | undefined> },
): Promise<ContenderResult> {
  const t0 = performance.now();
  let meter: (() => Record<string, number>) | undefined;
  let meteredFrom = 0;
  let shown = 0;
  const watched = await watchCount(count, {
    ...opts,
    target: n,
    onSample: (s: CountSample) => {
      if (!meter && s.count > 0) {
        meter = cpuMeter({ ...opts.own, store: ctx.pids.store, kafka: ctx.pids.kafka });
        meteredFrom = s.count;
      }
      if (s.t - shown < 5000 && s.count < n) return;
      shown = s.t;
      ctx.say(`${who}: ${s.count}/${n} stored (${Math.round(s.t / 1000)} s)`);
    },
  });
  if (watched.stopped) throw new Error(watched.stopped);
  const cpu = meter?.() ?? {};
  const reported = watched.samples[watched.samples.length - 1]?.count ?? 0;
  const stored = await storedCount(collection);
  if (stored < reported)
    throw new Error(`${who} reported ${reported} stored, the collection holds ${stored}`);
  const events = Math.max(1, reported - meteredFrom);
  const cpuMsPerEvent = Object.fromEntries(
    Object.entries(cpu).map(([p, s]) => [p, Math.round((s / events) * 1e5) / 100]),
  );
  return {
    rate: steadyRate(watched.samples, n),
    stored,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    cpuMsPerEvent,
  };
}
