// The gateway's cold start under a burst: a fresh buy, a fresh gateway, and at
// once `--rate` POST /buy per second for `--seconds`, open loop; then the same straight to a fresh
// buy. Prints p50 / p99 / max latency per second of the burst for both, the most connections open
// to buy at once (sampled from /proc/net/tcp, so Linux only) and the gateway's CPU time.
//
//   node scripts/bench/gateway-cold.ts [--rate 900] [--seconds 5]
//        [--gateway-entry harness/gateway.ts]   (another entry to compare, e.g. an old copy)
//
// Needs the local stack (KAFKA_BOOTSTRAP_SERVERS); uses a topic of its own.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { testAuth } from "../../harness/auth-fixture.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { type Component, spawnComponent } from "../../harness/process.ts";
import { ensureTopics } from "../../harness/system.ts";
import { call, cpuSeconds, pacedLoad } from "./http.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "900" },
    seconds: { type: "string", default: "5" },
    "gateway-entry": { type: "string", default: "harness/gateway.ts" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
// Tokens verified against a test issuer; the burst's shopper "cold" signs once, before it.
const auth = await testAuth();
const env = { ...isolatedPipeline("cold").env, ...auth.env, LOG_LEVEL: "warn" };
const shopper = await auth.headers("cold");
await ensureTopics(env);

const q = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/** Established TCP connections to 127.0.0.1:`port` (the client side of each, as the kernel lists them). */
function connectionsTo(port: number) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .filter((l) => {
      const [, , remote, state] = l.trim().split(/\s+/);
      return remote?.endsWith(hex) && state === "01";
    }).length;
}

async function burst(url: string) {
  const bySecond: number[][] = Array.from({ length: seconds }, () => []);
  const statuses = new Map<number, number>();
  const body = JSON.stringify({ username: "cold", user_id: "cold" });
  await pacedLoad(rate, seconds, async (i, due) => {
    const res = await call(`${url}/buy`, "POST", body, { ...shopper, "idempotency-key": unique("k") }).catch(
      () => undefined,
    );
    const status = res?.status ?? 0;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    bySecond[Math.min(seconds - 1, Math.floor(i / rate))]?.push(performance.now() - due);
  });
  return { bySecond: bySecond.map((l) => l.sort((a, b) => a - b)), statuses: Object.fromEntries(statuses) };
}

async function measure(label: string, viaGateway: boolean) {
  const procs: Component[] = [];
  try {
    // Listening, not yet ready: the burst starts while buy is still connecting, from cold.
    const buy = await spawnComponent({
      name: "buy",
      entry: "functions/buy/server.ts",
      env,
      until: "listening",
    });
    procs.push(buy);
    let url = buy.url;
    if (viaGateway) {
      const routes = JSON.stringify({ buy: buy.url, items: buy.url, userPurchases: buy.url });
      // Ready once its connections to buy are open (harness/gateway.ts warm).
      const gateway = await spawnComponent({
        name: "gateway",
        entry: values["gateway-entry"] ?? "",
        env: { GATEWAY_ROUTES: routes },
      });
      procs.push(gateway);
      url = gateway.url;
    }
    let maxConnections = 0;
    const sampler = setInterval(() => {
      maxConnections = Math.max(maxConnections, connectionsTo(buy.port));
    }, 100);
    const cpu0 = cpuSeconds(procs[1]?.child.pid);
    const { bySecond, statuses } = await burst(url);
    clearInterval(sampler);
    const cpu = viaGateway ? `, gateway CPU ${(cpuSeconds(procs[1]?.child.pid) - cpu0).toFixed(1)} s` : "";
    console.log(
      `${label}: answers ${JSON.stringify(statuses)}, at most ${maxConnections} connections to buy${cpu}`,
    );
    bySecond.forEach((l, s) => {
      const f = (ms: number) => `${ms.toFixed(0)} ms`;
      console.log(`  second ${s + 1}: p50 ${f(q(l, 0.5))}, p99 ${f(q(l, 0.99))}, max ${f(l.at(-1) ?? 0)}`);
    });
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

console.log(`burst of ${rate} POST /buy per second for ${seconds} s, from cold`);
await measure(`through the gateway (${values["gateway-entry"]})`, true);
await measure("straight to buy", false);
process.exit(0);
