// Figure 2, ingest: POST /buy's maximum sustained requests/s (closed loop, autocannon) and its
// p50/p99 latency at half that rate (open loop, evenly spaced), against a bare Hono endpoint on the
// same server stack measured the same way at the same rates.
import autocannon from "autocannon";
import { shopperPool } from "../../harness/auth-fixture.ts";
import type { Component } from "../../harness/process.ts";
import { spawnComponent } from "../../harness/process.ts";
import { createTopics, deleteTopics } from "../../harness/topics.ts";
import { waitOk } from "../../harness/wait.ts";
import { call, cpuMeter, pacedLoad } from "./http.ts";
import { startFunction, stop, trackChild } from "./procs.ts";
import { type Latency, round, summarize } from "./stats.ts";
import { type BenchContext, type FigureResult, row } from "./types.ts";

const CONNECTIONS = 50;

export async function ingestFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const seconds = ctx.quick ? 2 : 10;
  const topic = `bench-ingest-${ctx.runId}`;
  shoppers ??= await shopperPool("bench-u", 100);
  await createTopics([topic], { partitions: 3, brokers: ctx.kafka });
  let buy: Component | undefined;
  let bare: Component | undefined;
  try {
    buy = await startFunction(ctx, "buy", { KAFKA_TOPIC: topic });
    await waitOk(`${buy.url}/health`);
    bare = await spawnComponent({ name: "bare-hono", entry: "scripts/bench/bare-server.ts" });
    trackChild(bare.child);
    const ours = await maxRate(ctx, "buy", buy.url, seconds, { buy: buy.child.pid, kafka: ctx.pids.kafka });
    const base = await maxRate(ctx, "bare Hono", bare.url, seconds, { bare: bare.child.pid });
    const half = Math.max(1, Math.round(ours.rps / 2));
    const { oursHalf, baseHalf, rounds } = await halfLoad(ctx, buy.url, bare.url, half, seconds);
    const against = "bare Hono endpoint (@hono/node-server)";
    const rows = [
      row({
        figure: "ingest: POST /buy max sustained",
        unit: "req/s",
        ours: ours.rps,
        baseline: base.rps,
        against,
        target: { kind: "ratio-min", value: 0.8 },
      }),
      row({
        figure: `ingest: p50 at half load (${half}/s)`,
        unit: "ms",
        ours: oursHalf.p50,
        baseline: baseHalf.p50,
        against,
        target: { kind: "none" },
      }),
      row({
        figure: `ingest: p99 at half load (${half}/s)`,
        unit: "ms",
        ours: oursHalf.p99,
        baseline: baseHalf.p99,
        against,
        target: { kind: "below", value: 10 },
      }),
    ];
    const notes = [ours, base]
      .filter((r) => r.failed > 0)
      .map((r) => `${r.who}: ${r.failed} failed requests`);
    notes.push(
      `half load: ${rounds.length} alternating rounds each; p99 per round buy ${rounds.map((r) => r.ours.p99).join(", ")} ms, ` +
        `bare ${rounds.map((r) => r.base.p99).join(", ")} ms (the table shows the median round)`,
    );
    return {
      rows,
      notes,
      details: { topic, connections: CONNECTIONS, seconds, ours, base, half, oursHalf, baseHalf, rounds },
    };
  } finally {
    await stop(buy, bare);
    await deleteTopics([topic], ctx.kafka);
  }
}

let user = 0;
// 100 shoppers, their tokens signed before the load; each request is one of them buying as themself.
let shoppers: Awaited<ReturnType<typeof shopperPool>> | undefined;
const next = () => {
  if (!shoppers) throw new Error("the shoppers are signed at the figure's start");
  const { user: id, headers } = shoppers.at(user++);
  return { headers, body: JSON.stringify({ username: "Bench User", user_id: id }) };
};

/**
 * Closed loop with CONNECTIONS connections: the 2xx answers per second it sustains, and the CPU ms
 * per request of the named processes (the load generator runs in this process).
 */
async function maxRate(
  ctx: BenchContext,
  who: string,
  url: string,
  seconds: number,
  pids: Record<string, number | undefined>,
) {
  const run = (duration: number) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: "POST",
          path: "/buy",
          headers: { "content-type": "application/json" },
          setupRequest: (req) => {
            const { headers, body } = next();
            return { ...req, headers: { ...req.headers, ...headers }, body };
          },
        },
      ],
    });
  await run(Math.max(1, Math.round(seconds / 3))); // warm-up: JIT, connections, Kafka batches
  const meter = cpuMeter({ ...pids, bench: process.pid });
  const r = await run(seconds);
  const cpu = meter();
  const rps = round(r["2xx"] / r.duration, 0);
  const failed = r.non2xx + r.errors + r.timeouts;
  const cpuMsPerRequest = Object.fromEntries(
    Object.entries(cpu).map(([p, sec]) => [p, round((sec * 1000) / Math.max(1, r["2xx"]), 3)]),
  );
  ctx.say(
    `${who}: ${rps} req/s sustained (${CONNECTIONS} connections, ${seconds} s, ${failed} failed; ` +
      `CPU ms/request ${Object.entries(cpuMsPerRequest)
        .map(([p, ms]) => `${p} ${ms}`)
        .join(", ")})`,
  );
  return { who, rps, failed, latencyP50: r.latency.p50, latencyP99: r.latency.p99, cpuMsPerRequest };
}

/**
 * Half load for both, in alternating rounds (buy, bare, buy, ...) so that a stall of this shared
 * machine lands on one round of one side rather than on a whole figure: the percentiles reported are
 * those of the median round (by p99), the pooled ones are in the details.
 */
async function halfLoad(ctx: BenchContext, buyUrl: string, bareUrl: string, rate: number, seconds: number) {
  const count = seconds >= 10 ? 5 : 1;
  const each = seconds / count;
  const rounds: { ours: Latency & { failed: number }; base: Latency & { failed: number } }[] = [];
  for (let i = 0; i < count; i++) {
    rounds.push({ ours: await atRate(buyUrl, rate, each), base: await atRate(bareUrl, rate, each) });
  }
  const medianOf = (side: "ours" | "base") => {
    const middle = rounds.map((r) => r[side]).sort((a, b) => a.p99 - b.p99)[Math.floor(count / 2)];
    if (!middle) throw new Error("no half-load rounds");
    return middle;
  };
  const [oursHalf, baseHalf] = [medianOf("ours"), medianOf("base")];
  ctx.say(`buy: at ${rate}/s p50 ${oursHalf.p50} ms, p99 ${oursHalf.p99} ms (median of ${count} rounds)`);
  ctx.say(
    `bare Hono: at ${rate}/s p50 ${baseHalf.p50} ms, p99 ${baseHalf.p99} ms (median of ${count} rounds)`,
  );
  return { oursHalf, baseHalf, rounds };
}

/** Open loop at `rate`/s: latency percentiles from each request's due time. */
async function atRate(url: string, rate: number, seconds: number): Promise<Latency & { failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  await pacedLoad(rate, seconds, async (_i, due) => {
    const { headers, body } = next();
    const a = await call(`${url}/buy`, "POST", body, headers).catch(() => undefined);
    if (a?.status === 202) latencies.push(performance.now() - due);
    else failed++;
  });
  return { ...summarize(latencies), failed };
}
