// The command line of `npm run bench`.
import { parseArgs } from "node:util";
import { FIGURES, type FigureName } from "./types.ts";

export const USAGE = `usage: npm run bench [-- --quick] [--only ${FIGURES.join(",")}] [--no-connect] [--set K=V] [--cpu-prof]
  --quick        small sizes, at most 2 minutes (CI: proves the harness works, asserts no speed)
  --only         run only these figures (comma-separated or repeated)
  --no-connect   leave out the Kafka Connect baseline of figure 1 (minutes of a full run)
  --set K=V      extra environment for every function and the dispatcher the bench starts, to try a
                 setting (e.g. --set KAFKA_SOURCE_MAX_IN_FLIGHT=200 --set PERSIST_BATCH_WAIT_MS=10)
  --cpu-prof     functions and dispatcher run from source and write V8 CPU profiles into
                 bench-results/profiles/<date>/; summarise one with
                 node scripts/bench/profile.ts <file.cpuprofile>`;

export interface BenchArgs {
  quick: boolean;
  figures: FigureName[];
  connect: boolean;
  overrides: Record<string, string>;
  cpuProf: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export function parseBenchArgs(args: string[]): BenchArgs {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      "no-connect": { type: "boolean", default: false },
      set: { type: "string", multiple: true },
      "cpu-prof": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const only = (values.only ?? []).flatMap((s) => s.split(",")).filter(Boolean);
  const unknown = only.filter((n) => !FIGURES.includes(n as FigureName));
  if (unknown.length > 0) {
    throw new UsageError(`unknown figure(s) ${unknown.join(", ")}; known: ${FIGURES.join(", ")}`);
  }
  const overrides: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const eq = kv.indexOf("=");
    if (eq < 1) throw new UsageError(`--set wants KEY=VALUE, got ${JSON.stringify(kv)}`);
    overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    quick: values.quick ?? false,
    figures: FIGURES.filter((f) => only.length === 0 || only.includes(f)),
    connect: !values["no-connect"],
    overrides,
    cpuProf: values["cpu-prof"] ?? false,
    help: values.help ?? false,
  };
}
