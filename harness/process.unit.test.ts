// The harness's start-up signal: a child is started when it reports its port over IPC and ready
// when its /readyz answers 200, never when a log line matches.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { spawnComponent } from "./process.ts";

// A server whose /readyz answers 503 to its first three probes, then 200; /probes counts them. It
// prints a "listening" line at once, which must not count as ready.
const fixture = join(mkdtempSync(join(tmpdir(), "harness-process-")), "late-ready.mjs");
writeFileSync(
  fixture,
  `import http from "node:http";
if (process.env.CRASH === "1") {
  console.error("cannot start");
  process.exit(1);
}
let probes = 0;
const server = http.createServer((req, res) => {
  if (req.url === "/readyz") probes++;
  if (req.url === "/readyz") return res.writeHead(probes > 3 ? 200 : 503).end();
  res.end(String(probes));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(JSON.stringify({ level: "info", msg: "listening", port: server.address().port }));
  if (process.env.SEND_PORT === "1") process.send({ type: "listening", port: server.address().port });
});
process.once("SIGTERM", () => process.exit(0));
`,
);
const probes = async (url: string) => Number(await (await fetch(`${url}/probes`)).text());

describe("harness: starting a child process", () => {
  test("When a child reports its port while /readyz is 503, then it counts as started only once /readyz answers 200", async () => {
    const c = await spawnComponent({ name: "late-ready", entry: fixture, env: { SEND_PORT: "1" } });
    try {
      assert.equal(await probes(c.url), 4, "three 503s, then the 200 it waited for");
    } finally {
      await c.stop();
    }
  });

  test("When asked to wait only until it listens, then it resolves before the first readiness probe", async () => {
    const c = await spawnComponent({
      name: "late-ready",
      entry: fixture,
      env: { SEND_PORT: "1" },
      until: "listening",
    });
    try {
      assert.equal(await probes(c.url), 0);
    } finally {
      await c.stop();
    }
  });

  test("When a child only logs a listening line and sends no message, then it is not taken as started", async () => {
    await assert.rejects(
      spawnComponent({ name: "log-only", entry: fixture, timeoutMs: 3000 }),
      /log-only did not listen within 3000 ms:\n\{"level":"info","msg":"listening"/,
    );
  });

  test("When a child exits before it listens, then the start fails with its output", async () => {
    await assert.rejects(
      spawnComponent({ name: "broken", entry: fixture, env: { CRASH: "1" } }),
      /broken exited \(1\) before it listened:\ncannot start/,
    );
  });
});
