// The floors of figure 1, in the same run and load shape as the pipeline: the least CPU
// per event a KafkaSource sink (a bare node:http handler) and a KafkaSource client (a bare loop
// posting the dispatcher's requests on its agent settings, at its concurrency) can spend.
// Each runs in its own process; the client meters its own CPU and the server's (GET /cpu) over the
// measured requests only, after a warm-up.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { spawnComponent } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";
import { stop, trackChild } from "./procs.ts";
import type { BenchContext } from "./types.ts";

export interface Floors {
  requests: number;
  concurrency: number;
  failed: number;
  /** Requests/s of the bare client against the bare server (both on this machine). */
  rate: number;
  /** CPU ms per request of the bare client loop. */
  clientCpuMs: number;
  /** CPU ms per request of the bare handler. */
  serverCpuMs: number;
  headerBytes: number;
  bodyBytes: number;
}

export async function measureFloors(ctx: BenchContext): Promise<Floors> {
  const requests = ctx.quick ? 3_000 : 30_000;
  const warm = ctx.quick ? 1_000 : 5_000;
  const server = await spawnComponent({ name: "floor-server", entry: "scripts/bench/floor-server.ts" });
  trackChild(server.child);
  try {
    const client = spawn(
      process.execPath,
      ["scripts/bench/floor-client.ts", server.url, String(requests), String(warm)],
      { cwd: ROOT, env: { ...process.env, ...ctx.overrides }, stdio: ["ignore", "pipe", "pipe"] },
    );
    trackChild(client);
    let out = "";
    client.stdout.on("data", (d) => (out += d));
    client.stderr.on("data", (d) => (out += d));
    const [code] = await once(client, "exit");
    const line = out.split("\n").find((l) => l.startsWith('{"requests"'));
    if (code !== 0 || !line) throw new Error(`the floor client failed (exit ${code}):\n${out.slice(-2000)}`);
    const floors = JSON.parse(line) as Floors;
    ctx.say(
      `floors: bare client -> bare handler ${floors.rate} req/s at ${floors.concurrency} in flight; CPU ms/request ` +
        `handler ${floors.serverCpuMs}, client ${floors.clientCpuMs} (${floors.headerBytes} B of headers, ${floors.bodyBytes} B body)`,
    );
    return floors;
  } finally {
    await stop(server);
  }
}
