// The faults of the campaign, each injected into a running system and undone: the component (or the
// broker, or the database) is back when `inject` resolves. Times are on the campaign clock.
import { setTimeout as sleep } from "node:timers/promises";
import { hangPostgres } from "../postgres-faults.ts";
import type { Component } from "../process.ts";
import { stack } from "../stack.ts";
import type { System } from "../system.ts";
import { hungBrokerKeyless } from "./hung-broker.ts";
import { type Position, poisonRecords } from "./poison.ts";

export interface FaultContext {
  system: System;
  /** The env the system was started with: a restarted component gets the same. */
  env: Record<string, string>;
  clock: () => number;
  /** How long the database stays down. */
  dbOutageMs: number;
  /** Processes replaced by a restart, kept for their logs. */
  retired: Component[];
}

export interface Injected {
  injectedAt: number;
  restoredAt: number;
  /** Exit code of a process stopped with SIGTERM (0 = graceful). */
  exitCode?: number | null;
  /** Stored purchases the fault made and judged itself (by `checks`): left out of the others. */
  ownIds?: string[];
  /** The fault's own verdicts, reported with the campaign's. */
  checks?: { name: string; ok: boolean; detail: string }[];
  /** Records written that must be dead-lettered (poison.ts), by position on the topic. */
  poisoned?: Position[];
}

export interface Fault {
  name: string;
  inject: (ctx: FaultContext) => Promise<Injected>;
}

/** Stops a component with `signal`, then starts it again on the same port with the same env. */
function restart(name: string, signal: NodeJS.Signals): Fault {
  return {
    name: `${signal} ${name}`,
    inject: async ({ system, clock, retired }) => {
      const component = system.components.get(name);
      if (!component) throw new Error(`no component ${name}`);
      const injectedAt = clock();
      const exitCode = await component.stop(signal);
      retired.push(component);
      const again = await component.respawn();
      system.components.set(name, again);
      return { injectedAt, restoredAt: clock(), ...(signal === "SIGTERM" ? { exitCode } : {}) };
    },
  };
}

const killPersist = (): Fault => restart("purchase-persist", "SIGKILL");
const terminateBuy = (): Fault => restart("buy", "SIGTERM");

const restartBroker = (): Fault => ({
  name: "restart Kafka broker",
  inject: async ({ clock }) => {
    const injectedAt = clock();
    await stack("stop", "kafka");
    await stack("start", "kafka");
    return { injectedAt, restoredAt: clock() };
  },
});

const stopDatabase = (): Fault => ({
  name: "stop database",
  inject: async ({ clock, dbOutageMs }) => {
    const injectedAt = clock();
    await stack("stop", "mongo");
    await sleep(Math.max(0, injectedAt + dbOutageMs - clock()));
    await stack("start", "mongo");
    return { injectedAt, restoredAt: clock() };
  },
});

/**
 * PostgreSQL hung behind a running FerretDB (SIGSTOP, resumed after `ms`): the store neither answers
 * nor refuses, so every call waits for its own bound (issue 24: /health took 12 s). Local stack only.
 */
const hangDatabase = (ms: number): Fault => ({
  name: `hang database (SIGSTOP PostgreSQL) for ${ms / 1000} s`,
  inject: async ({ clock }) => {
    const injectedAt = clock();
    const resume = hangPostgres();
    try {
      await sleep(ms);
    } finally {
      resume();
    }
    return { injectedAt, restoredAt: clock() };
  },
});

/**
 * `npm run test:faults`: the same faults, PostgreSQL hung for 20 s, the database outage last and
 * long (3 minutes by default; an outage under 10 minutes dead-letters nothing). The load must outlast it, so that the
 * report sees ingest and storage resume: at 0.38 of 48k purchases at 120/s (400 s), a 180 s outage
 * ends at about 330 s.
 */
export const longOutageSchedule = (): { at: number; fault: Fault }[] => [
  { at: 0.06, fault: killPersist() },
  { at: 0.14, fault: restartBroker() },
  { at: 0.2, fault: poisonRecords() },
  { at: 0.24, fault: killPersist() },
  { at: 0.3, fault: terminateBuy() },
  { at: 0.32, fault: hungBrokerKeyless() },
  { at: 0.34, fault: hangDatabase(20_000) },
  { at: 0.38, fault: stopDatabase() },
];

/**
 * The schedule: persist killed twice, the broker restarted, the database stopped, buy
 * SIGTERMed; and poison records mid-load (issue 24).
 */
export const defaultSchedule = (): { at: number; fault: Fault }[] => [
  { at: 0.08, fault: killPersist() },
  { at: 0.2, fault: restartBroker() },
  { at: 0.35, fault: poisonRecords() },
  { at: 0.45, fault: killPersist() },
  { at: 0.58, fault: stopDatabase() },
  { at: 0.78, fault: terminateBuy() },
];
