// Before/after of a change, in one run: each function bundled from a git ref ("before") and from
// this tree ("after"), both started at once and driven in alternating rounds (before, after, after,
// before, ...) at the same request rate, so that the busy spells of a shared machine hit both alike.
// Reports CPU ms per request of each function's process (its median round) and its req/s.
//   node scripts/bench/ab.ts [--ref main] [--only buy,purchase-persist] [--rounds 6] [--seconds 5] [--rate 300]
//        [--traceparent]   (each POST /buy carries a caller's W3C traceparent and tracestate)
// buy produces to a fresh topic (Kafka at KAFKA_BOOTSTRAP_SERVERS); purchase-persist receives the
// requests the dispatcher sends for the bench's purchases (binding.ts), each a new purchase, into a
// database of its own per side (MongoDB at MONGODB_URI).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { shopperPool, testAuth } from "../../harness/auth-fixture.ts";
import { type Component, spawnComponent } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";
import { createTopics, deleteTopics } from "../../harness/topics.ts";
import { cpuSeconds } from "./http.ts";
import { seedDelivery } from "./records.ts";

const { values } = parseArgs({
  options: {
    ref: { type: "string", default: "main" },
    only: { type: "string", default: "buy,purchase-persist" },
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "5" },
    rate: { type: "string", default: "300" },
    traceparent: { type: "boolean", default: false },
  },
});
const names = (values.only ?? "").split(",").filter(Boolean);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
// The same request rate for both sides (open loop): CPU per request falls with the rate (timers,
// polls and other fixed costs per second are shared by more requests), so a closed loop would credit
// the faster side twice.
const rate = Number(values.rate);
const kafka = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "127.0.0.1:9092").split(",");
const mongo = process.env.MONGODB_URI ?? "mongodb://127.0.0.1:27017/purchases";
const CONNECTIONS = 50;
// Both sides verify tokens of a test issuer (a ref from before issue 25 ignores them): 100 shoppers,
// signed before the rounds, each POST /buy one of them buying as themself.
const auth = await testAuth();
const shoppers = await shopperPool("bench-u", 100);

/** Bundles `names` from `root` (its own scripts/bundle.ts) into `out`; the entry per function. */
async function bundle(root: string, out: string): Promise<Map<string, string>> {
  const child = spawn(process.execPath, ["scripts/bundle.ts", "--only", names.join(","), "--out", out], {
    cwd: root,
    stdio: "inherit",
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`bundling in ${root} failed (exit ${code})`);
  return new Map(names.map((n) => [n, join(out, n, "index.mjs")]));
}

let n = 0;
/** The request one side gets next: a new purchase each time. */
function nextRequest(fn: string): { path: string; headers: Record<string, string>; body: Buffer | string } {
  const i = n++;
  if (fn === "buy") {
    return {
      path: "/buy",
      headers: {
        "content-type": "application/json",
        ...shoppers.at(i).headers,
        ...(values.traceparent
          ? {
              traceparent: `00-4bf92f3577b34da6a3ce929d0e0e${(i % 65_536).toString(16).padStart(4, "0")}-00f067aa0ba902b7-01`,
              tracestate: "congo=t61rcWkgMzE",
            }
          : {}),
      },
      body: JSON.stringify({ username: "Bench User", user_id: shoppers.at(i).user }),
    };
  }
  const { headers, body } = seedDelivery(i, {
    topic: "bench-ab",
    source: { namespace: "default", name: "purchases-source" },
  });
  return { path: "/", headers: { ...headers, prefer: "reply", "kn-namespace": "default" }, body: body ?? "" };
}

async function round(fn: string, c: Component) {
  const pid = c.child.pid;
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({
    url: c.url,
    connections: CONNECTIONS,
    duration: seconds,
    overallRate: rate,
    requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...nextRequest(fn) }) }],
  });
  const ok = r["2xx"];
  return {
    rps: Math.round(ok / r.duration),
    cpuMs: ok > 0 ? Math.round(((cpuSeconds(pid) - cpu0) * 1e6) / ok) / 1000 : Number.NaN,
    failed: r.non2xx + r.errors + r.timeouts,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const work = mkdtempSync(join(tmpdir(), "bench-ab-"));
const before = join(work, "before");
const running: Component[] = [];
const topic = `bench-ab-${Date.now()}`;
try {
  spawnSync("mkdir", ["-p", before]);
  const archive = spawnSync("sh", ["-c", `git -C "${ROOT}" archive "${values.ref}" | tar -x -C "${before}"`]);
  if (archive.status !== 0) throw new Error(`git archive ${values.ref} failed: ${archive.stderr}`);
  symlinkSync(join(ROOT, "node_modules"), join(before, "node_modules"));
  const entries = {
    before: await bundle(before, join(work, "dist-before")),
    after: await bundle(ROOT, join(work, "dist-after")),
  };
  await createTopics([topic], { partitions: 3, brokers: kafka });
  const load = () => spawnSync("cat", ["/proc/loadavg"]).stdout.toString().split(" ").slice(0, 3).join(" ");
  console.log(
    `A/B of ${names.join(", ")}: ${values.ref} vs this tree, ${rounds} rounds of ${seconds} s at ${rate} req/s each, load ${load()}`,
  );
  for (const fn of names) {
    const sides = {} as Record<"before" | "after", Component>;
    for (const side of ["before", "after"] as const) {
      const entry = entries[side].get(fn) as string;
      const env = {
        LOG_LEVEL: "warn",
        KAFKA_BOOTSTRAP_SERVERS: kafka.join(","),
        KAFKA_TOPIC: topic,
        ...auth.env,
        MONGODB_URI: mongo.replace(/\/[^/?]*(\?|$)/, `/bench_ab_${side}$1`),
      };
      const c = await spawnComponent({ name: `${fn}-${side}`, entry, env });
      running.push(c);
      sides[side] = c;
      await round(fn, c); // warm-up: JIT, connections, batches
    }
    const results = {
      before: [] as Awaited<ReturnType<typeof round>>[],
      after: [] as Awaited<ReturnType<typeof round>>[],
    };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
      for (const side of order) results[side].push(await round(fn, sides[side]));
    }
    for (const side of ["before", "after"] as const) {
      const rs = results[side];
      console.log(
        `${fn} ${side.padEnd(6)}: CPU ms/request median ${median(rs.map((r) => r.cpuMs))} ` +
          `(rounds ${rs.map((r) => r.cpuMs).join(", ")}), req/s median ${median(rs.map((r) => r.rps))}, ` +
          `failed ${rs.reduce((a, r) => a + r.failed, 0)}`,
      );
    }
    const ratio = median(results.after.map((r) => r.cpuMs)) / median(results.before.map((r) => r.cpuMs));
    console.log(`${fn}: after/before CPU per request ${ratio.toFixed(2)}x (load ${load()})`);
    for (const c of running.splice(0)) c.child.kill("SIGTERM");
  }
} finally {
  for (const c of running) c.child.kill("SIGTERM");
  await deleteTopics([topic], kafka).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
