// The error catalog (functions/shared/errors.ts) against the documentation and the code: the error
// table of docs/api.md is the catalog, every "<status> <code>" the README or a docs/*.md page
// mentions is the catalog's, and no source file answers an error code by hand (AppError takes only catalog codes; see errors.test.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ERROR_CATALOG, type ErrorCode } from "../../functions/shared/errors.ts";
import { ROOT } from "../../harness/root.ts";
import { codeSpans, doc, docFiles, tableAfter } from "./markdown.ts";

const pages = docFiles().map((file) => [file, doc(file)] as const);
const status = (code: string) => ERROR_CATALOG[code as ErrorCode]?.status;

/** The TypeScript sources that answer HTTP: the functions and the local gateway, tests left out. */
function answeringSources(): string[] {
  const files = readdirSync(join(ROOT, "functions"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => join("functions", f));
  return [...files, "harness/gateway.ts"];
}

describe("error catalog and documentation", () => {
  test("When docs/api.md lists the error codes, then its table is the catalog: codes, statuses, meanings", () => {
    const rows = tableAfter(doc("docs/api.md"), "## Errors").map(([code, s, meaning]) => [
      codeSpans(code ?? "")[0],
      Number(s),
      meaning,
    ]);
    const catalog = Object.entries(ERROR_CATALOG).map(([code, e]) => [code, e.status, e.meaning]);
    assert.deepEqual(rows, catalog);
  });

  test("When the documentation names a status with a code, then the catalog gives that code that status", () => {
    let named = 0;
    for (const [file, text] of pages) {
      const pairs = [
        ...text.matchAll(/`([1-5]\d\d) ([a-z_]+)`/g),
        ...text.matchAll(/`([1-5]\d\d) \{"error":"([a-z_]+)"/g),
      ].map((m) => [Number(m[1]), m[2] as string] as const);
      named += pairs.length;
      for (const [s, code] of pairs) assert.equal(status(code), s, `${file}: ${s} ${code}`);
      for (const m of text.matchAll(/\{"error":"([a-z_]+)"/g))
        assert.ok(status(m[1] as string), `${file}: ${m[0]}`);
    }
    assert.ok(named > 5, "the documentation names some errors");
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
