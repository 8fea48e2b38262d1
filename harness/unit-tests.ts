// Which test files need no broker and no database: those whose imports, followed through the
// repository, never reach harness/stack.ts (every harness module that talks to Kafka or FerretDB,
// or starts the system, takes the stack's addresses from there). `npm run test:unit` runs them
// (scripts/test.sh --unit) without starting the stack; `npm test` runs every file.
//
//   node harness/unit-tests.ts          prints them, one a line
//   node harness/unit-tests.ts --all    every test file npm test runs
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./root.ts";

/** Folders holding tests; test/images needs the built images (npm run test:images). */
const TEST_FOLDERS = ["functions", "kafka-source", "harness", "scripts", "test", "web"];
const EXCLUDED = ["test/images/"];
const STACK = resolve(ROOT, "harness/stack.ts");

/** Every *.test.ts that `npm test` runs, relative to the root, sorted. */
export function testFiles(root = ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, d.name);
      if (d.isDirectory() && d.name !== "node_modules") walk(path);
      else if (d.name.endsWith(".test.ts")) out.push(relative(root, path));
    }
  };
  for (const folder of TEST_FOLDERS) walk(join(root, folder));
  return out.filter((f) => !EXCLUDED.some((e) => f.startsWith(e))).sort();
}

// Static `from "./x.ts"`, side-effect `import "./x.ts"` and dynamic `import("./x.ts")`; type-only
// imports are erased before the code runs and do not count.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;]*;/g;

/** The repository files `file` imports, directly or not (relative specifiers only). */
export function importClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    if (!/\.[cm]?[jt]s$/.test(path)) return;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return;
    }
    for (const m of text.replace(TYPE_ONLY, "").matchAll(SPECIFIER))
      visit(resolve(dirname(path), m[1] as string));
  };
  visit(resolve(ROOT, file));
  return seen;
}

/** The test files that need neither the broker nor the database. */
export const unitTestFiles = (root = ROOT) => testFiles(root).filter((f) => !importClosure(f).has(STACK));

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of process.argv.includes("--all") ? testFiles() : unitTestFiles()) console.log(f);
}
