// Every function's image, run the way a Knative revision runs it (harness/containers.ts): it
// becomes ready, answers each probe its manifest declares, runs as uid 1000 on a read-only root
// filesystem, and the Kafka client's native addon loads in the images that ship it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { KAFKA_PACKAGE } from "../../build/bundle.ts";
import { engine, imageOf } from "../../harness/containers.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline } from "../../harness/names.ts";
import { type Component, waitReady } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";
import { ensureTopics, startFunction } from "../../harness/system.ts";

const FUNCTIONS = ["buy", "customer-management", "items", "purchase-persist", "user-purchases", "web"];
interface Probe {
  httpGet: { path: string; port: number };
}
const manifest = (fn: string) => {
  const svc = parse(readFileSync(join(ROOT, `knative/base/services/${fn}.yaml`), "utf8"));
  const container = svc.spec.template.spec.containers[0];
  return {
    containerPort: container.ports[0].containerPort as number,
    probes: {
      readinessProbe: container.readinessProbe as Probe,
      livenessProbe: container.livenessProbe as Probe,
    },
  };
};

let db: Awaited<ReturnType<typeof freshDatabase>>;
const running = new Map<string, Component>();

before(async () => {
  db = await freshDatabase("images");
  const env = { ...isolatedPipeline("images").env, MONGODB_URI: db.uri, LOG_LEVEL: "warn" };
  await ensureTopics(env);
  for (const fn of FUNCTIONS) {
    const c = await startFunction({ name: fn, runtime: "container", env });
    running.set(fn, c);
  }
  await Promise.all([...running.values()].map((c) => waitReady(c)));
});
after(async () => {
  for (const c of running.values()) await c.stop();
  await db.client.db().dropDatabase();
  await db.client.close();
});

const exec = (fn: string, ...cmd: string[]) =>
  spawnSync(engine(), ["exec", running.get(fn)?.container ?? "", ...cmd], { encoding: "utf8" });

describe("function images, run as Knative runs them", () => {
  for (const fn of FUNCTIONS) {
    test(`When ${fn}'s image runs, then every probe its manifest declares answers 200 on the container port`, async () => {
      const { containerPort, probes } = manifest(fn);
      const c = running.get(fn) as Component;
      for (const [kind, probe] of Object.entries(probes)) {
        // Knative sets PORT to the containerPort and probes that port; here PORT is a host port.
        assert.equal(probe.httpGet.port, containerPort, `${fn} ${kind} probes another port`);
        const res = await fetch(`${c.url}${probe.httpGet.path}`);
        assert.equal(res.status, 200, `${fn} ${kind} ${probe.httpGet.path}: ${await res.text()}`);
      }
    });

    test(`When ${fn}'s image runs, then it runs as uid 1000 and cannot write its root filesystem`, () => {
      const id = exec(fn, "id", "-u");
      assert.equal(id.stdout.trim(), "1000", id.stderr);
      for (const dir of ["/app", "/tmp"]) {
        const write = exec(fn, "sh", "-c", `echo x > ${dir}/probe-write`);
        assert.notEqual(write.status, 0, `${fn} could write ${dir}`);
        assert.match(write.stderr, /Read-only file system/);
      }
    });
  }

  for (const fn of ["buy", "customer-management"]) {
    test(`When the ${fn} image starts node, then the Kafka client's native addon loads`, () => {
      const r = spawnSync(
        engine(),
        [
          "run",
          "--rm",
          "--read-only",
          "--user",
          "1000:1000",
          "--cap-drop",
          "ALL",
          imageOf(fn),
          "node",
          "-e",
          `const k = require(${JSON.stringify(KAFKA_PACKAGE)}); console.log(k.librdkafkaVersion)`,
        ],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
    });
  }
});
