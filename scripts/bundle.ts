// npm run bundle: bundles every function (functions/<name>/server.ts) into dist/<name>/index.mjs, a
// folder that runs alone with `node index.mjs`, as each container image ships it (build/bundle.ts).
//
//   node scripts/bundle.ts                  all functions
//   node scripts/bundle.ts --only buy       one (repeat --only, or comma-separate, for several)
//   node scripts/bundle.ts --out /tmp/dist  another output root
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { bundleFunction } from "../build/bundle.ts";
import { listFunctions, ROOT } from "../harness/root.ts";

const kb = (n: number) => `${(n / 1024).toFixed(0).padStart(6)} kB`;

async function main() {
  const { values } = parseArgs({
    options: { only: { type: "string", multiple: true }, out: { type: "string" } },
  });
  const all = listFunctions();
  const only = (values.only ?? []).flatMap((s) => s.split(",")).filter(Boolean);
  const unknown = only.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`bundle: unknown function(s) ${unknown.join(", ")}; known: ${all.join(", ")}`);
    process.exit(2);
  }
  const names = only.length > 0 ? only : all;
  const outRoot = values.out ?? join(ROOT, "dist");
  for (const name of names) {
    const started = performance.now();
    const r = await bundleFunction(name, outRoot);
    const ms = Math.round(performance.now() - started);
    const extra = r.externals.length > 0 ? ` + node_modules ${kb(r.sizes.nodeModules)} (${r.externals})` : "";
    console.log(
      `${name.padEnd(18)} ${relative(ROOT, join(r.dir, "index.mjs")) || r.dir} ${kb(r.sizes.bundle)}` +
        ` (map ${kb(r.sizes.sourcemap)})${extra}  ${ms} ms`,
    );
  }
}

await main();
