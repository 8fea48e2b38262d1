// Watching the running campaign: when a fault is over, when the pipeline has drained, and the
// housekeeping around it (component logs, removing the run's topics and database).
import { mkdirSync, writeFileSync } from "node:fs";
import type { Db } from "mongodb";
import { createGroupReader } from "../../functions/customer-management/lag.ts";
import { createAdmin, createKafka } from "../../functions/shared/kafka.ts";
import type { Component } from "../../scripts/local/system.ts";
import { testConfig, unique, waitFor } from "../helpers.ts";
import type { Load } from "./load.ts";

/** purchase-persist's `purchases_persisted_total` (documents it has stored), or -1 when unreadable. */
export async function persistedTotal(persistUrl: string): Promise<number> {
  try {
    const res = await fetch(`${persistUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    const m = /^purchases_persisted_total(?:\{[^}]*\})? (\d+)/m.exec(await res.text());
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

/**
 * Waits until the pipeline works again: a new 202 and a new document stored by purchase-persist
 * (read from its metrics, which cost the busy database nothing). With the load over, there is no
 * traffic left to watch, and the component being back is all there is to see.
 */
export async function waitForRecovery(
  load: Load,
  persisted: () => Promise<number>,
  loadDone: () => boolean,
  timeoutMs: number,
) {
  const acceptedBefore = load.progress().accepted;
  try {
    const { base } = await waitFor(
      "persist metrics",
      async () => {
        const n = await persisted();
        return n >= 0 && { base: n };
      },
      timeoutMs,
      200,
    );
    await waitFor(
      "recovery",
      async () => loadDone() || (load.progress().accepted > acceptedBefore && (await persisted()) > base),
      timeoutMs,
      100,
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the consumer group has no lag and purchase-persist has stored nothing new for 2 s
 * (its metrics again: polling the database would slow it down for everyone).
 */
export async function drain(
  group: string,
  topic: string,
  persisted: () => Promise<number>,
  timeoutMs: number,
) {
  const lag = createGroupReader(createKafka(testConfig(), unique("faults-drain")), group);
  await lag.connect();
  try {
    let last = -1;
    let stableSince = Date.now();
    await waitFor(
      "the pipeline drained",
      async () => {
        const state = await lag.read(topic, 2000);
        const count = await persisted();
        if (count !== last) {
          last = count;
          stableSince = Date.now();
        }
        return state?.lag === 0 && count >= 0 && Date.now() - stableSince >= 2000;
      },
      timeoutMs,
      500,
    );
    return true;
  } catch {
    return false;
  } finally {
    await lag.disconnect();
  }
}

/** Every component's output, restarted ones included, as <name>-<n>.log. */
export function saveLogs(dir: string, components: Component[]) {
  mkdirSync(dir, { recursive: true });
  const seen = new Map<string, number>();
  for (const c of components) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    writeFileSync(`${dir}/${c.name}-${n}.log`, c.output());
  }
}

/** Drops the run's database and deletes its topics; leftovers of a test run are harmless. */
export async function cleanUp(db: Db, topics: string[]) {
  await db.dropDatabase().catch(() => {});
  const admin = createAdmin(createKafka(testConfig(), unique("faults-cleanup")));
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Nothing to do: a later run uses new names.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
