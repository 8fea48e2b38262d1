// Before/after of the dispatcher's per-event path in one process: mapping.ts -> binding.ts ->
// delivery.ts (deliver) from a git ref and from this tree, in alternating rounds at 50 in flight
// against one bare node:http server in a child process; CPU µs per delivered event of this process
// (the dispatcher's side only), median of the rounds. The bench's purchases as plain JSON records,
// as the persist figure sends them.
//   node scripts/bench/ab-delivery.ts [--ref main] [--rounds 10] [--events 10000]
import { fork, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../../harness/root.ts";
import { seedRecord } from "./records.ts";

type Deliver = typeof import("../../kafka-source/dispatcher/delivery.ts").deliver;
type ToCloudEvent = typeof import("../../kafka-source/dispatcher/mapping.ts").toCloudEvent;

if (process.argv[2] === "--serve") {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"stored"}'),
    );
  });
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port));
} else {
  const { values } = parseArgs({
    options: {
      ref: { type: "string", default: "main" },
      rounds: { type: "string", default: "10" },
      events: { type: "string", default: "10000" },
    },
  });
  const work = mkdtempSync(join(tmpdir(), "bench-ab-delivery-"));
  const child = fork(new URL(import.meta.url).pathname, ["--serve"], { execArgv: [] });
  try {
    const archive = spawnSync("sh", [
      "-c",
      `git -C "${ROOT}" archive "${values.ref}" kafka-source | tar -x -C "${work}"`,
    ]);
    if (archive.status !== 0) throw new Error(`git archive ${values.ref} failed: ${archive.stderr}`);
    symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"));
    symlinkSync(join(ROOT, "functions"), join(work, "functions"));
    const load = async (root: string) => ({
      deliver: (await import(join(root, "kafka-source/dispatcher/delivery.ts"))).deliver as Deliver,
      toCloudEvent: (await import(join(root, "kafka-source/dispatcher/mapping.ts")))
        .toCloudEvent as ToCloudEvent,
    });
    const sides = { before: await load(work), after: await load(ROOT) };
    const port: number = await new Promise((r) => child.once("message", (m) => r(m as number)));
    const sink = {
      url: `http://127.0.0.1:${port}/`,
      retry: 3,
      backoffPolicy: "exponential" as const,
      backoffDelayMs: 100,
      timeoutMs: 10_000,
      namespace: "default",
    };
    const cancel = new AbortController().signal;
    let offset = 0;
    const run = async (side: keyof typeof sides, n: number) => {
      const { deliver, toCloudEvent } = sides[side];
      let i = 0;
      const worker = async () => {
        while (i++ < n) {
          const o = offset++;
          const r = seedRecord(o, 10_000);
          const record = {
            topic: "bench-ab",
            partition: o % 3,
            offset: o,
            timestamp: Date.parse(r.timestamp),
            key: Buffer.from(r.user_id),
            value: Buffer.from(JSON.stringify(r)),
            headers: [],
          };
          const outcome = await deliver(
            toCloudEvent(record, { namespace: "default", name: "src" }),
            sink,
            cancel,
          );
          if (outcome.kind !== "delivered") throw new Error(`not delivered: ${JSON.stringify(outcome)}`);
        }
      };
      const cpu = process.cpuUsage();
      await Promise.all(Array.from({ length: 50 }, worker));
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / n;
    };
    const events = Number(values.events);
    await run("before", events / 2);
    await run("after", events / 2);
    const us = { before: [] as number[], after: [] as number[] };
    for (let k = 0; k < Number(values.rounds); k++) {
      for (const side of k % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
        us[side].push(await run(side, events));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const loadavg = spawnSync("cat", ["/proc/loadavg"]).stdout.toString().split(" ").slice(0, 3).join(" ");
    for (const side of ["before", "after"] as const) {
      console.log(
        `dispatcher path ${side.padEnd(6)} (${side === "before" ? values.ref : "this tree"}): median ${median(us[side]).toFixed(1)} µs CPU per event ` +
          `(min ${Math.min(...us[side]).toFixed(1)}, max ${Math.max(...us[side]).toFixed(1)})`,
      );
    }
    console.log(`after/before ${(median(us.after) / median(us.before)).toFixed(2)}x (load ${loadavg})`);
  } finally {
    child.kill();
    rmSync(work, { recursive: true, force: true });
  }
}
