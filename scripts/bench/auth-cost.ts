// Figure 9, auth: what verifying tokens costs the functions (issue 25: at most 10% more CPU per
// request). POST /buy, and the history read GET /getAllUserBuys/:user_id (user-purchases, which
// forwards the token, plus customer-management, which verifies it again), each run twice from the
// same bundle at once: with AUTH_MODE=on against a test issuer (harness/auth-fixture.ts, JWKS over
// HTTP) and with AUTH_MODE=off, the seeds' open contract, as the baseline. Rounds alternate (off,
// on, on, off, ...) at the same open-loop rate, so a busy spell of the shared machine hits both
// alike; the figure is the median round's CPU time per request of the function's processes.
// The requests come from 100 signed-in shoppers, each reusing their token as the page does (the
// verifier remembers a verified token for at most 60 s, so a shopper's first request pays for the
// signature check).
import { ensureIndexes } from "../../functions/shared/mongo.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { openDatabase } from "../../harness/databases.ts";
import type { Component } from "../../harness/process.ts";
import { createTopics, deleteTopics } from "../../harness/topics.ts";
import { call, cpuSeconds, pacedLoad } from "./http.ts";
import { startFunction, stop } from "./procs.ts";
import { seedDoc } from "./records.ts";
import { median } from "./stats.ts";
import { type BenchContext, type FigureResult, row } from "./types.ts";

const SHOPPERS = 100;
type Side = "off" | "on";

interface Target {
  /** The processes whose CPU a request costs. */
  pids: (number | undefined)[];
  send: (i: number) => Promise<number>;
}

export async function authFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const rounds = ctx.quick ? 2 : 6;
  const seconds = ctx.quick ? 2 : 5;
  const rate = ctx.quick ? 100 : 300;
  const auth = await testAuth();
  const users = Array.from({ length: SHOPPERS }, (_, u) => `bench-u${u}`);
  const tokens = await Promise.all(users.map((u) => auth.token(u, { name: `Bench User ${u}` })));
  const topic = `bench-auth-${ctx.runId}`;
  const { uri, client, collection } = openDatabase({ base: ctx.mongoUri, name: `bench_auth_${ctx.runId}` });
  const started: Component[] = [];
  const start = async (fn: string, env: Record<string, string>) => {
    const c = await startFunction(ctx, fn, env);
    started.push(c);
    return c;
  };
  try {
    await createTopics([topic], { partitions: 3, brokers: ctx.kafka });
    await client.connect();
    await ensureIndexes(collection);
    await collection.insertMany(
      Array.from({ length: SHOPPERS * 20 }, (_, i) => seedDoc(i, SHOPPERS, "bench")),
    );
    const envOf = (side: Side): Record<string, string> =>
      side === "on" ? { ...auth.env } : { AUTH_MODE: "off" };
    const headersOf = (side: Side, i: number): Record<string, string> =>
      side === "on" ? { authorization: `Bearer ${tokens[i % SHOPPERS]}` } : {};

    const targets = {} as Record<"buy" | "history", Record<Side, Target>>;
    targets.buy = {} as Record<Side, Target>;
    targets.history = {} as Record<Side, Target>;
    for (const side of ["off", "on"] as const) {
      const buy = await start("buy", { ...envOf(side), KAFKA_TOPIC: topic });
      const management = await start("customer-management", { ...envOf(side), MONGODB_URI: uri });
      const history = await start("user-purchases", {
        ...envOf(side),
        CUSTOMER_MANAGEMENT_API_URL: management.url,
      });
      const check = (what: string, status: number, body: string, ok: number) => {
        if (status !== ok) throw new Error(`${what} (auth ${side}): ${status} ${body.slice(0, 300)}`);
      };
      targets.buy[side] = {
        pids: [buy.child.pid],
        send: async (i) => {
          const user = users[i % SHOPPERS] as string;
          const a = await call(
            `${buy.url}/buy`,
            "POST",
            JSON.stringify({ user_id: user, username: `Bench User ${i % SHOPPERS}` }),
            headersOf(side, i),
          );
          check("POST /buy", a.status, a.body, 202);
          return a.status;
        },
      };
      targets.history[side] = {
        pids: [history.child.pid, management.child.pid],
        send: async (i) => {
          const a = await call(
            `${history.url}/getAllUserBuys/${users[i % SHOPPERS]}`,
            "GET",
            undefined,
            headersOf(side, i),
          );
          check("GET /getAllUserBuys", a.status, a.body, 200);
          return a.status;
        },
      };
    }

    const cpuOf = (pids: (number | undefined)[]) => pids.reduce<number>((s, p) => s + cpuSeconds(p), 0);
    const measure = async (t: Target) => {
      const cpu0 = cpuOf(t.pids);
      let ok = 0;
      await pacedLoad(rate, seconds, async (i) => {
        await t.send(i);
        ok++;
      });
      return ((cpuOf(t.pids) - cpu0) * 1000) / ok;
    };
    const details: Record<string, unknown> = { rounds, seconds, rate, shoppers: SHOPPERS };
    const rows = [];
    for (const what of ["buy", "history"] as const) {
      const perSide: Record<Side, number[]> = { off: [], on: [] };
      ctx.say(`${what}: warm-up`);
      for (const side of ["off", "on"] as const) await measure(targets[what][side]);
      for (let r = 0; r < rounds; r++) {
        const order: Side[] = r % 2 === 0 ? ["off", "on"] : ["on", "off"];
        for (const side of order) perSide[side].push(await measure(targets[what][side]));
        ctx.say(`${what}: round ${r + 1}/${rounds}`);
      }
      const on = median(perSide.on);
      const off = median(perSide.off);
      details[what] = perSide;
      rows.push(
        row({
          figure: what === "buy" ? "auth: POST /buy" : "auth: history read",
          unit: "CPU µs/request",
          ours: Math.round(on * 1000),
          baseline: Math.round(off * 1000),
          against: "AUTH_MODE=off",
          target: { kind: "ratio-max", value: 1.1 },
        }),
      );
    }
    return {
      rows,
      details,
      notes: [
        `${SHOPPERS} shoppers reusing their tokens, ${rounds} alternating rounds of ${seconds} s at ${rate} req/s`,
      ],
    };
  } finally {
    for (const c of started) await stop(c);
    await deleteTopics([topic], ctx.kafka).catch(() => {});
    await client
      .db()
      .dropDatabase()
      .catch(() => {});
    await client.close();
  }
}
