// Runs inside the image build (Dockerfile, stage report-files), on the files the image will hold:
//   node report.mjs --image NAME --app DIR --rootfs DIR [--rootfs DIR...] --out DIR
// writes DIR/floor.json (bytes of the files the function needs: the node binary, the shared
// libraries, the CA bundle and the bundle folder) and DIR/sbom.cdx.json (CycloneDX 1.5).
// Written here rather than by Syft or @cyclonedx/cyclonedx-npm because neither can see what this
// image holds: esbuild inlined the npm packages (no package.json of theirs is left to scan; the
// bundle's source map names each file it took from node_modules), and the distroless filesystem
// carries no dpkg database (the builder's, where the libraries came from, names their packages).
// Plain JavaScript: it runs under the bare Node of the build stage.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    image: { type: "string" },
    app: { type: "string" },
    rootfs: { type: "string", multiple: true },
    out: { type: "string" },
  },
});
if (!opt.image || !opt.app || !opt.rootfs || !opt.out)
  throw new Error("report.mjs: --image --app --rootfs --out");

/** Regular files under dir, as [path inside the image, bytes]. */
function files(dir, base = dir, acc = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, base, acc);
    else if (e.isFile()) acc.push([`/${relative(base, p)}`, lstatSync(p).size]);
  }
  return acc;
}
// Account files, not what the function needs: they name uid 1000 and the lookup order.
const ACCOUNTS = new Set(["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"]);
const system = opt.rootfs.flatMap((d) => files(d)).filter(([p]) => !ACCOUNTS.has(p));
const app = files(opt.app);
const sum = (list) => list.reduce((n, [, b]) => n + b, 0);
const isNode = (p) => p === "/usr/local/bin/node";
const isCa = (p) => p.startsWith("/etc/ssl/");
const parts = {
  node: sum(system.filter(([p]) => isNode(p))),
  libraries: sum(system.filter(([p]) => !isNode(p) && !isCa(p))),
  caCertificates: sum(system.filter(([p]) => isCa(p))),
  bundle: sum(app),
};
const floor = { image: opt.image, bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts };

// ---------------------------------------------------------------- Debian packages
// A library is registered under /lib or /usr/lib depending on the package (merged /usr): ask both.
const spellings = (p) => [
  p,
  p.replace(/^\/lib(64)?\//, "/usr/lib$1/"),
  p.replace(/^\/usr\/lib(64)?\//, "/lib$1/"),
];
const debs = new Map();
for (const [p] of system) {
  if (isNode(p)) continue;
  let owner = isCa(p) ? "ca-certificates" : undefined; // the bundle is generated, not shipped
  for (const s of spellings(p)) {
    if (owner) break;
    try {
      owner = execFileSync("dpkg", ["-S", s], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .split(":")[0]
        .trim();
    } catch {}
  }
  if (!owner) throw new Error(`report.mjs: no Debian package owns ${p}`);
  debs.set(owner, [...(debs.get(owner) ?? []), p]);
}
const debian = [...debs.keys()].sort().map((name) => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const [version, arch] = execFileSync("dpkg-query", ["-W", "-f=${Version} ${Architecture}", name], {
    encoding: "utf8",
  }).split(" ");
  return {
    type: "library",
    name,
    version,
    purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=${arch}&distro=debian-12`,
    properties: debs.get(name).map((p) => ({ name: "image:file", value: p })),
  };
});

// ---------------------------------------------------------------- npm packages
// Inlined ones: each source of the bundle's map under node_modules/<name>/ (the innermost one, for
// a nested copy); copied ones (the Kafka client and its helpers): their folders under node_modules.
const npmDirs = new Set();
const map = JSON.parse(readFileSync(join(opt.app, "index.mjs.map"), "utf8"));
for (const source of map.sources) {
  const m = resolve(opt.app, source).match(/^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (m) npmDirs.add(m[1]);
}
const copied = join(opt.app, "node_modules");
if (existsSync(copied)) {
  for (const name of readdirSync(copied)) {
    const names = name.startsWith("@") ? readdirSync(join(copied, name)).map((n) => `${name}/${n}`) : [name];
    for (const n of names) npmDirs.add(join(copied, n));
  }
}
const npm = new Map();
let librdkafka;
for (const dir of npmDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.librdkafka) librdkafka = pkg.librdkafka;
  const how = dir.startsWith(copied) ? "copied" : "bundled";
  npm.set(`${pkg.name}@${pkg.version}`, {
    type: "library",
    name: pkg.name,
    version: pkg.version,
    purl: `pkg:npm/${pkg.name.replace(/^@/, "%40")}@${pkg.version}`,
    ...(pkg.license ? { licenses: [{ license: { id: pkg.license } }] } : {}),
    properties: [{ name: "image:npm", value: how }],
  });
}

const components = [
  {
    type: "application",
    name: "node",
    version: process.versions.node,
    purl: `pkg:generic/node@${process.versions.node}`,
    properties: [{ name: "image:file", value: "/usr/local/bin/node" }],
  },
  ...(librdkafka
    ? [
        {
          type: "library",
          name: "librdkafka",
          version: librdkafka,
          purl: `pkg:generic/librdkafka@${librdkafka}`,
        },
      ]
    : []),
  ...debian,
  ...[...npm.values()].sort((a, b) => a.name.localeCompare(b.name)),
].map((c) => ({ "bom-ref": c.purl, ...c }));

const sbom = {
  bomFormat: "CycloneDX",
  specVersion: "1.5",
  serialNumber: `urn:uuid:${randomUUID()}`,
  version: 1,
  metadata: {
    timestamp: new Date().toISOString(),
    tools: { components: [{ type: "application", name: "purchases scripts/images/report.mjs" }] },
    component: { type: "container", name: opt.image, "bom-ref": opt.image },
  },
  components,
};
mkdirSync(opt.out, { recursive: true });
writeFileSync(join(opt.out, "floor.json"), `${JSON.stringify(floor, null, 2)}\n`);
writeFileSync(join(opt.out, "sbom.cdx.json"), `${JSON.stringify(sbom, null, 2)}\n`);
console.log(`${opt.image}: floor ${floor.bytes} bytes, ${debian.length} Debian and ${npm.size} npm packages`);
