// Processes of the bench: esbuild bundles of the functions, starting functions and the local
// KafkaSource dispatcher (scripts/local/system.ts spawnComponent), and stopping whatever is left.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Component, ROOT, spawnComponent } from "../local/system.ts";

export { freePort } from "../local/ports.ts";

import type { Say } from "./progress.ts";
import type { BenchContext } from "./types.ts";

/** Every function: functions/<name>/server.ts, except the shared code. */
export function listFunctions(): string[] {
  return readdirSync(join(ROOT, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "shared")
    .filter((d) => existsSync(join(ROOT, "functions", d.name, "server.ts")))
    .map((d) => d.name)
    .sort();
}

export const sourceEntry = (fn: string) => join(ROOT, "functions", fn, "server.ts");

/**
 * Bundles the functions into `outDir` with scripts/bundle.ts (what the container images ship).
 * Returns the bundled entry per function; a function without one runs from source with tsx.
 */
export async function buildBundles(outDir: string, names: string[], say: Say): Promise<Map<string, string>> {
  const bundles = new Map<string, string>();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/bundle.ts", "--only", names.join(","), "--out", outDir],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const [code] = await once(child, "exit");
  if (code !== 0) {
    say(`bundling failed (exit ${code}); functions run from source with tsx:\n${out.trim()}`);
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

/** Starts a function (bundle or source) on a free port; waits for its "listening" line. */
export async function startFunction(ctx: BenchContext, name: string, env: Record<string, string>) {
  const c = await spawnComponent(
    name,
    ctx.entry(name),
    {
      LOG_LEVEL: "warn",
      KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
      ...profiling(ctx),
      ...env,
      ...ctx.overrides,
    },
    0,
  );
  running.add(c);
  return c;
}

/** The local KafkaSource dispatcher (always from source: it is not one of the bundled functions). */
export async function startDispatcher(ctx: BenchContext, env: Record<string, string>) {
  const c = await spawnComponent(
    "kafka-source",
    "kafka-source/dispatcher/main.ts",
    {
      // info: spawnComponent waits for its "listening" line.
      LOG_LEVEL: "info",
      KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
      KAFKA_SOURCE_ORDERING: "unordered",
      KAFKA_SOURCE_INITIAL_OFFSET: "earliest",
      ...profiling(ctx),
      ...env,
      ...ctx.overrides,
    },
    0,
  );
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

export const exited = (c: Component) =>
  c.child.exitCode !== null || c.child.signalCode !== null
    ? `${c.name} exited (${c.child.exitCode ?? c.child.signalCode}):\n${c.output().slice(-2000)}`
    : undefined;

/**
 * The pid of the local process listening on `port` (iproute2's ss), to account a store's or a
 * broker's CPU to each contender; undefined when it is remote, another user's, or ss is missing.
 */
export function listenerPid(port: number): number | undefined {
  const r = spawnSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = Number(r.stdout?.match(/pid=(\d+)/)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Polls `url` until it answers 200 (a function whose Kafka or database is still connecting). */
export async function waitOk(url: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
