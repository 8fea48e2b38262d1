// The Dockerfile, read as text: its stages and settings, and runtime libraries that match what the
// Kafka addon really links (ldd). test/images/ builds and runs the images themselves.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { KAFKA_PACKAGE } from "../../build/bundle.ts";
import { ROOT } from "../../harness/root.ts";

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
// Continuation lines joined, comments dropped: one instruction per line.
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([line]);
  else acc.at(-1)?.push(line);
  return acc;
}, []);
const [build, runtime] = stages;
const argDefault = (name: string) =>
  instructions.find((l) => l.startsWith(`ARG ${name}=`))?.slice(`ARG ${name}=`.length);

/** Packages a RUN line installs with apt-get install. */
const aptPackages = (lines: string[]) =>
  lines
    .filter((l) => l.startsWith("RUN "))
    .flatMap((l) => [...l.matchAll(/apt-get install ([^&;]+)/g)])
    .flatMap((m) => (m[1] ?? "").split(/\s+/).filter((w) => w && !w.startsWith("-")));

const BASE_IMAGE_PACKAGES = new Set(["libc6", "libstdc++6", "libgcc-s1"]);

describe("container image (Dockerfile)", () => {
  test("When the image is built, then both stages start from the Node of .node-version, which the tests run too", () => {
    const version = readFileSync(join(ROOT, ".node-version"), "utf8").trim();
    assert.equal(stages.length, 2);
    assert.equal(argDefault("NODE_IMAGE"), `node:${version}-bookworm-slim`);
    assert.equal(
      process.versions.node.split(".")[0],
      version.split(".")[0],
      "the tests run another Node major",
    );
    for (const stage of stages) assert.match(stage[0] ?? "", /^FROM \$\{NODE_IMAGE\}( AS \w+)?$/);
  });

  test("When the builder runs, then it builds the Kafka client against system libraries and bundles one function", () => {
    const text = (build ?? []).join("\n");
    for (const pkg of [
      "zlib1g-dev",
      "libssl-dev",
      "libzstd-dev",
      "liblz4-dev",
      "libsasl2-dev",
      "python3",
      "make",
      "g++",
    ]) {
      assert.ok(aptPackages(build ?? []).includes(pkg), `builder lacks ${pkg}`);
    }
    assert.match(text, /CKJS_LINKING=dynamic .*npm ci/);
    assert.match(text, /ARG FUNCTION/);
    assert.match(text, /RUN node scripts\/bundle\.ts --only "\$FUNCTION"/);
    for (const path of [
      "package.json",
      "package-lock.json",
      "scripts/postinstall.mjs",
      "scripts/bundle.ts",
      "build/bundle.ts",
      "harness/root.ts",
      "functions",
      "web",
    ]) {
      assert.ok(existsSync(join(ROOT, path)), `the build copies ${path}, which does not exist`);
    }
  });

  test("When the image runs, then it is the bundle alone, as the node user, with node index.mjs", () => {
    const text = (runtime ?? []).join("\n");
    assert.match(text, /COPY --from=build \/src\/dist\/\$\{FUNCTION\} \/app/);
    assert.ok(!/COPY (?!--from)/.test(text), "the runtime stage copies only the bundle");
    assert.match(text, /^USER node$/m);
    assert.match(text, /^CMD \["node", ?"index\.mjs"\]$/m);
    assert.ok(!/ENV[^\n]*\bPORT=/.test(text), "Knative sets PORT");
    for (const dev of aptPackages(runtime ?? [])) assert.ok(!dev.endsWith("-dev"), `runtime installs ${dev}`);
  });

  test("When the Kafka addon is linked (ldd), then the runtime stage installs the package of every library", (t) => {
    const addonDir = join(ROOT, "node_modules", KAFKA_PACKAGE, "build", "Release");
    const addon = existsSync(addonDir) && readdirSync(addonDir).find((f) => f.endsWith(".node"));
    if (
      !addon ||
      spawnSync("ldd", ["--version"]).status !== 0 ||
      spawnSync("dpkg", ["--version"]).status !== 0
    ) {
      t.skip("needs the built addon, ldd and dpkg");
      return;
    }
    const ldd = spawnSync("ldd", [join(addonDir, addon)], { encoding: "utf8" }).stdout;
    const libs = [...ldd.matchAll(/^\s*\S+ => (\/\S+)/gm)]
      .map((m) => m[1] as string)
      .filter((path) => !path.includes(`${KAFKA_PACKAGE}/build/`)); // shipped in the bundle
    assert.ok(libs.length > 0, ldd);
    // One dpkg query for all of them (each call scans the whole database); merged-/usr systems
    // register a library under /usr/lib or /lib, so both spellings are asked for.
    const variants = (lib: string) => [
      lib,
      lib.replace(/^\/lib\//, "/usr/lib/"),
      lib.replace(/^\/usr\/lib\//, "/lib/"),
    ];
    const owners = new Map<string, string>();
    const query = spawnSync("dpkg", ["-S", ...new Set(libs.flatMap(variants))], { encoding: "utf8" }).stdout;
    for (const line of query.split("\n")) {
      const m = line.match(/^([^:,\s]+)(?::\S+)?: (\/\S+)$/);
      if (m) owners.set(m[2] as string, m[1] as string);
    }
    const packages = new Set<string>();
    for (const lib of libs) {
      const owner = variants(lib)
        .map((v) => owners.get(v))
        .find(Boolean);
      assert.ok(owner, `no Debian package owns ${lib}`);
      if (!BASE_IMAGE_PACKAGES.has(owner)) packages.add(owner);
    }
    const installed = new Set(aptPackages(runtime ?? []));
    for (const pkg of packages) assert.ok(installed.has(pkg), `the runtime stage lacks ${pkg}`);
    assert.deepEqual(
      [...installed].sort(),
      [...packages].sort(),
      "the runtime stage installs only what the addon links",
    );
  });

  test("When the build context is sent, then node_modules, dist and local state stay out of it", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const pattern of ["**/node_modules", "dist", ".local", ".git"])
      assert.ok(ignore.includes(pattern), pattern);
  });
});
