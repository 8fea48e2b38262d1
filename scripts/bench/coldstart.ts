// Figure 5, cold start and footprint: each function's esbuild bundle (`node index.mjs`, as the
// container runs it) from process start to its first 200 on GET /livez, median of 10 starts, and
// its resident memory once idle; against the same function run from source (Node's type stripping).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { databaseUri } from "../../harness/databases.ts";
import { freePort } from "../../harness/ports.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { rssMb } from "./http.ts";
import { sourceEntry, trackChild } from "./procs.ts";
import { median, round } from "./stats.ts";
import { type BenchContext, type FigureResult, type Row, row } from "./types.ts";

const FLOOR = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));`;

interface Variant {
  startMs: number[];
  medianMs: number;
  idleRssMb: number;
}

export async function coldstartFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const starts = ctx.quick ? 3 : 10;
  const idleMs = ctx.quick ? 500 : 3000;
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
    MONGODB_URI: databaseUri(`bench_${ctx.runId}_cold`, ctx.mongoUri),
    LOG_LEVEL: "warn",
  };
  // The floor on this machine: a bare node:http server, from process start to its first 200.
  const floor = await measure(["-e", FLOOR], env, starts, 0);
  ctx.say(`floor (bare node:http server): ${floor.medianMs} ms`);
  const rows: Row[] = [];
  const notes: string[] = [
    `the floor here, a bare node:http server from process start to its first 200: ${floor.medianMs} ms (median)`,
  ];
  const details: Record<string, { bundle?: Variant; source: Variant }> = {};
  for (const fn of listFunctions()) {
    const bundle = ctx.bundle(fn);
    const run = (args: string[]) => measure(args, env, starts, idleMs);
    const source = await run([sourceEntry(fn)]);
    const ours = bundle ? await run([bundle]) : undefined;
    if (!ours)
      notes.push(`${fn}: no bundle (scripts/bundle.ts missing or failed): only the source run is shown`);
    details[fn] = { bundle: ours, source };
    ctx.say(
      `${fn}: bundle ${ours?.medianMs ?? "-"} ms / ${ours?.idleRssMb ?? "-"} MB, ` +
        `source ${source.medianMs} ms / ${source.idleRssMb} MB`,
    );
    const against = "same function from source (node, type stripping)";
    rows.push(
      row({
        figure: `cold start: ${fn} (median of ${starts})`,
        unit: "ms",
        ours: ours?.medianMs ?? null,
        baseline: source.medianMs,
        against,
        target: { kind: "below", value: 200 },
      }),
      row({
        figure: `idle RSS: ${fn}`,
        unit: "MB",
        ours: ours?.idleRssMb ?? null,
        baseline: source.idleRssMb,
        against,
        target: { kind: "below", value: 80 },
      }),
    );
  }
  return { rows, notes, details: { starts, idleMs, floor, functions: details } };
}

async function measure(args: string[], env: Record<string, string>, starts: number, idleMs: number) {
  const startMs: number[] = [];
  let idleRssMb = Number.NaN;
  for (let i = 0; i < starts; i++) {
    const last = i === starts - 1;
    const r = await startOnce(args, env, last ? idleMs : 0);
    startMs.push(r.ms);
    if (last) idleRssMb = r.rss;
  }
  return { startMs: startMs.map((x) => round(x, 1)), medianMs: round(median(startMs), 1), idleRssMb };
}

/** One start: spawn, poll /livez every 2 ms until 200, optionally idle, read RSS, stop. */
async function startOnce(args: string[], env: Record<string, string>, idleMs: number) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  trackChild(child);
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
  let ms = Number.NaN;
  while (child.exitCode === null && performance.now() - t0 < 30_000) {
    if ((await livez(port)) === 200) {
      ms = performance.now() - t0;
      break;
    }
    await sleep(2);
  }
  if (Number.isNaN(ms)) {
    child.kill("SIGKILL");
    throw new Error(
      `${args.join(" ")} did not answer 200 on /livez: ${err.trim() || `exit ${child.exitCode}`}`,
    );
  }
  if (idleMs > 0) await sleep(idleMs);
  const rss = rssMb(child.pid);
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  return { ms, rss };
}

/** GET /livez on a new connection: the status, or 0 when nothing listens yet. */
function livez(port: number) {
  return new Promise<number>((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/livez", agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}
