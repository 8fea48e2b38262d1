// Waiting for a condition of a real system (a record stored, a process answering): polled, bounded,
// and failing with what was awaited and the last error seen.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Longest wait (default 15 s). */
  timeoutMs?: number;
  /** Pause between tries (default 100 ms). */
  everyMs?: number;
}

/** Calls `fn` until it returns a truthy value (returned) or the time is up (throws). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  { timeoutMs = 15_000, everyMs = 100 }: WaitOptions = {},
) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Polls `url` until it answers 200 (a function whose Kafka or database is still connecting). */
export async function waitOk(url: string, { timeoutMs = 30_000, everyMs = 100 }: WaitOptions = {}) {
  let last = "";
  await waitFor(
    `${url} to answer 200`,
    async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        last = `${res.status} ${await res.text()}`;
        return res.ok;
      } catch (err) {
        last = (err as Error).message;
        return false;
      }
    },
    { timeoutMs, everyMs },
  ).catch(() => {
    throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
  });
}
