// npm run bench [-- --quick] [-- --only persist,read]   (--help for every option)
// Measures the system against the local stack (or KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI) and
// compares each figure with a baseline on the same machine: progress lines while it runs, then a
// table (figure | ours | baseline | ratio | target | met?) and bench-results/<date>.json + latest.json.
// A full run takes at most 15 minutes; --quick (CI: proves the harness works) at most 2. Exits 1
// only when the harness or a figure fails, never for a missed target; a figure whose prerequisite
// is missing here (the image figure without images) is reported as skipped, with the command
// that enables it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemConfig } from "../../harness/config.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { parseBenchArgs, USAGE, UsageError } from "./args.ts";
import { authFigure } from "./auth-cost.ts";
import { coldstartFigure } from "./coldstart.ts";
import { describeEnvironment, startLocalStack } from "./environment.ts";
import { freshnessFigure } from "./freshness.ts";
import { imageFigure } from "./image.ts";
import { ingestFigure } from "./ingest.ts";
import { persistFigure } from "./persist.ts";
import { buildBundles, killAll, sourceEntry } from "./procs.ts";
import { elapsed, sayer } from "./progress.ts";
import { pullFigure } from "./pull.ts";
import { readFigure } from "./read.ts";
import { replayFigure } from "./replay.ts";
import { formatTable, markdownTable, stamp, writeResults } from "./report.ts";
import { type BenchContext, type FigureName, type FigureResult, FigureSkipped } from "./types.ts";

/** Longest a figure may run (the slowest, a first full read that seeds 1M purchases, takes ~4 min). */
const FIGURE_LIMIT_S = 600;

const RUN = {
  persist: persistFigure,
  ingest: ingestFigure,
  read: readFigure,
  freshness: freshnessFigure,
  coldstart: coldstartFigure,
  image: imageFigure,
  replay: replayFigure,
  pull: pullFigure,
  auth: authFigure,
};
/** The functions each figure starts (bundled once per run). */
const NEEDS: Record<FigureName, string[]> = {
  persist: ["purchase-persist"],
  ingest: ["buy"],
  read: ["customer-management"],
  freshness: ["buy", "purchase-persist", "customer-management"],
  coldstart: listFunctions(),
  image: listFunctions(),
  replay: ["purchase-persist"],
  pull: ["customer-management"],
  auth: ["buy", "user-purchases", "customer-management"],
};

let args: ReturnType<typeof parseBenchArgs>;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")))
    throw err;
  console.error(`bench: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const startedAt = new Date();
const config = systemConfig({ ...process.env, LOG_LEVEL: "silent" });
const log = sayer("bench");
const workDir = mkdtempSync(join(tmpdir(), "purchase-bench-"));
let stopStack = () => {};
const cleanup = () => {
  killAll();
  rmSync(workDir, { recursive: true, force: true });
  stopStack();
  stopStack = () => {};
};
process.once("SIGINT", () => {
  log("interrupted: stopping what the bench started");
  cleanup();
  process.exit(130);
});

let failed = false;
try {
  stopStack = startLocalStack(log);
  const { store, pids, machine } = await describeEnvironment(config);
  const mode = args.quick ? "quick" : "full";
  log(
    `${mode} run of ${args.figures.join(", ")} on ${machine.cpus} cores (load ${machine.loadAverage.join(" ")})`,
  );
  log(`Kafka ${config.KAFKA_BOOTSTRAP_SERVERS.join(",")}, ${store.name} at ${redact(config.MONGODB_URI)}`);
  if (Object.keys(args.overrides).length > 0) log(`with ${JSON.stringify(args.overrides)}`);
  if ((machine.loadAverage[0] ?? 0) > machine.cpus * 0.5) {
    log(`warning: the machine is busy (load ${machine.loadAverage[0]}): figures will be lower and noisier`);
  }
  const wanted = [...new Set(args.figures.flatMap((f) => NEEDS[f]))];
  const bundles = await buildBundles(join(workDir, "dist"), wanted, log);
  const profileDir = args.cpuProf ? join(ROOT, "bench-results/profiles", stamp(startedAt)) : undefined;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    log(`CPU profiles go to ${profileDir.replace(`${ROOT}/`, "")}`);
  }
  const runId = `${stamp(startedAt).slice(0, 10).replace(/-/g, "")}${Date.now().toString(36).slice(-5)}`;
  const results: FigureResult[] = [];
  for (const name of args.figures) {
    const ctx: BenchContext = {
      quick: args.quick,
      runId,
      kafka: config.KAFKA_BOOTSTRAP_SERVERS,
      mongoUri: config.MONGODB_URI,
      store,
      pids,
      workDir,
      // Profiles of sources attribute time to packages and files; a bundle is one file.
      entry: (fn) => (profileDir ? undefined : bundles.get(fn)) ?? sourceEntry(fn),
      bundle: (fn) => bundles.get(fn),
      connect: args.connect,
      overrides: args.overrides,
      profileDir,
      say: sayer(name),
    };
    const t0 = performance.now();
    ctx.say("starting");
    // A figure past its bound fails and its processes are killed, so a hang (there was one: an
    // await nothing resolved) cannot stall the run with no output.
    let bound: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      bound = setTimeout(
        () => reject(new Error(`not finished within ${FIGURE_LIMIT_S} s; its processes were killed`)),
        FIGURE_LIMIT_S * 1000,
      );
    });
    try {
      results.push({ name, ...(await Promise.race([RUN[name](ctx), overdue])), seconds: secs(t0) });
      ctx.say(`done in ${secs(t0)} s`);
    } catch (err) {
      if (err instanceof FigureSkipped) {
        ctx.say(`skipped: ${err.message}`);
        results.push({ name, rows: [], details: {}, notes: [], skipped: err.message, seconds: secs(t0) });
        continue;
      }
      failed = true;
      const e = err as Error;
      ctx.say(`FAILED after ${secs(t0)} s: ${e.stack ?? e.message}`);
      results.push({ name, rows: [], details: {}, notes: [], error: e.message, seconds: secs(t0) });
      killAll();
    } finally {
      clearTimeout(bound);
    }
  }

  console.log(`\n${formatTable(results)}\n`);
  const file = writeResults(join(ROOT, "bench-results"), startedAt, {
    date: startedAt.toISOString(),
    mode,
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    kafka: config.KAFKA_BOOTSTRAP_SERVERS,
    store,
    overrides: args.overrides,
    runFrom: Object.fromEntries(
      wanted.map((fn) => [
        fn,
        !profileDir && bundles.has(fn) ? "esbuild bundle" : "source (node type stripping)",
      ]),
    ),
    table: markdownTable(results),
    figures: results,
  });
  log(`results: ${file.replace(`${ROOT}/`, "")} and bench-results/latest.json (${elapsed()} in all)`);
} catch (err) {
  failed = true;
  log(`failed: ${(err as Error).message}`);
} finally {
  cleanup();
}
process.exit(failed ? 1 : 0);

function secs(t0: number) {
  return Math.round((performance.now() - t0) / 100) / 10;
}

function redact(uri: string) {
  return uri.replace(/\/\/[^/@]*@/, "//***@");
}
