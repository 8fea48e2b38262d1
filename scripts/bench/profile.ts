// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): the functions with the most
// self time, and the packages/files with the most self time.
//   node scripts/bench/profile.ts <file.cpuprofile> [top=25]
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

process.stdout.on("error", () => process.exit(0)); // piped into head
const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: profile.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const fnTime = new Map<string, number>();
const fileTime = new Map<string, number>();
let total = 0;
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = (byId.get(id) as Node).callFrame;
  total += us;
  const where = shorten(url);
  const fn = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
  fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
  fileTime.set(where || functionName, (fileTime.get(where || functionName) ?? 0) + us);
}

const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    );
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s of samples`);
show("self time by package or file", fileTime);
show("self time by function", fnTime);

/** node_modules/<pkg> for dependencies, the path from the repo root otherwise. */
function shorten(url: string): string {
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return `npm:${m[1]}`;
  return url.replace(/^file:\/\//, "").replace(/^.*\/(functions|kafka-source|scripts)\//, "$1/");
}
