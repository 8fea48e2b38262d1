// The fault "broker hung (SIGSTOP) with key-less clients" (issue 24, point 2): while the broker is
// stopped, clients that send no Idempotency-Key buy, retrying each 503 after its Retry-After as a
// client may, since a 503 says the purchase was not made. If a 503 ever meant "made after all", a
// retry would buy twice. The fault judges its own purchases: it waits until every one answered 202
// is stored, then counts what is stored per purchase (each has a user of its own).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createMongoClient, purchasesCollection } from "../../functions/shared/mongo.ts";
import { testAuth } from "../auth-fixture.ts";
import { unique } from "../names.ts";
import { ROOT } from "../root.ts";
import { waitFor } from "../wait.ts";
import type { Fault } from "./faults.ts";

interface KeylessPurchase {
  user: string;
  /** Each answer's status, in order; the last one ends the purchase. */
  statuses: number[];
}

const brokerPid = () =>
  Number(readFileSync(join(process.env.STACK_DIR ?? join(ROOT, ".local"), "run", "kafka.pid"), "utf8"));

/** One purchase without a key: retried after each 503, over after a 202, a 504 or anything else. */
async function buyKeyless(url: string, p: KeylessPurchase, maxAttempts: number) {
  for (let n = 0; n < maxAttempts; n++) {
    const res = await fetch(`${url}/buy`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(await (await testAuth()).session(p.user)) },
      body: JSON.stringify({ username: p.user, user_id: p.user }),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    await res?.arrayBuffer().catch(() => {});
    p.statuses.push(res?.status ?? 0);
    if (res?.status !== 503) return;
    await sleep(Number(res.headers.get("retry-after") ?? 1) * 1000);
  }
}

export const hungBrokerKeyless = ({ hangMs = 10_000, clients = 10, maxAttempts = 30 } = {}): Fault => ({
  name: "broker hung (SIGSTOP) with key-less clients",
  inject: async ({ system, env, clock }) => {
    const url = system.url("gateway");
    const run = unique("keyless");
    const purchases: KeylessPurchase[] = [];
    let hung = true;
    const client = async (c: number) => {
      for (let i = 0; hung; i++) {
        const p: KeylessPurchase = { user: `${run}-${c}-${i}`, statuses: [] };
        purchases.push(p);
        await buyKeyless(url, p, maxAttempts);
      }
    };
    const pid = brokerPid();
    const injectedAt = clock();
    process.kill(pid, "SIGSTOP");
    // A client starts purchases only while the broker hangs, and finishes the one under way after.
    const buying = Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    try {
      await sleep(hangMs);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const restoredAt = clock();
    hung = false;
    await buying;

    const mongo = createMongoClient({ MONGODB_URI: env.MONGODB_URI as string, MONGODB_TIMEOUT_MS: 10_000 });
    try {
      const docs = purchasesCollection(mongo);
      const storedBy = async () => {
        const found = await docs.find({ user_id: { $in: purchases.map((p) => p.user) } }).toArray();
        const by = new Map<string, string[]>();
        for (const d of found) by.set(d.user_id, [...(by.get(d.user_id) ?? []), d._id]);
        return by;
      };
      const accepted = purchases.filter((p) => p.statuses.at(-1) === 202);
      let stored = new Map<string, string[]>();
      await waitFor(
        "every key-less 202 stored",
        async () => {
          stored = await storedBy();
          return accepted.every((p) => stored.has(p.user));
        },
        { timeoutMs: 120_000, everyMs: 1000 },
      ).catch(() => {}); // judged below, with the numbers
      const count = (p: KeylessPurchase) => stored.get(p.user)?.length ?? 0;
      const doubled = purchases.filter((p) => count(p) > 1);
      const lost = accepted.filter((p) => count(p) === 0);
      const refusedStored = purchases.filter((p) => p.statuses.at(-1) === 503 && count(p) > 0);
      const tally: Record<string, number> = {};
      for (const s of purchases.flatMap((p) => p.statuses)) tally[s] = (tally[s] ?? 0) + 1;
      const detail =
        `${purchases.length} key-less purchases (answers ${JSON.stringify(tally)}): ${doubled.length} stored twice, ` +
        `${refusedStored.length} stored though refused, ${lost.length} answered 202 but not stored`;
      return {
        injectedAt,
        restoredAt,
        ownIds: [...stored.values()].flat(),
        checks: [
          {
            name: "broker hung, key-less clients retrying 503s: no purchase made twice",
            ok: doubled.length === 0 && refusedStored.length === 0 && lost.length === 0,
            detail,
          },
        ],
      };
    } finally {
      await mongo.close();
    }
  },
});
