// The page's purchase list (web/js/purchases.js): the live first page and "Load more" pages merged
// into one list in the API's order, each purchase once.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { ROOT } from "../../harness/root.ts";

interface P {
  id: string;
  timestamp: string;
}
const { mergePurchases } = (await import(pathToFileURL(join(ROOT, "web/js/purchases.js")).href)) as {
  mergePurchases: (known: P[], incoming: P[]) => P[];
};

const p = (id: string, second: number) => ({
  id,
  timestamp: `2025-01-01T00:00:${String(second).padStart(2, "0")}Z`,
});

describe("web page purchase list", () => {
  test("When a new first page overlaps what is shown, then each purchase appears once, newest first", () => {
    const shown = [p("c", 3), p("b", 2), p("a", 1)];
    const merged = mergePurchases(shown, [p("d", 4), p("c", 3)]);
    assert.deepEqual(
      merged.map((x) => x.id),
      ["d", "c", "b", "a"],
    );
  });

  test("When two purchases share a timestamp, then the larger id comes first, as the API pages them", () => {
    const merged = mergePurchases([p("a", 5)], [p("b", 5), p("z", 1)]);
    assert.deepEqual(
      merged.map((x) => x.id),
      ["b", "a", "z"],
    );
  });
});
