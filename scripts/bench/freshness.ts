// Figure 4, freshness: time from POST /buy's 202 to the purchase being visible through the history
// endpoint (GET /purchases/:user_id), at 200 purchases/s through the whole pipeline (buy -> Kafka ->
// dispatcher -> purchase-persist -> database). Baseline: the store and the endpoint alone, a driver
// insert acknowledged and then visible through the same endpoint, at the same rate.
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection } from "mongodb";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { dropDatabase, emptyDatabase } from "../../harness/databases.ts";
import type { Component } from "../../harness/process.ts";
import { createTopics, deleteGroups, deleteTopics } from "../../harness/topics.ts";
import { waitOk } from "../../harness/wait.ts";
import { call, pacedLoad } from "./http.ts";
import { startDispatcher, startFunction, stop } from "./procs.ts";
import { seedDoc } from "./records.ts";
import { type Latency, summarize } from "./stats.ts";
import { storedCount } from "./store.ts";
import { type BenchContext, type FigureResult, row } from "./types.ts";

const RATE = 200;
/** Polling goes on this long after the load, for the purchases already being polled. */
const GRACE_MS = 5000;
/** The pollers' Authorization: a service token (purchases:admin reads any user's), signed once. */
let admin: Record<string, string> = {};

export async function freshnessFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const seconds = ctx.quick ? 4 : 20;
  // A store that decodes the whole collection per history request: one poller, or it drowns in reads.
  const trackers = ctx.store.userQuery === "decode-all" ? 1 : 4;
  const topic = `bench-fresh-${ctx.runId}`;
  const auth = await testAuth();
  admin = { Authorization: `Bearer ${await auth.serviceToken()}` };
  await createTopics([topic], { partitions: 3, brokers: ctx.kafka });
  const procs: Component[] = [];
  const dbs: Awaited<ReturnType<typeof emptyDatabase>>[] = [];
  const notes: string[] = [];
  try {
    // Phase 1: the pipeline.
    const db = await emptyDatabase({ base: ctx.mongoUri, name: `bench_${ctx.runId}_fresh` });
    dbs.push(db);
    const [persist, buy, reader] = await Promise.all([
      startFunction(ctx, "purchase-persist", { MONGODB_URI: db.uri }),
      startFunction(ctx, "buy", { KAFKA_TOPIC: topic }),
      startFunction(ctx, "customer-management", { MONGODB_URI: db.uri }),
    ]);
    procs.push(persist, buy, reader);
    procs.push(
      await startDispatcher(ctx, {
        KAFKA_SOURCE_SINK_URL: persist.url,
        KAFKA_SOURCE_TOPICS: topic,
        KAFKA_SOURCE_GROUP: `bench-${ctx.runId}-fresh`,
        KAFKA_SOURCE_DLQ: `kafka:${topic}-dlq`,
      }),
    );
    await waitOk(`${buy.url}/health`);
    // Start-up is not freshness: one purchase through before the clock runs (group join, connections).
    const warm = await call(
      `${buy.url}/buy`,
      "POST",
      JSON.stringify({ username: "Warm", user_id: "warm-up" }),
      await auth.headers("warm-up"),
    );
    if (warm.status !== 202) throw new Error(`warm-up POST /buy: ${warm.status} ${warm.body.slice(0, 200)}`);
    await waitStored(db.collection, 1);
    ctx.say(`pipeline: ${RATE} purchases/s for ${seconds} s, ${trackers} poller(s) on the history endpoint`);
    const ours = await measure(ctx, reader.url, seconds, trackers, async (user) => {
      // Each purchase a new shopper, so a token of its own (signed before its request is sent).
      const a = await call(
        `${buy.url}/buy`,
        "POST",
        JSON.stringify({ username: "Fresh", user_id: user }),
        await auth.headers(user),
      );
      if (a.status !== 202) throw new Error(`POST /buy: ${a.status} ${a.body.slice(0, 200)}`);
    });
    const stored = await storeLag(ctx, db.collection, ours.created, ctx.quick ? 10_000 : 30_000);
    await stop(...procs.splice(0).reverse());

    // Phase 2: the store and the endpoint alone.
    const base = await emptyDatabase({ base: ctx.mongoUri, name: `bench_${ctx.runId}_fresh_base` });
    dbs.push(base);
    const reader2 = await startFunction(ctx, "customer-management", { MONGODB_URI: base.uri });
    procs.push(reader2);
    ctx.say(`baseline: driver inserts at ${RATE}/s, polled the same way`);
    let i = 0;
    const direct = await measure(ctx, reader2.url, seconds, trackers, async (user) => {
      const doc = { ...seedDoc(i++, 1, "/bench/fresh"), user_id: user, created_at: new Date() };
      await base.collection.insertOne(doc, { writeConcern: { w: "majority", journal: true } });
    });

    for (const [who, m] of [
      ["pipeline", ours],
      ["baseline", direct],
    ] as const) {
      if (m.failed > 0) notes.push(`${who}: ${m.failed} of ${m.created} creates failed or were unanswered`);
      if (m.notVisible > 0) {
        notes.push(
          `${who}: ${m.notVisible} of ${m.visible.n} polled purchases were not visible by their deadline; ` +
            "they count with their time at the deadline, so its percentiles are lower bounds",
        );
      }
    }
    if (ctx.store.userQuery !== "index") {
      notes.push(
        `${ctx.store.name}: every history request scans the whole collection (no index use; ` +
          `history request p50 ${ours.poll.p50} ms, growing with the collection); ` +
          `${trackers} poller(s), ${ours.visible.n} samples.`,
      );
    }
    notes.push(
      `pipeline only (buy's timestamp to purchase-persist's created_at, all ${stored.n} purchases): ` +
        `p50 ${stored.p50} ms, p99 ${stored.p99} ms`,
    );
    const against = "driver insert -> same endpoint";
    const rows = [
      row({
        figure: `freshness: p50 at ${RATE}/s`,
        unit: "ms",
        ours: ours.visible.p50,
        baseline: direct.visible.p50,
        against,
        target: { kind: "none" },
      }),
      row({
        figure: `freshness: p99 at ${RATE}/s`,
        unit: "ms",
        ours: ours.visible.p99,
        baseline: direct.visible.p99,
        against,
        target: { kind: "below", value: 250 },
      }),
    ];
    return {
      rows,
      notes,
      details: { rate: RATE, seconds, trackers, pipeline: ours, pipelineStoreLag: stored, baseline: direct },
    };
  } finally {
    await stop(...procs.reverse());
    for (const d of dbs) {
      await dropDatabase(d.client);
      await d.client.close();
    }
    await deleteTopics([topic, `${topic}-dlq`], ctx.kafka);
    await deleteGroups([`bench-${ctx.runId}-fresh`], ctx.kafka);
  }
}

/**
 * The pipeline's own latency for every purchase, without the read: from the buy function's timestamp
 * to purchase-persist's created_at (both this machine's clock), once all are stored.
 */
async function storeLag(
  ctx: BenchContext,
  collection: Collection<PurchaseDoc>,
  created: number,
  waitMs: number,
) {
  await waitStored(collection, created + 1, waitMs).catch(() => {});
  const docs = await collection
    .find({ user_id: { $ne: "warm-up" } }, { projection: { timestamp: 1, created_at: 1 } })
    .toArray();
  const lag = summarize(docs.map((d) => d.created_at.getTime() - d.timestamp.getTime()));
  ctx.say(`pipeline alone (timestamp -> created_at): p50 ${lag.p50} ms, p99 ${lag.p99} ms over ${lag.n}`);
  return lag;
}

async function waitStored(collection: Collection<PurchaseDoc>, n: number, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while ((await storedCount(collection)) < n) {
    if (Date.now() > end) throw new Error(`fewer than ${n} purchases stored after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

interface Measured {
  /** Polled purchases: time to visible; one that never showed counts with its time at the deadline. */
  visible: Latency;
  /** Polled purchases not visible by their deadline (their times above are lower bounds). */
  notVisible: number;
  /** How long one history request took while polling. */
  poll: Latency;
  created: number;
  /** Creates that failed, or were still unanswered GRACE_MS after the load. */
  failed: number;
}

/**
 * Creates RATE purchases/s with `create(user)` (a fresh user each) for `seconds`. Meanwhile each of
 * `trackers` pollers takes the next purchase acknowledged after it became free and polls
 * GET /purchases/<user>?limit=1 every 10 ms until the purchase is listed: the time from the
 * acknowledgement. Polling stops 15 s after a purchase's acknowledgement or GRACE_MS after the load.
 */
async function measure(
  ctx: BenchContext,
  readerUrl: string,
  seconds: number,
  trackers: number,
  create: (user: string) => Promise<void>,
): Promise<Measured> {
  const visible: number[] = [];
  const polls: number[] = [];
  let failed = 0;
  let notVisible = 0;
  const waiting: ((p: { user: string; acked: number } | undefined) => void)[] = [];
  const loadEnd = performance.now() + seconds * 1000;
  const loading = () => performance.now() < loadEnd;
  const tag = `${ctx.runId}-${Math.random().toString(36).slice(2, 6)}`;
  // Set once the load is over: a tracker that frees up later must not wait for a purchase (the load
  // can end a few ms before loadEnd, while loading() still holds).
  let finished = false;
  const tracker = async () => {
    for (;;) {
      const next = await new Promise<{ user: string; acked: number } | undefined>((resolve) => {
        if (finished) resolve(undefined);
        else waiting.push(resolve);
      });
      if (!next) return;
      const deadline = Math.min(next.acked + 15_000, loadEnd + GRACE_MS);
      for (;;) {
        const a = await call(`${readerUrl}/purchases/${next.user}?limit=1`, "GET", undefined, admin).catch(
          () => undefined,
        );
        if (a) polls.push(a.ms);
        if (a?.status === 200 && (JSON.parse(a.body) as { purchases: unknown[] }).purchases.length > 0) {
          visible.push(performance.now() - next.acked);
          break;
        }
        if (performance.now() > deadline) {
          notVisible++;
          visible.push(performance.now() - next.acked);
          break;
        }
        await sleep(10);
      }
    }
  };
  const pollers = Array.from({ length: trackers }, tracker);
  const load = await pacedLoad(
    RATE,
    seconds,
    async (i) => {
      const user = `fresh-${tag}-${i}`;
      try {
        await create(user);
      } catch {
        failed++;
        return;
      }
      if (loading()) waiting.shift()?.({ user, acked: performance.now() });
    },
    (sent) => {
      if (sent % (RATE * 5) < RATE) ctx.say(`${sent} created, ${visible.length} polled purchases seen`);
    },
    GRACE_MS,
  );
  finished = true;
  for (const take of waiting.splice(0)) take(undefined);
  await Promise.all(pollers);
  const m = {
    visible: summarize(visible),
    notVisible,
    poll: summarize(polls),
    created: load.sent,
    failed: failed + load.unfinished,
  };
  ctx.say(
    `${visible.length} polled purchases: visible after p50 ${m.visible.p50} ms, p99 ${m.visible.p99} ms` +
      `${notVisible ? ` (${notVisible} not visible in time)` : ""}; history request p50 ${m.poll.p50} ms`,
  );
  return m;
}
