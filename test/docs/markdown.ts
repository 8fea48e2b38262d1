// The documentation's tables as rows of cells, for the tests that check them against the code.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../harness/root.ts";

/** One Markdown file of the repository, by its path from the root (e.g. `docs/api.md`). */
export const doc = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** README.md and every docs/*.md: where the documentation lives (docs/ is flat). */
export const docFiles = (): string[] => [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

/** The rows (header and separator left out) of the first table after a heading line. */
export function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`no heading ${JSON.stringify(heading)}`);
  const start = lines.findIndex((l, i) => i > at && l.startsWith("|"));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]?.startsWith("|"); i++) {
    rows.push(
      (lines[i] as string)
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The `code` spans of a cell. */
export const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
