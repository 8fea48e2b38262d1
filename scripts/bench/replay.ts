// Figure 7, a mass redelivery: n events purchase-persist has already stored are POSTed to it again
// (a consumer group reset to the earliest offset, a dead-letter replay, a consumer re-reading a
// partition), every one a collision that the batcher settles with findOne({_id}) (batcher.ts). On
// FerretDB on PostgreSQL that lookup is a sequential scan unless the local stack's GIN index on
// _id exists (harness/ferretdb-index.ts): the baseline is the same replay of a sample without it,
// in the same run on the same database; then the index is created and all n replayed (bounded).

import { HTTP } from "cloudevents";
import type { Collection } from "mongodb";
import { declaredAttributes, toPurchaseDoc } from "../../functions/purchase-persist/event.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { databaseUri, dropDatabase, emptyDatabase } from "../../harness/databases.ts";
import { ensureIdGin, localPostgres } from "../../harness/ferretdb-index.ts";
import { call } from "./http.ts";
import { startFunction, stop } from "./procs.ts";
import { seedDelivery } from "./records.ts";
import { type BenchContext, type FigureResult, row } from "./types.ts";

/** In flight at once: the local dispatcher's unordered concurrency. */
const CONCURRENCY = 50;
/** The baseline's bound: a sequential scan per event is slow by design, so it replays a sample. */
const BASELINE_LIMIT_MS = 45_000;
/**
 * The replay's bound, so that a full bench stays within its 15 minutes: at 1,000 events/s (a quiet
 * machine) all 100k fit; on a busy one the rate is of the part replayed, on the same 100k documents.
 */
const REPLAY_LIMIT_MS = 150_000;

interface Pass {
  events: number;
  seconds: number;
  rate: number;
  /** Answers other than 200 with the expected status (`stored` or `duplicate`). */
  unexpected: number;
  firstUnexpected?: string;
}

export async function replayFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const n = ctx.quick ? 2_000 : 100_000;
  const sample = ctx.quick ? 200 : 1_000;
  const name = `bench_replay_${ctx.runId}`;
  const { client, collection } = await emptyDatabase({ name, base: ctx.mongoUri });
  const persist = await startFunction(ctx, "purchase-persist", {
    MONGODB_URI: databaseUri(name, ctx.mongoUri),
  });
  const message = (i: number) =>
    seedDelivery(i, { topic: "bench-replay", source: { namespace: "bench", name: "replay" } });
  const deliver = (i: number) => {
    const m = message(i);
    return call(`${persist.url}/`, "POST", m.body?.toString(), m.headers);
  };
  const pass = (indices: number[], expect: string, limitMs = Number.POSITIVE_INFINITY) =>
    drive(indices, deliver, expect, limitMs);
  try {
    const all = Array.from({ length: n }, (_, i) => i);
    const t0 = performance.now();
    await seed(collection, n, message);
    ctx.say(`stored ${n} events in ${Math.round((performance.now() - t0) / 1000)} s (insertMany)`);
    const pg = localPostgres(ctx.mongoUri);
    const notes: string[] = [];
    let baseline: Pass | undefined;
    if (pg) {
      // Spread over the collection, so that no part of it is favoured.
      const spread = Array.from({ length: sample }, (_, k) => Math.floor((k * n) / sample));
      baseline = await pass(spread, "duplicate", BASELINE_LIMIT_MS);
      ctx.say(`replayed ${baseline.events} without the _id GIN index: ${baseline.rate} events/s`);
      const t1 = performance.now();
      const gin = ensureIdGin(pg, name);
      ctx.say(`GIN index ${gin.index} created in ${Math.round(performance.now() - t1)} ms`);
    } else {
      notes.push(
        "not the local stack's FerretDB, so no baseline without an index (MongoDB's _id index serves findOne)",
      );
    }
    const ours = await pass(all, "duplicate", REPLAY_LIMIT_MS);
    ctx.say(`replayed ${n} with it: ${ours.rate} events/s`);
    if (ours.events < n) notes.push(`${ours.events} of ${n} replayed within ${REPLAY_LIMIT_MS / 1000} s`);
    for (const [what, p] of Object.entries({ baseline, ours }))
      if (p?.unexpected)
        notes.push(`${p.unexpected} unexpected answers in the ${what} pass, e.g. ${p.firstUnexpected}`);
    return {
      rows: [
        row({
          figure: `replay: ${n} stored events redelivered, events/s`,
          unit: "events/s",
          ours: ours.rate,
          baseline: baseline?.rate ?? null,
          against: baseline
            ? `the same replay (${baseline.events} events) without the _id GIN index`
            : "none",
          // A quick run's collection is too small for a scan to cost much: no target there.
          target: baseline && !ctx.quick ? { kind: "ratio-min", value: 5 } : { kind: "none" },
        }),
      ],
      notes,
      details: { database: name, events: n, concurrency: CONCURRENCY, baseline, ours },
    };
  } finally {
    await stop(persist);
    await dropDatabase(client);
    await client.close();
  }
}

/**
 * Stores what purchase-persist would store for events 0..n-1 (the same pure mapping: event.ts),
 * with insertMany: a first delivery through the function would take minutes of the figure.
 */
async function seed(
  collection: Collection<PurchaseDoc>,
  n: number,
  message: (i: number) => ReturnType<typeof seedDelivery>,
) {
  for (let from = 0; from < n; from += 1000) {
    const docs: PurchaseDoc[] = [];
    for (let i = from; i < Math.min(n, from + 1000); i++) {
      const m = message(i);
      const body = m.body?.toString() ?? "";
      const mapped = toPurchaseDoc(
        HTTP.toEvent({ headers: m.headers, body }) as Parameters<typeof toPurchaseDoc>[0],
        new Date(),
        declaredAttributes(m.headers, body),
      );
      if (!mapped.ok) throw new Error(`seed event ${i} does not map: ${mapped.message}`);
      docs.push(mapped.doc);
    }
    await collection.insertMany(docs, { ordered: false });
  }
}

/** POSTs event i for every index, CONCURRENCY at a time, until all are answered or `limitMs` passes. */
async function drive(
  indices: number[],
  deliver: (i: number) => ReturnType<typeof call>,
  expect: string,
  limitMs: number,
): Promise<Pass> {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let unexpected = 0;
  let firstUnexpected: string | undefined;
  const worker = async () => {
    while (next < indices.length && performance.now() - t0 < limitMs) {
      const i = indices[next++] as number;
      const a = await deliver(i);
      done++;
      if (a.status !== 200 || statusOf(a.body) !== expect) {
        unexpected++;
        firstUnexpected ??= `${a.status} ${a.body.slice(0, 200)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    events: done,
    seconds: round1(seconds),
    rate: Math.round(done / seconds),
    unexpected,
    firstUnexpected,
  };
}

const statusOf = (body: string) => {
  try {
    return (JSON.parse(body) as { status?: unknown }).status;
  } catch {
    return undefined;
  }
};

const round1 = (x: number) => Math.round(x * 10) / 10;
