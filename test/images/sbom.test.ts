// Each image's CycloneDX SBOM (.local/images/<tag>/<fn>/sbom.cdx.json, written by the build's
// report stage) against the image itself: every file of the image is accounted for by a listed
// package, every npm package the bundle inlined or ships is listed with the lockfile's version.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { engine, imageOf, runArgs } from "../../harness/containers.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";

const TAG = process.env.IMAGE_TAG ?? "local";
interface Component {
  type: string;
  name: string;
  version: string;
  purl: string;
  properties?: { name: string; value: string }[];
}
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));

/** Runs node -e in the image (no shell there); its stdout parsed as JSON. */
function inImage(fn: string, script: string) {
  const args = runArgs({ name: `purchases-sbom-${fn}-${process.pid}`, image: imageOf(fn), env: {} });
  const r = spawnSync(engine(), [...args, "node", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const FILES_AND_SOURCES = `const fs = require("node:fs"), path = require("node:path"), out = [];
const skip = new Set(["/proc", "/sys", "/dev", "/run", "/app", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab"]);
(function walk(d) { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
  const p = path.join(d, e.name); if (skip.has(p)) continue;
  if (e.isDirectory()) walk(p); else out.push(p); } })("/");
const copied = fs.existsSync("/app/node_modules") ? fs.readdirSync("/app/node_modules").flatMap((n) =>
  n.startsWith("@") ? fs.readdirSync("/app/node_modules/" + n).map((m) => n + "/" + m) : [n]) : [];
console.log(JSON.stringify({ files: out, copied,
  sources: JSON.parse(fs.readFileSync("/app/index.mjs.map", "utf8")).sources }));`;

describe("an SBOM per image (CycloneDX)", () => {
  for (const fn of listFunctions()) {
    test(`When ${fn}'s image is built, then its SBOM lists node, every Debian package its files come from and every npm package it holds, with versions`, () => {
      const sbom = JSON.parse(readFileSync(join(ROOT, ".local/images", TAG, fn, "sbom.cdx.json"), "utf8"));
      assert.equal(sbom.bomFormat, "CycloneDX");
      assert.equal(sbom.specVersion, "1.5");
      assert.equal(sbom.metadata.component.name, `purchases/${fn}`);
      const components: Component[] = sbom.components;
      for (const c of components) assert.match(c.version, /^\d/, `${c.name} has no version`);
      const node = components.find((c) => c.name === "node");
      assert.equal(node?.version, readFileSync(join(ROOT, ".node-version"), "utf8").trim());

      const { files, copied, sources } = inImage(fn, FILES_AND_SOURCES);
      // System files: each one named by a Debian component (or the node binary or account files).
      const owned = new Set(
        components.flatMap((c) =>
          (c.properties ?? []).filter((p) => p.name === "image:file").map((p) => p.value),
        ),
      );
      const accounts = ["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"];
      const unowned = (files as string[]).filter((f) => !owned.has(f) && !accounts.includes(f));
      assert.deepEqual(unowned, [], `${fn}: files no SBOM component accounts for`);
      for (const pkg of ["libc6", "libstdc++6", "ca-certificates"])
        assert.ok(
          components.some((c) => c.name === pkg && c.purl.startsWith("pkg:deb/debian/")),
          pkg,
        );

      // npm: inlined (the source map's node_modules folders) and copied next to the bundle.
      const npm = components.filter((c) => c.purl.startsWith("pkg:npm/"));
      const expected = new Set<string>(copied);
      for (const s of sources as string[]) {
        const m = s.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/);
        if (m?.[1]) expected.add(m[1]);
      }
      assert.deepEqual(
        [...new Set(npm.map((c) => c.name))].sort(),
        [...expected].sort(),
        `${fn}: npm packages`,
      );
      for (const c of npm) {
        const versions = Object.entries(lock.packages as Record<string, { version?: string }>)
          .filter(([path]) => path.endsWith(`node_modules/${c.name}`))
          .map(([, p]) => p.version);
        assert.ok(versions.includes(c.version), `${c.name}@${c.version} is not in package-lock.json`);
      }
      if (copied.includes("@confluentinc/kafka-javascript")) {
        for (const pkg of ["librdkafka", "libssl3", "libsasl2-2", "libzstd1", "liblz4-1", "zlib1g"])
          assert.ok(
            components.some((c) => c.name === pkg),
            `${fn} lists no ${pkg}`,
          );
      }
    });
  }
});
