// What each container image runs: the folder scripts/bundle.ts makes for a function, copied alone
// to an empty directory (no repository node_modules to fall back on), started with
// `node index.mjs` as the Dockerfile's CMD does, probed, and stopped with SIGTERM as Knative does.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { cp, lstat, mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { bundleFunction, KAFKA_PACKAGE } from "../../build/bundle.ts";
import { databaseUri } from "../../harness/databases.ts";
import { unique } from "../../harness/names.ts";
import { freePort } from "../../harness/ports.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { testConfig } from "../../harness/stack.ts";
import { waitFor } from "../../harness/wait.ts";

const config = testConfig();
let outRoot: string;

before(async () => {
  outRoot = await mkdtemp(join(tmpdir(), "purchases-dist-"));
});
after(async () => {
  await rm(outRoot, { recursive: true, force: true });
});

async function files(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(full, base)));
    else out.push(full.slice(base.length + 1));
  }
  return out;
}

async function get(url: string) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

/** Functions that use the Kafka client: their server.ts builds clients from shared/kafka.ts. */
const usesKafka = (name: string) =>
  readFileSync(join(ROOT, "functions", name, "server.ts"), "utf8").includes("shared/kafka.ts");

/** What a function's readiness waits for (functions/shared/server.ts: ready means able to serve). */
const WAITS_FOR: Record<string, string> = {
  buy: "Kafka producer",
  "purchase-persist": "database (its indexes)",
  "customer-management": "database",
};

for (const name of listFunctions()) {
  describe(`bundle ${name}`, () => {
    let dir: string;

    before(async () => {
      const bundled = await bundleFunction(name, outRoot);
      assert.equal(
        bundled.externals.includes(KAFKA_PACKAGE),
        usesKafka(name),
        "Kafka client shipped iff used",
      );
      dir = await mkdtemp(join(tmpdir(), `purchases-${name}-`));
      // verbatimSymlinks: copy library symlinks as they are (relative), like docker COPY.
      await cp(bundled.dir, dir, { recursive: true, verbatimSymlinks: true });
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test("When the bundle folder is copied alone, then it holds index.mjs and no link out of itself", async () => {
      const list = await files(dir);
      assert.ok(list.includes("index.mjs") && list.includes("index.mjs.map"), list.join(", "));
      for (const f of list) {
        const full = join(dir, f);
        if (!(await lstat(full)).isSymbolicLink()) continue;
        const target = resolve(dirname(full), await readlink(full));
        assert.ok(target.startsWith(`${dir}/`), `${f} -> ${target} leaves the folder`);
      }
      const kafka = list.filter((f) => f.startsWith(`node_modules/${KAFKA_PACKAGE}/`));
      if (kafka.length > 0) {
        assert.ok(
          kafka.some((f) => f.endsWith(".node")),
          "the Kafka client's addon is missing",
        );
        assert.ok(!kafka.some((f) => f.endsWith(".a") || f.startsWith(`node_modules/${KAFKA_PACKAGE}/src/`)));
      } else {
        assert.ok(!list.some((f) => f.startsWith("node_modules/")), "node_modules without the Kafka client");
      }
    });

    test("When node index.mjs starts, then /livez and /readyz answer 200, and SIGTERM exits 0", async () => {
      const proc = await startAndProbe(name, dir, {
        KAFKA_BOOTSTRAP_SERVERS: config.KAFKA_BOOTSTRAP_SERVERS.join(","),
        MONGODB_URI: databaseUri(unique("deploy-bundle")),
      });
      assert.deepEqual(await proc.stop(), { code: 0, signal: null }, proc.output());
    });

    describe("When Kafka and MongoDB do not answer", () => {
      let proc: Started | undefined;
      after(() => proc?.kill());

      const waits = WAITS_FOR[name];
      test(
        waits
          ? `then it still starts and is live, and /readyz is 503 while its ${waits} does not answer`
          : "then it still starts, and is live and ready (it needs neither)",
        async () => {
          const dead = await freePort();
          proc = await startAndProbe(
            name,
            dir,
            {
              KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${dead}`,
              MONGODB_URI: `mongodb://127.0.0.1:${dead}/${unique("deploy-bundle")}`,
            },
            waits ? 503 : 200,
          );
        },
      );

      // A pending librdkafka connect() would hold the process at exit for up to 30 s; the
      // functions only connect once a broker accepts TCP (connectInBackground), so this holds.
      test("then SIGTERM still exits 0 within 8 s", async () => {
        assert.ok(proc, "not started");
        assert.deepEqual(await proc.stop(), { code: 0, signal: null }, proc.output());
      });
    });
  });
}

interface Started {
  output: () => string;
  /** SIGTERM as Knative sends it: how the process ended, or a rejection after 8 s (its own limit: 5 s). */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: () => void;
}

/** Starts the bundle as the container does and waits for its probes (readiness: `ready`) and /metrics. */
async function startAndProbe(
  name: string,
  dir: string,
  deps: Record<string, string>,
  ready: 200 | 503 = 200,
): Promise<Started> {
  const port = await freePort();
  // A clean environment, as in the container: nothing from this test process leaks in.
  const child = spawn(process.execPath, ["index.mjs"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: String(port),
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: "5000",
      KAFKA_TIMEOUT_MS: "2000",
      MONGODB_TIMEOUT_MS: "1000",
      K_SERVICE: name,
      K_REVISION: `${name}-00001`,
      ...deps,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${name} /livez`, async () => (await get(`${base}/livez`)) === 200, { timeoutMs: 20_000 });
    if (ready === 200)
      await waitFor(`${name} /readyz`, async () => (await get(`${base}/readyz`)) === 200, {
        timeoutMs: 20_000,
      });
    else assert.equal(await get(`${base}/readyz`), 503, "ready while its dependency does not answer");
    assert.equal(await get(`${base}/metrics`), 200);
  } catch (err) {
    kill();
    throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${output}`);
  }
  return {
    output: () => output,
    kill,
    stop: async () => {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} still runs 8 s after SIGTERM:\n${output}`)), 8000);
      });
      try {
        const [code, signal] = await Promise.race([exited, late]);
        return { code, signal };
      } finally {
        clearTimeout(timer);
        kill();
      }
    },
  };
}
