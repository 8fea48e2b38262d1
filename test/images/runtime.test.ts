// Every function's image, run the way a Knative revision runs it (harness/containers.ts): it
// becomes ready, answers each probe its manifest declares, runs as uid 1000 on a read-only root
// filesystem, holds nothing but node, its libraries, the CA bundle and the bundle (no shell, no
// npm, no package manager), and the Kafka client's native addon loads in the images that ship it.
// The images have no shell: what runs inside them is node -e.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { KAFKA_PACKAGE } from "../../build/bundle.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
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
  // Tokens verified against this process's test issuer on 127.0.0.1: the containers share the
  // host's network (harness/containers.ts), so they fetch its keys as a pod fetches Keycloak's.
  const env = {
    ...isolatedPipeline("images").env,
    ...(await testAuth()).env,
    MONGODB_URI: db.uri,
    LOG_LEVEL: "warn",
  };
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
const nodeIn = (fn: string, script: string) => exec(fn, "node", "-e", script);

// Every regular file of the running container but the kernel's and the engine's mounts.
const LIST_FILES = `const fs = require("node:fs"), path = require("node:path"), out = [];
const skip = new Set(["/proc", "/sys", "/dev", "/run", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab"]);
(function walk(d) { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
  const p = path.join(d, e.name); if (skip.has(p)) continue;
  if (e.isDirectory()) walk(p); else out.push(p); } })("/");
console.log(JSON.stringify(out));`;
/** What an image may hold: node, shared libraries, the loader, the CA bundle, accounts, the app. */
const ALLOWED = [
  /^\/usr\/local\/bin\/node$/,
  /^\/(usr\/)?lib(64)?\/(x86_64-linux-gnu\/|aarch64-linux-gnu\/)?[^/]+\.so[.\d]*$/,
  /^\/etc\/(passwd|group|nsswitch\.conf|ssl\/certs\/ca-certificates\.crt)$/,
  /^\/app\//,
];

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

    test(`When ${fn}'s image runs, then it runs as uid 1000 with NODE_ENV=production and cannot write its root filesystem`, () => {
      const id = nodeIn(fn, "console.log(process.getuid(), process.getgid(), process.env.NODE_ENV)");
      assert.equal(id.stdout.trim(), "1000 1000 production", id.stderr);
      for (const dir of ["/app", "/"]) {
        const write = nodeIn(
          fn,
          `try { require("fs").writeFileSync("${dir}/probe-write", "x"); console.log("written") } catch (e) { console.log(e.code) }`,
        );
        assert.equal(write.stdout.trim(), "EROFS", `${fn} writing ${dir}: ${write.stdout}${write.stderr}`);
      }
    });

    test(`When ${fn}'s image is listed, then it holds node, its libraries, the CA bundle and the bundle, and no shell, npm or package manager`, () => {
      const r = nodeIn(fn, LIST_FILES);
      assert.equal(r.status, 0, r.stderr);
      const files: string[] = JSON.parse(r.stdout);
      const extra = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
      assert.deepEqual(extra, [], `${fn} holds more than it runs`);
      for (const absent of ["/bin/sh", "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/local/bin/npm"])
        assert.ok(!files.includes(absent), `${fn} has ${absent}`);
      assert.ok(!files.some((f) => f.startsWith("/usr/local/include/")), `${fn} has Node's headers`);
      assert.ok(files.includes("/etc/ssl/certs/ca-certificates.crt"), `${fn} has no CA bundle`);
      const sh = exec(fn, "sh", "-c", "true");
      assert.notEqual(sh.status, 0, `${fn} has a shell`);
    });
  }

  test("When buy's and customer-management's images run with tokens verified, then no token is 401 and a shopper's token is served", async () => {
    const auth = await testAuth();
    const user = `images-${process.pid}`;
    const buy = running.get("buy") as Component;
    const post = (headers: Record<string, string>) =>
      fetch(`${buy.url}/buy`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: "{}",
      });
    const refused = await post({});
    assert.equal(refused.status, 401, await refused.text());
    assert.equal(refused.headers.get("www-authenticate"), 'Bearer realm="purchases"');
    const bought = await post(await auth.headers(user));
    assert.equal(bought.status, 202, await bought.text());
    const management = running.get("customer-management") as Component;
    const history = await fetch(`${management.url}/purchases/me`, { headers: await auth.headers(user) });
    assert.equal(history.status, 200, await history.text());
    const other = await fetch(`${management.url}/purchases/someone-else`, {
      headers: await auth.headers(user),
    });
    assert.equal(other.status, 403);
  });

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
          "--network",
          "host",
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
