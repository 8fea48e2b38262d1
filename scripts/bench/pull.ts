// Figure 7, the cold start a new node feels: from an empty image store (podman --root of its own,
// made per start), pull the function's image by digest from the local registry (scripts/registry.sh,
// pushed by npm run images -- --push), start it as a Knative revision runs it
// (harness/containers.ts), to its first successful real request (harness/first-request.ts, after
// /readyz passes, as in figure 6). Against the same for the floor image (purchases/node-floor: node
// and its libraries alone, the base every function image starts from) running a bare node:http
// server, round by round in turn with each function; median of 10 (2 with --quick: a pull is seconds).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { testAuth } from "../../harness/auth-fixture.ts";
import { engine, startContainer } from "../../harness/containers.ts";
import { databaseUri } from "../../harness/databases.ts";
import { FIRST_REQUESTS } from "../../harness/first-request.ts";
import { waitReady } from "../../harness/process.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { ensureTopics } from "../../harness/system.ts";
import { FLOOR, FLOOR_REQUEST, measure, type Started } from "./image.ts";
import { startFunction } from "./procs.ts";
import { median, round } from "./stats.ts";
import { type BenchContext, type FigureResult, type Row, row } from "./types.ts";

const TAG = process.env.IMAGE_TAG ?? "local";

/** `<function> <registry>/<name>@<digest>` lines that npm run images -- --push wrote. */
function pushedImages(): Map<string, string> {
  const file = join(ROOT, ".local/images", TAG, "pushed.txt");
  if (!existsSync(file)) throw new Error(`no pushed images (${file}): run npm run images -- --push first`);
  return new Map(
    readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ") as [string, string]),
  );
}

/** Pulls `ref` into a new, empty store and starts it from there; stopping also deletes the store. */
async function pullAndStart(
  workDir: string,
  ref: string,
  pulls: number[],
  opts: Omit<Parameters<typeof startContainer>[0], "engineArgs" | "image">,
): Promise<Started> {
  const store = mkdtempSync(join(workDir, "store-"));
  const engineArgs = ["--root", join(store, "root"), "--runroot", join(store, "run")];
  const clean = () => {
    spawnSync(engine(), [...engineArgs, "rmi", "-a", "-f"], { stdio: "ignore" });
    rmSync(store, { recursive: true, force: true });
  };
  const t0 = performance.now();
  const pull = spawn(engine(), [...engineArgs, "pull", "-q", "--tls-verify=false", ref], { stdio: "ignore" });
  const [code] = await once(pull, "exit");
  if (code !== 0) {
    clean();
    throw new Error(`podman pull ${ref} exited ${code}`);
  }
  pulls.push(performance.now() - t0);
  const c = await startContainer({ ...opts, image: ref, engineArgs });
  return {
    ...c,
    stop: async (signal) => {
      const exit = await c.stop(signal);
      clean();
      return exit;
    },
  };
}

export async function pullFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  if (engine() !== "podman")
    throw new Error("the pull figure needs podman (an empty image store of its own)");
  const starts = ctx.quick ? 2 : 10;
  const pushed = pushedImages();
  const floorRef = pushed.get("node-floor");
  if (!floorRef) throw new Error("node-floor was not pushed: run npm run images -- --push");
  spawnSync("bash", ["scripts/registry.sh", "start"], { cwd: ROOT, stdio: "inherit" });
  // Tokens of the bench's test issuer on 127.0.0.1 (the containers share the host's network).
  const env = {
    ...(await testAuth()).env,
    KAFKA_BOOTSTRAP_SERVERS: ctx.kafka.join(","),
    MONGODB_URI: databaseUri(`bench_${ctx.runId}_pull`, ctx.mongoUri),
    KAFKA_TOPIC: `bench-${ctx.runId}-pull`,
    LOG_LEVEL: "warn",
  };
  await ensureTopics(env);
  const upstream = await startFunction(ctx, "customer-management", env);
  await waitReady(upstream);

  const rows: Row[] = [];
  const details: Record<string, unknown> = { starts, floorRef };
  for (const fn of listFunctions()) {
    const ref = pushed.get(fn);
    const request = FIRST_REQUESTS[fn];
    if (!ref || !request) throw new Error(`${fn}: not pushed, or no first request defined`);
    const fnEnv = fn === "user-purchases" ? { ...env, CUSTOMER_MANAGEMENT_API_URL: upstream.url } : env;
    // The pull's share of each start: what the bytes cost, apart from what the function does.
    const pulls = { floor: [] as number[], image: [] as number[] };
    const m = await measure(
      {
        floor: {
          start: () =>
            pullAndStart(ctx.workDir, floorRef, pulls.floor, {
              root: ROOT,
              fn: "floor",
              bare: true,
              command: ["node", "-e", FLOOR],
            }),
          request: FLOOR_REQUEST,
        },
        image: {
          start: () => pullAndStart(ctx.workDir, ref, pulls.image, { root: ROOT, fn, env: fnEnv }),
          request,
        },
      },
      starts,
    );
    if (!m.floor || !m.image) throw new Error("a variant was not measured");
    const pullMs = { floor: round(median(pulls.floor), 1), image: round(median(pulls.image), 1) };
    details[fn] = { ref, request: request.what, floor: m.floor, image: m.image, pullMedianMs: pullMs };
    ctx.say(
      `${fn}: pull to first ${request.what} ${m.image.medianMs} ms (floor ${m.floor.medianMs} ms); ` +
        `of which the pull ${pullMs.image} ms (floor ${pullMs.floor} ms)`,
    );
    rows.push(
      row({
        figure: `pull to first ${request.what}: ${fn} (median of ${starts})`,
        unit: "ms",
        ours: m.image.medianMs,
        baseline: m.floor.medianMs,
        against: "pull and start of the floor image (bare node:http server)",
        target: { kind: "ratio-max", value: 1.3 },
      }),
    );
  }
  const notes = [
    `podman pull by digest from the local registry into an empty store, then run as a revision (read-only, uid 1000, host network) to the first successful request; floor: ${floorRef}`,
  ];
  return { rows, notes, details };
}
