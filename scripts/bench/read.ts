// Figure 3, read: GET /purchases/:user_id (a page of 50 and the statistics over all the user's
// purchases) p50/p99 with 1M stored purchases across 10k users, against the same database queries
// issued directly with the driver (functions/customer-management/history-queries.ts, as the
// handler calls them).
// One request at a time, the same users for both, alternating which goes first.

import type { Collection } from "mongodb";
import { userPage, userStats } from "../../functions/customer-management/history-queries.ts";
import { ensureIndexes } from "../../functions/shared/mongo.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { openDatabase } from "../../harness/databases.ts";
import { ensureUserIdGin, localPostgres } from "../../harness/ferretdb-index.ts";
import type { Component } from "../../harness/process.ts";
import { waitOk } from "../../harness/wait.ts";
import { call } from "./http.ts";
import { startFunction, stop } from "./procs.ts";
import { prng, seedDoc } from "./records.ts";
import { summarize } from "./stats.ts";
import { type BenchContext, type FigureResult, row } from "./types.ts";

export async function readFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const notes: string[] = [];
  let size = ctx.quick ? { purchases: 20_000, users: 200 } : { purchases: 1_000_000, users: 10_000 };
  let samples = ctx.quick ? 100 : 500;
  if (ctx.store.userQuery === "decode-all") {
    const scaled = ctx.quick ? { purchases: 500, users: 5 } : { purchases: 1_000, users: 10 };
    notes.push(
      `${ctx.store.name} decodes every document of the collection for a {user_id} query (explain: ` +
        `filterPushdown false), so the data set is scaled from ${size.purchases} purchases/` +
        `${size.users} users to ${scaled.purchases}/${scaled.users} (still 100 per user). ` +
        "Run the stack's default PostgreSQL backend or give MONGODB_URI of a MongoDB for the full size.",
    );
    size = scaled;
    samples = ctx.quick ? 6 : 30;
  }
  const db = `bench_read_${size.purchases}_${size.users}`;
  const { uri, client, collection } = openDatabase({ base: ctx.mongoUri, name: db });
  let management: Component | undefined;
  try {
    await seed(ctx, client.db().collection("bench_meta"), collection, size);
    if (ctx.store.userQuery === "scan") notes.push(userIdGin(ctx, db));
    const plan = await userPlan(collection);
    ctx.say(`{user_id} history query, plan nodes: ${plan}`);
    notes.push(`{user_id} history query, plan nodes: ${plan}`);
    management = await startFunction(ctx, "customer-management", { MONGODB_URI: uri });
    await waitOk(`${management.url}/livez`);
    const url = management.url;
    // A service's token (purchases:admin reads any user's), signed once before the clock runs.
    const admin = { Authorization: `Bearer ${await (await testAuth()).serviceToken()}` };
    const random = prng(42);
    const pick = () => `bench-u${Math.floor(random() * size.users)}`;
    const ours: number[] = [];
    const direct: number[] = [];
    const viaHttp = async (user: string) => {
      const t0 = performance.now();
      const a = await call(`${url}/purchases/${user}`, "GET", undefined, admin);
      if (a.status !== 200) throw new Error(`GET /purchases/${user}: ${a.status} ${a.body.slice(0, 300)}`);
      return performance.now() - t0;
    };
    const viaDriver = async (user: string) => {
      const t0 = performance.now();
      await Promise.all([userPage(collection, user, 50), userStats(collection, user)]);
      return performance.now() - t0;
    };
    const first = JSON.parse((await call(`${url}/purchases/bench-u0`, "GET", undefined, admin)).body) as {
      stats?: { count: number };
    };
    if (first.stats?.count !== size.purchases / size.users) {
      throw new Error(
        `bench-u0 has ${first.stats?.count} purchases, expected ${size.purchases / size.users}`,
      );
    }
    for (let i = 0; i < 3; i++) await Promise.all([viaHttp(pick()), viaDriver(pick())]); // warm-up
    const end = Date.now() + (ctx.quick ? 10_000 : 100_000);
    for (let i = 0; i < samples && Date.now() < end; i++) {
      const user = pick();
      if (i % 2 === 0) {
        ours.push(await viaHttp(user));
        direct.push(await viaDriver(user));
      } else {
        direct.push(await viaDriver(user));
        ours.push(await viaHttp(user));
      }
      if ((i + 1) % Math.max(1, Math.round(samples / 4)) === 0) ctx.say(`${i + 1}/${samples} requests`);
    }
    if (ours.length < samples) notes.push(`time box reached after ${ours.length} of ${samples} requests`);
    const o = summarize(ours);
    const d = summarize(direct);
    ctx.say(
      `GET /purchases/:user_id p50 ${o.p50} ms p99 ${o.p99} ms; driver p50 ${d.p50} ms p99 ${d.p99} ms`,
    );
    const against = "same queries with the driver";
    const label = `${size.purchases / 1000}k purchases`;
    const rows = [
      row({
        figure: `read: p50 (${label})`,
        unit: "ms",
        ours: o.p50,
        baseline: d.p50,
        against,
        target: { kind: "ratio-max", value: 1.3 },
      }),
      row({
        figure: `read: p99 (${label})`,
        unit: "ms",
        ours: o.p99,
        baseline: d.p99,
        against,
        target: { kind: "ratio-max", value: 1.3 },
      }),
    ];
    return { rows, notes, details: { database: db, ...size, plan, ours: o, driver: d } };
  } finally {
    await stop(management);
    await client.close();
  }
}

/**
 * FerretDB on PostgreSQL scans for {user_id}: its btree indexes cannot serve the `@>` it pushes
 * down (ferretdb-index.ts). On the local stack the read database gets a GIN index that can.
 */
function userIdGin(ctx: BenchContext, db: string): string {
  const pg = localPostgres(ctx.mongoUri);
  const scan =
    `${ctx.store.name} pushes {user_id} down as _jsonb->'user_id' @> ..., which its btree indexes ` +
    "cannot serve (a scan of the collection per request)";
  if (!pg) return `${scan}; not the local stack, so no GIN index was added`;
  try {
    const t0 = performance.now();
    const r = ensureUserIdGin(pg, db);
    if (r.created) ctx.say(`GIN index ${r.index} created in ${Math.round(performance.now() - t0)} ms`);
    return `${scan}; the local stack adds a GIN index on it in PostgreSQL (${r.index}, harness/ferretdb-index.ts), which serves it`;
  } catch (err) {
    return `${scan}; adding a GIN index failed: ${(err as Error).message.split("\n")[0]}`;
  }
}

/** The plan of the history page's query: PostgreSQL's node types under FerretDB, MongoDB's stages. */
async function userPlan(collection: Coll): Promise<string> {
  const plan = await collection
    .find({ user_id: "bench-u0" })
    .sort({ timestamp: -1, _id: -1 })
    .limit(51)
    .explain()
    .catch((err: Error) => ({ error: err.message }));
  const text = JSON.stringify(plan);
  const kinds = [...new Set(text.match(/"(Node Type|stage)":"[^"]+"/g) ?? [])].map((m) => m.split(":")[1]);
  return kinds.join(" > ").replace(/"/g, "") || text.slice(0, 200);
}

type Coll = ReturnType<typeof openDatabase>["collection"];
type Meta = Collection<{ _id: string; complete: boolean; purchases: number; users: number; at: Date }>;

/** Seeds the data set once; later runs reuse it (a marker in bench_meta says it is complete). */
async function seed(
  ctx: BenchContext,
  meta: Meta,
  collection: Coll,
  size: { purchases: number; users: number },
) {
  const { purchases: n, users } = size;
  const marker = await meta.findOne({ _id: "seed" });
  // The marker is written last, so it means a complete seed (a count would read all n documents).
  if (marker?.complete === true) {
    ctx.say(`reusing the seeded data set (${n} purchases, ${users} users)`);
    return;
  }
  ctx.say(`seeding ${n} purchases across ${users} users (kept for later runs)`);
  await collection.db.dropDatabase();
  await ensureIndexes(collection);
  const t0 = performance.now();
  let next = 0;
  let shown = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < n) {
        const from = next;
        next = Math.min(n, next + 1000);
        const docs = [];
        for (let i = from; i < next; i++) docs.push(seedDoc(i, users, "/bench/read"));
        await collection.insertMany(docs, { ordered: false });
        if (next - shown >= n / 10) {
          shown = next;
          ctx.say(`seeded ${next}/${n} (${Math.round((next / (performance.now() - t0)) * 1000)}/s)`);
        }
      }
    }),
  );
  await meta.insertOne({ _id: "seed", complete: true, purchases: n, users, at: new Date() });
}
