// The error catalog (functions/shared/errors.ts) against the README and the code: the README's
// error table is the catalog, every "<status> <code>" the README mentions is the catalog's, and no
// source file answers an error code by hand (AppError takes only catalog codes; see errors.test.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ERROR_CATALOG, type ErrorCode } from "../../functions/shared/errors.ts";
import { ROOT } from "../../harness/root.ts";
import { codeSpans, readme, tableAfter } from "./markdown.ts";

const text = readme();
const status = (code: string) => ERROR_CATALOG[code as ErrorCode]?.status;

/** The TypeScript sources that answer HTTP: the functions and the local gateway, tests left out. */
function answeringSources(): string[] {
  const files = readdirSync(join(ROOT, "functions"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => join("functions", f));
  return [...files, "harness/gateway.ts"];
}

describe("error catalog and README", () => {
  test("When the README lists the error codes, then its table is the catalog: codes, statuses, meanings", () => {
    const rows = tableAfter(text, "### Errors").map(([code, s, meaning]) => [
      codeSpans(code ?? "")[0],
      Number(s),
      meaning,
    ]);
    const catalog = Object.entries(ERROR_CATALOG).map(([code, e]) => [code, e.status, e.meaning]);
    assert.deepEqual(rows, catalog);
  });

  test("When the README names a status with a code, then the catalog gives that code that status", () => {
    const pairs = [
      ...text.matchAll(/`([1-5]\d\d) ([a-z_]+)`/g),
      ...text.matchAll(/`([1-5]\d\d) \{"error":"([a-z_]+)"/g),
    ].map((m) => [Number(m[1]), m[2] as string] as const);
    assert.ok(pairs.length > 5, "the README names some errors");
    for (const [s, code] of pairs) assert.equal(status(code), s, `README: ${s} ${code}`);
    for (const m of text.matchAll(/\{"error":"([a-z_]+)"/g))
      assert.ok(status(m[1] as string), `README: ${m[0]}`);
  });

  test("When source code writes an error body by hand, then its code is in the catalog", () => {
    for (const file of answeringSources()) {
      const source = readFileSync(join(ROOT, file), "utf8");
      for (const m of source.matchAll(/\berror:\s*"([a-z_]+)"/g)) {
        assert.ok(status(m[1] as string), `${file}: error "${m[1]}" is not in the catalog`);
      }
    }
  });
});
