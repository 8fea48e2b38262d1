// Bundles every function (functions/<name>/server.ts) into dist/<name>/index.mjs, a folder that runs
// alone with `node index.mjs`: this is what each container image ships (see Dockerfile).
// The Kafka client is a native addon and cannot be bundled, so for functions that import it the
// package (JS, addon, the librdkafka shared libraries it links) and its runtime dependencies are
// copied into dist/<name>/node_modules.
//
// The web function also gets the static web/ folder beside its bundle, and vendor/ with the browser
// files it serves from node_modules (functions/web/vendor.ts). The command is scripts/bundle.ts.
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import * as esbuild from "esbuild";
import { VENDOR_FILES } from "../functions/web/vendor.ts";
import { ROOT } from "../harness/root.ts";

export const KAFKA_PACKAGE = "@confluentinc/kafka-javascript";

/**
 * Files a function reads at run time, copied next to its bundle: [source in the repo, destination
 * in dist/<name>]. The web function looks for web/ beside index.mjs (functions/web/server.ts).
 */
const ASSETS: Record<string, [string, string][]> = {
  web: [["web", "web"]],
};
// Tests and TypeScript sources in an asset folder are not served.
const isAsset = (rel: string) => !/\.test\.[cm]?[jt]s$/.test(rel) && !/\.[cm]?ts$/.test(rel);

// ESM output cannot call require(); CommonJS dependencies (mongodb, prom-client...) do, for Node
// built-ins and optional packages, so the bundle gets a real require bound to its own location.
const BANNER = `import { createRequire as __bundleCreateRequire } from "node:module";
const require = __bundleCreateRequire(import.meta.url);`;

export interface BundleResult {
  name: string;
  dir: string;
  /** Bytes: the bundle, its source map, and the copied node_modules (0 when none). */
  sizes: { bundle: number; sourcemap: number; nodeModules: number };
  /** Packages left external and copied next to the bundle. */
  externals: string[];
}

export async function bundleFunction(name: string, outRoot = join(ROOT, "dist")): Promise<BundleResult> {
  const dir = join(outRoot, name);
  await rm(dir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, "functions", name, "server.ts")],
    outfile: join(dir, "index.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    // Readable stack traces and a debuggable bundle matter more than ~30% of a few hundred kB.
    minify: false,
    external: [KAFKA_PACKAGE],
    banner: { js: BANNER },
    metafile: true,
    logLevel: "warning",
  });
  const externals = externalPackages(result.metafile);
  for (const pkg of externals) await copyPackageTree(pkg, join(dir, "node_modules"));
  for (const [from, to] of ASSETS[name] ?? []) {
    for (const rel of await walk(join(ROOT, from))) {
      if (!isAsset(rel)) continue;
      await mkdir(dirname(join(dir, to, rel)), { recursive: true });
      await cp(join(ROOT, from, rel), join(dir, to, rel));
    }
  }
  if (name === "web") await copyVendorFiles(join(dir, "vendor"));
  return {
    name,
    dir,
    externals,
    sizes: {
      bundle: (await stat(join(dir, "index.mjs"))).size,
      sourcemap: (await stat(join(dir, "index.mjs.map"))).size,
      nodeModules: await du(join(dir, "node_modules")),
    },
  };
}

/** The web page's third-party browser files, each with its package's licence beside it. */
async function copyVendorFiles(dest: string) {
  await mkdir(dest, { recursive: true });
  for (const [name, { pkg, file }] of Object.entries(VENDOR_FILES)) {
    const src = packageDir(pkg);
    await cp(join(src, file), join(dest, name));
    for (const licence of (await readdir(src)).filter((f) => /^licen[cs]e/i.test(f)))
      await cp(join(src, licence), join(dest, `${pkg}.${licence}`));
  }
}

/**
 * Packages left external on purpose and imported by the bundle, as opposed to the optional
 * requires inside try/catch (mongodb's kerberos, snappy...) that esbuild leaves unresolved.
 */
function externalPackages(metafile: esbuild.Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      if (imp.external && (imp.path === KAFKA_PACKAGE || imp.path.startsWith(`${KAFKA_PACKAGE}/`))) {
        found.add(KAFKA_PACKAGE);
      }
    }
  }
  return [...found];
}

// ---------------------------------------------------------------- copying a native package

const requireFromRoot = createRequire(join(ROOT, "package.json"));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function packageDir(pkg: string, from = requireFromRoot): string {
  return dirname(from.resolve(`${pkg}/package.json`));
}

/**
 * What the Kafka client needs at run time, and nothing of its build (sources, deps/ with the
 * librdkafka tree, static archives): its JS, the addon, and the shared libraries under build/
 * (a source build links librdkafka.so.1 and librdkafka++.so.1 from build/deps through the
 * addon's RUNPATH $ORIGIN/../deps; anything beside the addon in build/Release is kept too).
 */
function isRuntimeFile(pkg: string, rel: string): boolean {
  // Small pure-JS helpers (bindings, file-uri-to-path): all of it but tests and nested packages.
  if (pkg !== KAFKA_PACKAGE) return !/^(node_modules|test)\//.test(rel) && !rel.startsWith(".");
  if (rel === "package.json" || rel === "librdkafka.js" || /^LICENSE/.test(rel)) return true;
  if (rel.startsWith("lib/")) return rel.endsWith(".js") || rel.endsWith(".json");
  if (rel.startsWith("build/")) {
    const file = rel.split("/").pop() ?? "";
    const depth = rel.split("/").length;
    return depth === 3 && (file.endsWith(".node") || /\.so(\.\d+)*$/.test(file));
  }
  return false;
}

/** Copies a package and, transitively, the packages its runtime code requires. */
async function copyPackageTree(pkg: string, nodeModules: string, from = requireFromRoot, seen = new Set()) {
  if (seen.has(pkg)) return;
  seen.add(pkg);
  const src = packageDir(pkg, from);
  const dest = join(nodeModules, pkg);
  for (const rel of await walk(src)) {
    if (!isRuntimeFile(pkg, rel)) continue;
    await mkdir(dirname(join(dest, rel)), { recursive: true });
    // Library symlinks (librdkafka.so -> librdkafka.so.1) stay relative symlinks, not copies.
    if ((await lstat(join(src, rel))).isSymbolicLink()) {
      await symlink(await readlink(join(src, rel)), join(dest, rel));
    } else {
      await cp(join(src, rel), join(dest, rel));
    }
  }
  const fromPkg = createRequire(join(src, "package.json"));
  for (const dep of await runtimeRequires(src, pkg)) await copyPackageTree(dep, nodeModules, fromPkg, seen);
}

/**
 * Bare packages a package's runtime JS requires, found by letting esbuild resolve its main entry
 * with every package external. package.json "dependencies" would overshoot: the Kafka client lists
 * its install-time tools (node-pre-gyp, tar, nan...) there, while its code only loads `bindings`.
 */
async function runtimeRequires(src: string, pkg: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(src, "package.json"), "utf8")) as { main?: string };
  const entries = [join(src, manifest.main ?? "index.js")];
  const result = await esbuild.build({
    entryPoints: entries,
    bundle: true,
    write: false,
    platform: "node",
    packages: "external",
    metafile: true,
    logLevel: "silent",
  });
  const deps = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external || builtins.has(imp.path) || imp.path.startsWith(".")) continue;
      const name = imp.path.startsWith("@")
        ? imp.path.split("/").slice(0, 2).join("/")
        : imp.path.split("/")[0];
      if (name && name !== pkg) deps.add(name);
    }
  }
  return [...deps].sort();
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, base)));
    else out.push(relative(base, full));
  }
  return out;
}

async function du(path: string): Promise<number> {
  if (!(await exists(path))) return 0;
  let total = 0;
  for (const rel of await walk(path)) total += (await lstat(join(path, rel))).size;
  return total;
}

async function exists(path: string) {
  return stat(path).then(
    () => true,
    () => false,
  );
}
