// Figure 6, cold start of the images: `<engine> run` of each function's image, run as a Knative
// revision runs it (harness/containers.ts), to its first successful real request
// (harness/first-request.ts: a 202 on /buy, a stored event, a history read, the catalog, the
// page) sent once /readyz passes, as Knative routes a request once the readiness probe passes;
// median of 10. Against a bare node:http server in a container of the same base image, same flags
// (the floor: what the runtime and Node cost before any of our code), and the same function's
// bundle started as a process. Also the image with Node's compile cache (NODE_COMPILE_CACHE on a
// folder one earlier start filled: what a cache baked in at build time would give), to decide
// whether to bake one. The variants start in turn, round by round, so the shared machine's busy
// spells hit them alike.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { testAuth } from "../../harness/auth-fixture.ts";
import { engine, imageOf, startContainer } from "../../harness/containers.ts";
import { databaseUri } from "../../harness/databases.ts";
import { FIRST_REQUESTS, type FirstRequest } from "../../harness/first-request.ts";
import { type Component, spawnComponent, waitReady } from "../../harness/process.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { ensureTopics } from "../../harness/system.ts";
import { startFunction } from "./procs.ts";
import { median, round } from "./stats.ts";
import { type BenchContext, type FigureResult, FigureSkipped, type Row, row } from "./types.ts";

export const FLOOR = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT));
process.on("SIGTERM", () => process.exit(0));`;
export const FLOOR_REQUEST: FirstRequest = { what: "GET /", expect: 200, send: (url) => fetch(url) };

export type Started = Pick<Component, "url" | "stop" | "output" | "child">;

export async function imageFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const starts = ctx.quick ? 3 : 10;
  let containers: string;
  try {
    containers = engine();
  } catch (err) {
    throw new FigureSkipped((err as Error).message, "bash scripts/install-system.sh, then npm run images");
  }
  const missing = listFunctions().filter(
    (fn) => spawnSync(containers, ["image", "inspect", imageOf(fn)], { stdio: "ignore" }).status !== 0,
  );
  if (missing.length > 0) throw new FigureSkipped(`no image for ${missing.join(", ")}`, "npm run images");
  // The floor runs on the base every function image starts from (the Dockerfile's runtime-base).
  const floorImage = imageOf("node-floor");
  if (spawnSync(containers, ["image", "inspect", floorImage], { stdio: "ignore" }).status !== 0)
    throw new FigureSkipped(`no ${floorImage}`, "npm run images");
  // Tokens of the bench's test issuer on 127.0.0.1 (the containers share the host's network).
  const env = {
    ...(await testAuth()).env,
    KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
    MONGODB_URI: databaseUri(`bench_${ctx.runId}_image`, ctx.mongoUri),
    KAFKA_TOPIC: `bench-${ctx.runId}-image`,
    LOG_LEVEL: "warn",
  };
  await ensureTopics(env);
  // user-purchases answers a history read through the management API: one runs all along.
  const upstream = await startFunction(ctx, "customer-management", env);
  await waitReady(upstream);

  const floor = (): Promise<Started> =>
    startContainer({
      root: ROOT,
      fn: "floor",
      image: floorImage,
      bare: true,
      command: ["node", "-e", FLOOR],
    });
  const rows: Row[] = [];
  const details: Record<string, unknown> = { starts, floorImage };
  const floors: number[] = [];
  for (const fn of listFunctions()) {
    const request = FIRST_REQUESTS[fn];
    if (!request) throw new Error(`no first request defined for ${fn}`);
    const fnEnv = fn === "user-purchases" ? { ...env, CUSTOMER_MANAGEMENT_API_URL: upstream.url } : env;
    const cacheDir = mkdtempSync(join(ctx.workDir, `compile-cache-${fn}-`));
    chmodSync(cacheDir, 0o777); // written by the container's uid 1000
    const cached = () =>
      startContainer({
        root: ROOT,
        fn,
        env: { ...fnEnv, NODE_COMPILE_CACHE: "/compile-cache" },
        extra: ["--volume", `${cacheDir}:/compile-cache`],
      });
    await measure({ fill: { start: cached, request } }, 1); // fills the cache, as a build step would
    const bundle = ctx.bundle(fn);
    // Round robin, one start of each variant in turn: a busy spell of the shared machine hits all
    // of them alike instead of deciding one figure.
    const m = await measure(
      {
        floor: { start: floor, request: FLOOR_REQUEST },
        image: { start: () => startContainer({ root: ROOT, fn, env: fnEnv }), request },
        cached: { start: cached, request },
        ...(bundle
          ? {
              process: {
                start: () => spawnComponent({ name: fn, entry: bundle, env: fnEnv, until: "listening" }),
                request,
              },
            }
          : {}),
      },
      starts,
    );
    const [fl, image, withCache, asProcess] = [m.floor, m.image, m.cached, m.process];
    if (!fl || !image || !withCache) throw new Error("a variant was not measured");
    floors.push(fl.medianMs);
    details[fn] = { request: request.what, floor: fl, image, withCache, process: asProcess };
    ctx.say(
      `${fn} (${request.what}): image ${image.medianMs} ms (floor ${fl.medianMs} ms), ` +
        `with compile cache ${withCache.medianMs} ms, bundle as a process ${asProcess?.medianMs ?? "-"} ms`,
    );
    rows.push(
      row({
        figure: `image to first ${request.what}: ${fn} (median of ${starts})`,
        unit: "ms",
        ours: image.medianMs,
        baseline: fl.medianMs,
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
      `the floor is a bare node:http server started the same way from ${floorImage}, measured in turn with each function ` +
      `(medians ${Math.min(...floors)}-${Math.max(...floors)} ms)`,
  ];
  return { rows, notes, details };
}

export interface Variant {
  start: () => Promise<Started>;
  request: FirstRequest;
}

/** `starts` rounds; each round starts every variant once, in turn, to its first success. */
export async function measure(variants: Record<string, Variant>, starts: number) {
  const times: Record<string, number[]> = {};
  for (let i = 0; i < starts; i++) {
    for (const [name, { start, request }] of Object.entries(variants)) {
      const t0 = performance.now();
      const c = await start();
      try {
        const ms = (await firstSuccess(c, request)) - t0;
        times[name] = [...(times[name] ?? []), ms];
      } finally {
        await c.stop();
      }
    }
  }
  const result: Record<string, { startMs: number[]; medianMs: number }> = {};
  for (const [name, ms] of Object.entries(times))
    result[name] = { startMs: ms.map((x) => round(x, 1)), medianMs: round(median(ms), 1) };
  return result;
}

/**
 * Polls /readyz every 5 ms, as Knative's probe decides when a pod gets traffic, then sends the
 * request; the time it is answered with the expected status. (Sent before readiness, a history read
 * would wait for the database's server selection and time that instead.)
 */
async function firstSuccess(c: Started, request: FirstRequest): Promise<number> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (c.child.exitCode !== null)
      throw new Error(`exited (${c.child.exitCode}) before ${request.what}:\n${c.output()}`);
    const ready = await fetch(`${c.url}/readyz`).catch(() => undefined);
    await ready?.body?.cancel();
    if (ready?.status === 200) {
      const res = await request.send(c.url, "bench-image").catch(() => undefined);
      await res?.body?.cancel();
      if (res?.status === request.expect) return performance.now();
    }
    await sleep(5);
  }
  throw new Error(`no ${request.expect} to ${request.what} within 60 s:\n${c.output()}`);
}
