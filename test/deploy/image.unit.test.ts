// The Dockerfile, read as text: its stages and settings. test/images/ builds and runs the images
// themselves (what they hold, file by file; their SBOMs; the registry).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
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
const named = (name: string) =>
  stages.find((st) => new RegExp(`^FROM \\S+ AS ${name}$`, "i").test(st[0] ?? ""));
const build = named("build");
const nodeFiles = named("node-files");
const runtimeBase = named("runtime-base");
// The image's own stage, and the final one (the default target), which adds the check's dependency.
const runtime = named("image");
const final = stages.at(-1);
const argDefault = (name: string) =>
  instructions.find((l) => l.startsWith(`ARG ${name}=`))?.slice(`ARG ${name}=`.length);

/** Packages a RUN line installs with apt-get install. */
const aptPackages = (lines: string[]) =>
  lines
    .filter((l) => l.startsWith("RUN "))
    .flatMap((l) => [...l.matchAll(/apt-get install ([^&;]+)/g)])
    .flatMap((m) => (m[1] ?? "").split(/\s+/).filter((w) => w && !w.startsWith("-")));

describe("container image (Dockerfile)", () => {
  test("When the image is built, then its files come from the Node of .node-version, which the tests run too", () => {
    const version = readFileSync(join(ROOT, ".node-version"), "utf8").trim();
    assert.equal(argDefault("NODE_IMAGE"), `node:${version}-bookworm-slim`);
    assert.equal(
      process.versions.node.split(".")[0],
      version.split(".")[0],
      "the tests run another Node major",
    );
    assert.match(build?.[0] ?? "", /^FROM \$\{NODE_IMAGE\} AS build$/);
    assert.match(nodeFiles?.[0] ?? "", /^FROM \$\{NODE_IMAGE\} AS node-files$/);
    assert.equal(runtimeBase?.[0], "FROM scratch AS runtime-base");
    assert.equal(runtime?.[0], "FROM runtime-base AS image");
    assert.deepEqual(final, ["FROM image", "COPY --from=check /etc/group /etc/group"]);
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

  test("When the image runs, then it is node, its libraries and the bundle, as uid 1000, with node index.mjs", () => {
    const base = (runtimeBase ?? []).join("\n");
    assert.match(base, /^COPY --from=node-files \/rootfs \/$/m);
    assert.match(base, /^USER 1000:1000$/m);
    assert.match(base, /^ENV NODE_ENV=production$/m);
    const text = (runtime ?? []).join("\n");
    assert.match(text, /COPY --from=addon-files \/src\/dist\/\$\{FUNCTION\} \/app/);
    assert.match(text, /COPY --from=addon-files \/addon-rootfs \//);
    assert.ok(!/COPY (?!--from)/.test(text), "the runtime stage copies only from the build's stages");
    assert.match(text, /^CMD \["node", ?"index\.mjs"\]$/m);
    assert.ok(!/ENV[^\n]*\bPORT=/.test(text), "Knative sets PORT");
    assert.deepEqual(
      aptPackages([...(runtimeBase ?? []), ...(runtime ?? [])]),
      [],
      "no package manager at run time",
    );
  });

  test("When the Kafka addon cannot load in the image's own filesystem, then the build fails (not the first pod)", () => {
    // Exec form: the image has no shell. The addon's libraries come from ldd (copy-with-libs.sh).
    assert.equal(named("check")?.[0], "FROM image AS check");
    const check = (named("check") ?? []).find((l) => l.startsWith("RUN ["));
    assert.ok(check, "the check stage has no exec-form RUN");
    assert.ok(
      !(runtime ?? []).some((l) => l.startsWith("RUN ")),
      "a RUN in the image leaves build mounts behind",
    );
    assert.match(check, /^RUN \["node", "-e", ".*require\(p\)/);
    assert.match(check, /@confluentinc\/kafka-javascript/);
    assert.match(
      (named("addon-files") ?? []).join("\n"),
      /copy-with-libs \/addon-rootfs --skip \/node-rootfs/,
    );
    assert.match((nodeFiles ?? []).join("\n"), /copy-with-libs \/rootfs \/usr\/local\/bin\/node/);
  });

  test("When the build context is sent, then node_modules, dist and local state stay out of it", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const pattern of ["**/node_modules", "dist", ".local", ".git"])
      assert.ok(ignore.includes(pattern), pattern);
  });
});
