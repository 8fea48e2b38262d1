// The README's tables as rows of cells, for the tests that check them against the code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../harness/root.ts";

export const readme = () => readFileSync(join(ROOT, "README.md"), "utf8");

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
