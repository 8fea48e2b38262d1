// What every figure module returns, and the context it runs in.
import type { Say } from "./progress.ts";
import type { StoreInfo } from "./store.ts";

export const FIGURES = [
  "persist",
  "ingest",
  "read",
  "freshness",
  "coldstart",
  "image",
  "replay",
  "pull",
  "auth",
] as const;
export type FigureName = (typeof FIGURES)[number];

export interface BenchContext {
  quick: boolean;
  /** Unique per run: names topics, databases and consumer groups. */
  runId: string;
  kafka: string[];
  /** The database URI as given (its database name is replaced per contender). */
  mongoUri: string;
  store: StoreInfo;
  /** Local processes of the database and the broker, when found: their CPU is accounted per figure. */
  pids: { store?: number; kafka?: number };
  /** Scratch folder of this run (bundles, Kafka Connect configs, logs). */
  workDir: string;
  /** Where a function runs from: its esbuild bundle, or its TypeScript source when there is none. */
  entry: (fn: string) => string;
  /** The function's bundle (dist/<name>/index.mjs of this run), if it was built. */
  bundle: (fn: string) => string | undefined;
  /** false with --no-connect: figure 1 leaves out the Kafka Connect baseline. */
  connect: boolean;
  /** --set KEY=VALUE: extra environment for every function and dispatcher the bench starts. */
  overrides: Record<string, string>;
  /** Set with --cpu-prof: the functions and the dispatcher write V8 CPU profiles here. */
  profileDir?: string;
  say: Say;
}

export type Goal =
  | { kind: "ratio-min"; value: number }
  | { kind: "ratio-max"; value: number }
  | { kind: "below"; value: number }
  | { kind: "none" };

export interface Row {
  figure: string;
  unit: string;
  ours: number | null;
  baseline: number | null;
  /** What the baseline is, e.g. "insertMany ceiling". */
  against: string;
  /** ours / baseline */
  ratio: number | null;
  target: string;
  /** null: no target, or nothing measured */
  met: boolean | null;
  note?: string;
}

export interface FigureResult {
  name: FigureName;
  rows: Row[];
  /** Everything measured, for the JSON file. */
  details: Record<string, unknown>;
  /** Why a target is missed or what the figure could not do, printed under the table. */
  notes: string[];
  error?: string;
  /** Why the figure did not run and the command that enables it (a prerequisite is missing). */
  skipped?: string;
  seconds: number;
}

/**
 * Thrown by a figure whose prerequisite is missing on this machine (no images, no container
 * engine): the run reports it as skipped, with the command that enables it, and does not fail.
 */
export class FigureSkipped extends Error {
  readonly enable: string;
  constructor(reason: string, enable: string) {
    super(`${reason} (to run it: ${enable})`);
    this.enable = enable;
  }
}

export function row(r: {
  figure: string;
  unit: string;
  ours: number | null;
  baseline: number | null;
  against: string;
  target: Goal;
  note?: string;
}): Row {
  const ok = (x: number | null): x is number => x !== null && Number.isFinite(x);
  const ratio = ok(r.ours) && ok(r.baseline) && r.baseline !== 0 ? round2(r.ours / r.baseline) : null;
  const t = r.target;
  let target = "";
  let met: boolean | null = null;
  if (t.kind === "ratio-min") {
    target = `>= ${t.value}x`;
    met = ratio === null ? null : ratio >= t.value;
  } else if (t.kind === "ratio-max") {
    target = `<= ${t.value}x`;
    met = ratio === null ? null : ratio <= t.value;
  } else if (t.kind === "below") {
    target = `< ${t.value} ${r.unit}`;
    met = ok(r.ours) ? r.ours < t.value : null;
  }
  const { target: _, ...rest } = r;
  return { ...rest, ratio, target, met };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
