// Restarts what dies, as the kubelet does for a pod's container (restartPolicy Always): a component
// of the local system (a function, the dispatcher, the gateway) that exits while nobody stopped it
// is started again on the same port with the same environment, after a back-off that doubles with
// each crash and resets once the component has stayed up for a while (CrashLoopBackOff).
// The kubelet waits 10 s, 20 s, ... up to 5 min and resets after 10 min up; the run command starts
// at 1 s, because locally a crash is usually a killed process or a bad edit that a developer wants
// back at once, and keeps the kubelet's 5 min cap and 10 min reset.
import type { Component } from "./process.ts";
import type { System } from "./system.ts";

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Up this long without a crash and the next crash starts the back-off over. */
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };
export const LOCAL_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 300_000, resetAfterMs: 600_000 };

/** The wait before restart number `restart` (1 for the first) in a crash loop: initial * 2^(n-1), capped. */
export function restartDelayMs(policy: BackoffPolicy, restart: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, restart - 1));
}

export interface SupervisorEvent {
  kind: "exited" | "restarting" | "restarted" | "restart-failed";
  name: string;
  /** Restarts in the current crash loop (1 for the first). */
  restart: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
  delayMs?: number;
  port?: number;
  pid?: number | undefined;
  error?: string;
}

export interface SupervisorOptions {
  policy?: BackoffPolicy;
  /** Every exit, wait and restart, e.g. to print it (formatEvent) or to watch it in a test. */
  onEvent?: (event: SupervisorEvent) => void;
  now?: () => number;
}

export interface Supervisor {
  /** Stops restarting: no new restart begins, one under way is awaited and its process stopped. */
  stop: () => Promise<void>;
}

/** Watches every component of `system`; a restarted one replaces the old in `system.components`. */
export function supervise(system: System, opts: SupervisorOptions = {}): Supervisor {
  const policy = opts.policy ?? LOCAL_BACKOFF;
  const emit = opts.onEvent ?? (() => {});
  const now = opts.now ?? Date.now;
  const loops = new Map<string, { restarts: number; upSince: number }>();
  const timers = new Set<NodeJS.Timeout>();
  const starting = new Set<Promise<unknown>>();
  let stopped = false;

  const watch = (c: Component) => {
    loops.set(c.name, { restarts: loops.get(c.name)?.restarts ?? 0, upSince: now() });
    c.child.once("exit", (code, signal) => {
      if (stopped || system.components.get(c.name) !== c) return; // stopped on purpose, or replaced
      emit({ kind: "exited", name: c.name, restart: 0, code, signal });
      schedule(c);
    });
  };

  const schedule = (c: Component) => {
    const loop = loops.get(c.name) ?? { restarts: 0, upSince: now() };
    if (now() - loop.upSince >= policy.resetAfterMs) loop.restarts = 0;
    loop.restarts += 1;
    loops.set(c.name, loop);
    const delayMs = restartDelayMs(policy, loop.restarts);
    emit({ kind: "restarting", name: c.name, restart: loop.restarts, delayMs });
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      const attempt = c.respawn().then(
        async (again) => {
          if (stopped) {
            await again.stop();
            return;
          }
          system.components.set(c.name, again);
          emit({
            kind: "restarted",
            name: c.name,
            restart: loop.restarts,
            port: again.port,
            pid: again.child.pid,
          });
          watch(again);
        },
        (err: Error) => {
          if (stopped) return;
          emit({
            kind: "restart-failed",
            name: c.name,
            restart: loop.restarts,
            error: err.message.split("\n")[0] ?? String(err),
          });
          // Failed to come up: that is another crash of the loop (the up-time clock does not run).
          loop.upSince = now();
          schedule(c);
        },
      );
      starting.add(attempt);
      void attempt.finally(() => starting.delete(attempt));
    }, delayMs);
    timers.add(timer);
  };

  for (const c of system.components.values()) watch(c);
  return {
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...starting]);
    },
  };
}

const seconds = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)}min` : `${ms / 1000}s`);

/** One line of the run command's output for an event. */
export function formatEvent(e: SupervisorEvent): string {
  switch (e.kind) {
    case "exited":
      return `${e.name} exited unexpectedly (${e.signal ? `signal ${e.signal}` : `code ${e.code}`}); see its output above`;
    case "restarting":
      return `${e.name}: restarting in ${seconds(e.delayMs ?? 0)} (restart ${e.restart}; the wait doubles with each crash, up to 5min, like the kubelet's CrashLoopBackOff)`;
    case "restarted":
      return `${e.name}: restarted on port ${e.port} (pid ${e.pid})`;
    case "restart-failed":
      return `${e.name}: restart ${e.restart} failed: ${e.error}`;
  }
}
