// The final table (figure | ours | baseline | ratio | target | met?) and the JSON results files.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FigureResult, Row } from "./types.ts";

const num = (v: number | null, unit: string) => {
  if (v === null || !Number.isFinite(v)) return "-";
  const digits = unit === "CPU ms" ? 3 : unit === "ms" || unit === "MB" ? (v < 10 ? 2 : 1) : 0;
  return `${v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
};

const cells = (r: Row) => [
  r.figure,
  num(r.ours, r.unit),
  num(r.baseline, r.unit),
  r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`,
  r.target || "-",
  r.met === null ? "-" : r.met ? "yes" : "NO",
];

export function formatTable(results: FigureResult[]): string {
  const header = ["figure", "ours", "baseline", "ratio", "target", "met?"];
  const lines: string[][] = [];
  for (const r of results) {
    if (r.error) lines.push([`${r.name}: FAILED`, "-", "-", "-", "-", "-"]);
    if (r.skipped) lines.push([`${r.name}: skipped`, "-", "-", "-", "-", "-"]);
    for (const x of r.rows) lines.push(cells(x));
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (l: string[]) =>
    l.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(" | ");
  const out = [fmt(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...lines.map(fmt)];
  const notes = results.flatMap((r) => [
    ...(r.error ? [`${r.name}: ${r.error.split("\n")[0]}`] : []),
    ...(r.skipped ? [`${r.name}: skipped, ${r.skipped}`] : []),
    ...r.rows.filter((x) => x.note).map((x) => `${x.figure}: ${x.note}`),
    ...r.notes.map((n) => `${r.name}: ${n}`),
  ]);
  if (notes.length > 0) out.push("", "Notes:", ...notes.map((n) => `- ${n}`));
  return out.join("\n");
}

/** Markdown version of the table, for docs/performance.md. */
export function markdownTable(results: FigureResult[]): string {
  const rows = results.flatMap((r) => r.rows.map(cells));
  return [
    "| figure | ours | baseline | ratio | target | met? |",
    "| --- | ---: | ---: | ---: | --- | --- |",
    ...rows.map((c) => `| ${c.join(" | ")} |`),
  ].join("\n");
}

/** A file-name-safe UTC timestamp: 2026-11-21T23-30-05Z. */
export const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/:/g, "-")
    .replace(/\.\d+Z$/, "Z");

/** Writes bench-results/<date>.json and bench-results/latest.json; returns the dated path. */
export function writeResults(dir: string, startedAt: Date, payload: unknown): string {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(payload, null, 2)}\n`;
  const file = join(dir, `${stamp(startedAt)}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, "latest.json"), text);
  return file;
}
