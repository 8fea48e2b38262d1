// Figure 6, cold start of the images: `<engine> run` of each function's image, run as a Knative
// revision runs it (scripts/local/containers.ts), to its first successful real request
// (scripts/local/first-request.ts: a 202 on /buy, a stored event, a history read, the catalog, the
// page), not a probe; median of 10. Against a bare node:http server in a container of the same base
// image with the same flags (the floor: what the runtime and Node cost before any of our code), and
// the same function's bundle started as a process. Also the image with Node's compile cache
// (NODE_COMPILE_CACHE on a folder one earlier start filled: what a cache baked in at build time
// would give), to decide whether to bake one.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { engine, imageOf, startContainer } from "../local/containers.ts";
import { FIRST_REQUESTS, type FirstRequest } from "../local/first-request.ts";
import { type Component, ensureTopics, ROOT, spawnComponent, waitReady } from "../local/system.ts";
import { listFunctions, startFunction } from "./procs.ts";
import { median, round } from "./stats.ts";
import { dbUri } from "./store.ts";
import { type BenchContext, type FigureResult, type Row, row } from "./types.ts";

const FLOOR = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));`;
const FLOOR_REQUEST: FirstRequest = { what: "GET /", expect: 200, send: (url) => fetch(url) };

type Started = Pick<Component, "url" | "stop" | "output" | "child">;

export async function imageFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const starts = ctx.quick ? 3 : 10;
  const missing = listFunctions().filter(
    (fn) => spawnSync(engine(), ["image", "inspect", imageOf(fn)], { stdio: "ignore" }).status !== 0,
  );
  if (missing.length > 0) throw new Error(`no image for ${missing.join(", ")}: run npm run images first`);
  const base = spawnSync("bash", ["scripts/images.sh", "--print-base"], { cwd: ROOT, encoding: "utf8" });
  if (base.status !== 0) throw new Error(`no base image: ${base.stderr}`);
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
    MONGODB_URI: dbUri(ctx.mongoUri, `bench_${ctx.runId}_image`),
    KAFKA_TOPIC: `bench-${ctx.runId}-image`,
    LOG_LEVEL: "warn",
  };
  await ensureTopics(env);
  // user-purchases answers a history read through the management API: one runs all along.
  const upstream = await startFunction(ctx, "purchases", env);
  await waitReady(upstream);

  const floor = await measure(
    () =>
      startContainer({ root: ROOT, fn: "floor", image: base.stdout.trim(), command: ["node", "-e", FLOOR] }),
    FLOOR_REQUEST,
    starts,
  );
  ctx.say(`floor (bare node:http server in a container of ${base.stdout.trim()}): ${floor.medianMs} ms`);
  const rows: Row[] = [];
  const details: Record<string, unknown> = { starts, floor };
  for (const fn of listFunctions()) {
    const request = FIRST_REQUESTS[fn];
    if (!request) throw new Error(`no first request defined for ${fn}`);
    const fnEnv = fn === "user-purchases" ? { ...env, CUSTOMER_MANAGEMENT_API_URL: upstream.url } : env;
    const image = await measure(() => startContainer({ root: ROOT, fn, env: fnEnv }), request, starts);
    const cacheDir = mkdtempSync(join(ctx.workDir, `compile-cache-${fn}-`));
    chmodSync(cacheDir, 0o777); // written by the container's uid 1000
    const cached = () =>
      startContainer({
        root: ROOT,
        fn,
        env: { ...fnEnv, NODE_COMPILE_CACHE: "/compile-cache" },
        extra: ["--volume", `${cacheDir}:/compile-cache`],
      });
    await measure(cached, request, 1); // fills the cache, as a build step would
    const withCache = await measure(cached, request, starts);
    const bundle = ctx.bundle(fn);
    const asProcess = bundle
      ? await measure(() => spawnComponent(fn, bundle, fnEnv, 0), request, starts)
      : undefined;
    details[fn] = { request: request.what, image, withCache, process: asProcess };
    ctx.say(
      `${fn} (${request.what}): image ${image.medianMs} ms, with compile cache ${withCache.medianMs} ms, ` +
        `bundle as a process ${asProcess?.medianMs ?? "-"} ms`,
    );
    rows.push(
      row({
        figure: `image to first ${request.what}: ${fn} (median of ${starts})`,
        unit: "ms",
        ours: image.medianMs,
        baseline: floor.medianMs,
        against: "bare node:http server in a container (floor)",
        target: { kind: "ratio-max", value: 1.5 },
      }),
      row({
        figure: `  same image, compile cache: ${fn}`,
        unit: "ms",
        ours: withCache.medianMs,
        baseline: image.medianMs,
        against: "the image without it",
        target: { kind: "none" },
      }),
      row({
        figure: `  bundle as a process: ${fn}`,
        unit: "ms",
        ours: asProcess?.medianMs ?? null,
        baseline: image.medianMs,
        against: "the image",
        target: { kind: "none" },
      }),
    );
  }
  const notes = [
    `${engine()} run of each image (read-only, uid 1000, host network) to its first successful real request; ` +
      `the floor is a bare node:http server started the same way from the same base image: ${floor.medianMs} ms`,
  ];
  return { rows, notes, details };
}

async function measure(start: () => Promise<Started>, request: FirstRequest, starts: number) {
  const startMs: number[] = [];
  for (let i = 0; i < starts; i++) {
    const t0 = performance.now();
    const c = await start();
    try {
      startMs.push((await firstSuccess(c, request)) - t0);
    } finally {
      await c.stop();
    }
  }
  return { startMs: startMs.map((x) => round(x, 1)), medianMs: round(median(startMs), 1) };
}

/** Sends the request every 5 ms until it gets the expected status; the time of that answer. */
async function firstSuccess(c: Started, request: FirstRequest): Promise<number> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (c.child.exitCode !== null)
      throw new Error(`exited (${c.child.exitCode}) before ${request.what}:\n${c.output()}`);
    const res = await request.send(c.url, "bench-image").catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === request.expect) return performance.now();
    await sleep(5);
  }
  throw new Error(`no ${request.expect} to ${request.what} within 60 s:\n${c.output()}`);
}
