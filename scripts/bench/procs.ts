// Processes of the bench: esbuild bundles of the functions, starting functions and the local
// KafkaSource dispatcher (harness/process.ts spawnComponent, ready at /readyz), and stopping
// whatever is left.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { testAuth } from "../../harness/auth-fixture.ts";
import { type Component, spawnComponent } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";

import type { Say } from "./progress.ts";
import type { BenchContext } from "./types.ts";

export const sourceEntry = (fn: string) => join(ROOT, "functions", fn, "server.ts");

/**
 * Bundles the functions into `outDir` with scripts/bundle.ts (what the container images ship).
 * Returns the bundled entry per function; a function without one runs from source.
 */
export async function buildBundles(outDir: string, names: string[], say: Say): Promise<Map<string, string>> {
  const bundles = new Map<string, string>();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["scripts/bundle.ts", "--only", names.join(","), "--out", outDir], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const [code] = await once(child, "exit");
  if (code !== 0) {
    say(`bundling failed (exit ${code}); functions run from source:\n${out.trim()}`);
    return bundles;
  }
  for (const name of names) {
    const entry = join(outDir, name, "index.mjs");
    if (existsSync(entry)) bundles.set(name, entry);
  }
  say(`bundled ${[...bundles.keys()].join(", ")} in ${Math.round(performance.now() - t0)} ms`);
  return bundles;
}

const running = new Set<Component>();

/**
 * Starts a function (bundle or source) on a free port; resolves once its /readyz answers 200. Tokens
 * are verified against the bench's test issuer (harness/auth-fixture.ts), as in production.
 */
export async function startFunction(ctx: BenchContext, name: string, env: Record<string, string>) {
  const c = await spawnComponent({
    name,
    entry: ctx.entry(name),
    env: {
      LOG_LEVEL: "warn",
      KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
      ...(await testAuth()).env,
      ...profiling(ctx),
      ...env,
      ...ctx.overrides,
    },
  });
  running.add(c);
  return c;
}

/** The local KafkaSource dispatcher (always from source: it is not one of the bundled functions). */
export async function startDispatcher(ctx: BenchContext, env: Record<string, string>) {
  const c = await spawnComponent({
    name: "kafka-source",
    entry: "kafka-source/dispatcher/main.ts",
    env: {
      LOG_LEVEL: "warn",
      KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
      KAFKA_SOURCE_ORDERING: "unordered",
      KAFKA_SOURCE_INITIAL_OFFSET: "earliest",
      ...profiling(ctx),
      ...env,
      ...ctx.overrides,
    },
  });
  running.add(c);
  return c;
}

/** --cpu-prof: <component>-<pid>.cpuprofile per process, written at exit (summarise: profile.ts). */
const profiling = (ctx: BenchContext): Record<string, string> =>
  ctx.profileDir
    ? {
        NODE_OPTIONS: `--import ${join(ROOT, "scripts/bench/cpu-profile.mjs")}`,
        BENCH_CPU_PROF_DIR: ctx.profileDir,
      }
    : {};

export async function stop(...components: (Component | undefined)[]) {
  for (const c of components) {
    if (!c) continue;
    await c.stop();
    running.delete(c);
  }
}

/** Kills what is still running (Ctrl-C, or a figure that failed half-way). */
export function killAll() {
  for (const c of running) c.child.kill("SIGKILL");
  for (const child of extra) child.kill("SIGKILL");
}

const extra = new Set<ChildProcess>();
/** Registers another child (Kafka Connect, cold-start runs) for killAll. */
export function trackChild(child: ChildProcess) {
  extra.add(child);
  child.once("exit", () => extra.delete(child));
}

/**
 * The pid of the local process listening on `port` (iproute2's ss), to account a store's or a
 * broker's CPU to each contender; undefined when it is remote, another user's, or ss is missing.
 */
export function listenerPid(port: number): number | undefined {
  const r = spawnSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = Number(r.stdout?.match(/pid=(\d+)/)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
