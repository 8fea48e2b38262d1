// The /buy load of the fault campaign: a bounded number of concurrent clients, each purchase retried
// with the SAME Idempotency-Key after a 503 or a failed connection (what a well-behaved client does),
// and every attempt recorded, so the campaign can judge each refusal and find any hang.
import { setTimeout as sleep } from "node:timers/promises";
import { uuidV5For } from "../../functions/shared/uuid5.ts";
import { testAuth } from "../auth-fixture.ts";

// Equal to IDEMPOTENCY_NAMESPACE in functions/buy/app.ts: it gives the id of a purchase that never
// got its 202. The campaign compares it with the id of every 202, so a drift fails loudly.
const buyId = uuidV5For("3f4e9c52-6d0b-4c3e-9a51-2b8f0d7c1e64");

export type AttemptResult =
  | { kind: "accepted"; id: string }
  | { kind: "refused"; error: string; retryAfter: string | null }
  | { kind: "bad"; status: number; body: string }
  | { kind: "network"; error: string }
  | { kind: "timeout" };

export interface Attempt {
  startedAt: number;
  endedAt: number;
  result: AttemptResult;
}

export interface TrackedPurchase {
  index: number;
  userId: string;
  key: string;
  expectedId: string;
  attempts: Attempt[];
  /** When the 202 arrived (campaign clock) and the id it carried. */
  acceptedAt?: number;
  acceptedId?: string;
}

export interface LoadOptions {
  /** Base URL; purchases are POSTed to `${url}/buy`. */
  url: string;
  purchases: number;
  concurrency: number;
  /** Most purchases started per second; 0 = as fast as the concurrency allows. */
  rate: number;
  maxAttempts: number;
  requestTimeoutMs: number;
  runId: string;
  users?: number;
  /** The campaign clock: ms since its start. */
  clock: () => number;
  /**
   * Past `purchases`, more are made while this holds: the campaign keeps the load going until its
   * last fault has been injected and has recovered, however slow the machine makes the faults.
   */
  more?: () => boolean;
}

/** The purchase id buy derives from (user_id, Idempotency-Key). */
const expectedPurchaseId = (userId: string, key: string) => buyId(`${userId}\n${key}`);

/** One POST /buy, classified. Never throws. */
async function buyOnce(url: string, p: TrackedPurchase, timeoutMs: number): Promise<AttemptResult> {
  let res: Response;
  try {
    res = await fetch(`${url}/buy`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": p.key,
        ...(await (await testAuth()).session(p.userId)),
      },
      body: JSON.stringify({ username: `Shopper ${p.userId}`, user_id: p.userId }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError") return { kind: "timeout" };
    return { kind: "network", error: e.cause?.code ?? e.message };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    return e.name === "TimeoutError" ? { kind: "timeout" } : { kind: "network", error: e.message };
  }
  const body = parse(text);
  const json = /^application\/json/i.test(res.headers.get("content-type") ?? "");
  if (res.status === 202 && json && typeof body?.purchase?.id === "string") {
    return { kind: "accepted", id: body.purchase.id };
  }
  // 504 outcome_unknown: the purchase may have been made; this client has a key, so it retries with it.
  const refusal = res.status === 503 || (res.status === 504 && body?.error === "outcome_unknown");
  if (refusal && json && typeof body?.error === "string" && typeof body?.message === "string") {
    return { kind: "refused", error: body.error, retryAfter: res.headers.get("retry-after") };
  }
  return { kind: "bad", status: res.status, body: text.slice(0, 300) };
}

// biome-ignore lint/suspicious/noExplicitAny: a response body of unknown shape, checked field by field
function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Starts the load; `progress()` counts purchases started and accepted, `done` resolves with all. */
export function startLoad(opts: LoadOptions) {
  const users = opts.users ?? 500;
  const purchase = (index: number): TrackedPurchase => {
    const userId = `fc-${index % users}`;
    const key = `${opts.runId}-${index}`;
    return { index, userId, key, expectedId: expectedPurchaseId(userId, key), attempts: [] };
  };
  const purchases: TrackedPurchase[] = Array.from({ length: opts.purchases }, (_, index) => purchase(index));
  let next = 0;
  let accepted = 0;
  // Paced, without catching up after a stall: a fault must not be followed by a burst.
  let nextStartAt = opts.clock();

  const run = async (p: TrackedPurchase) => {
    for (let n = 0; n < opts.maxAttempts; n++) {
      const startedAt = opts.clock();
      const result = await buyOnce(opts.url, p, opts.requestTimeoutMs);
      const endedAt = opts.clock();
      p.attempts.push({ startedAt, endedAt, result });
      if (result.kind === "accepted") {
        p.acceptedAt = endedAt;
        p.acceptedId = result.id;
        accepted++;
        return;
      }
      // Retry-After is whole seconds (RFC 9110 10.2.3); without one, back off briefly.
      const after = result.kind === "refused" ? Number(result.retryAfter) : Number.NaN;
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 500);
    }
  };

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= purchases.length && opts.more?.()) purchases.push(purchase(purchases.length));
      const p = purchases[i];
      if (!p) return;
      if (opts.rate > 0) {
        const now = opts.clock();
        nextStartAt = Math.max(nextStartAt + 1000 / opts.rate, now);
        if (nextStartAt > now) await sleep(nextStartAt - now);
      }
      await run(p);
    }
  };

  const done = Promise.all(Array.from({ length: opts.concurrency }, worker)).then(() => purchases);
  return {
    done,
    progress: () => ({ started: Math.min(next, purchases.length), accepted }),
    purchases,
  };
}

export type Load = ReturnType<typeof startLoad>;

export interface ReadOptions {
  url: string;
  concurrency: number;
  users: number;
  requestTimeoutMs: number;
  clock: () => number;
  /** Reads are made only while this holds (the campaign: during a fault and just after it). */
  active: () => boolean;
}

/** One GET /getAllUserBuys/:user_id, classified like a purchase attempt ("accepted" = a 200 history). */
async function readOnce(url: string, userId: string, timeoutMs: number): Promise<AttemptResult> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${url}/getAllUserBuys/${userId}?limit=5`, {
      headers: await (await testAuth()).session(userId),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError") return { kind: "timeout" };
    return { kind: "network", error: e.cause?.code ?? e.message };
  }
  const body = parse(text);
  const json = /^application\/json/i.test(res.headers.get("content-type") ?? "");
  if (res.status === 200 && json && Array.isArray(body?.purchases)) return { kind: "accepted", id: userId };
  // A read may also be refused with a bounded 504: on FerretDB a history read is a collection scan,
  // and under a fault's write backlog it can outlast UPSTREAM_TIMEOUT_MS. Clear and bounded, not a hang.
  const refusal = res.status === 503 || res.status === 504;
  if (refusal && json && typeof body?.error === "string" && typeof body?.message === "string") {
    return { kind: "refused", error: body.error, retryAfter: res.headers.get("retry-after") };
  }
  return { kind: "bad", status: res.status, body: text.slice(0, 300) };
}

/**
 * Shoppers reading their history while `active()`, until `stop()`; every read recorded. Only around
 * the faults: FerretDB answers a history by scanning the whole collection and does not give up a
 * query its client has abandoned, so steady reads would pile up and starve the writes.
 */
export function startReads(opts: ReadOptions) {
  const reads: Attempt[] = [];
  let stopped = false;
  const reader = async (n: number) => {
    for (let i = n; !stopped; i += opts.concurrency) {
      if (!opts.active()) {
        await sleep(200);
        continue;
      }
      const startedAt = opts.clock();
      const result = await readOnce(opts.url, `fc-${i % opts.users}`, opts.requestTimeoutMs);
      reads.push({ startedAt, endedAt: opts.clock(), result });
      await sleep(1000);
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, (_, n) => reader(n)));
  return {
    reads,
    stop: async () => {
      stopped = true;
      await done;
      return reads;
    },
  };
}
