// Every link between the documentation pages resolves, and so does every docs/<file>.md#<anchor>
// that a code comment cites: a moved or renamed section fails here, naming the file, the line and
// the link. Reads files only (a unit test).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "../../harness/root.ts";
import { anchors, docReferences, relativeLinks, slug } from "./links.ts";
import { docFiles } from "./markdown.ts";

/** The Markdown pages whose links are checked: the README, docs/ and the pointer left in kafka-source/. */
const pages = [...docFiles(), "kafka-source/README.md"].filter((f) => existsSync(join(ROOT, f)));

/** Source files that may cite a docs page in a comment; generated and installed trees left out. */
const SOURCE = /\.(ts|mts|mjs|js|sh|ya?ml|json|go)$|^go\.mod$|^Dockerfile|\.Dockerfile$/;
const SKIPPED = new Set(["node_modules", ".git", ".local", "dist", "bench-results", "test-results", "docs"]);

function sourceFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory() && !SKIPPED.has(d.name)) out.push(...sourceFiles(path));
    else if (d.isFile() && SOURCE.test(d.name)) out.push(relative(ROOT, path));
  }
  return out.sort();
}

const anchorCache = new Map<string, Set<string>>();
const anchorsOf = (path: string) => {
  if (!anchorCache.has(path)) anchorCache.set(path, anchors(readFileSync(path, "utf8")));
  return anchorCache.get(path) as Set<string>;
};

/** Why `target`, written in `from` (a path from the root), does not resolve; undefined if it does. */
function broken(from: string, target: string, base = dirname(join(ROOT, from))): string | undefined {
  const [rawPath = "", anchor] = target.split("#", 2);
  const path = rawPath === "" ? join(ROOT, from) : resolve(base, decodeURI(rawPath));
  if (!existsSync(path)) return `no file ${relative(ROOT, path)}`;
  if (anchor === undefined || anchor === "") return undefined;
  if (!statSync(path).isFile() || !path.endsWith(".md")) return `#${anchor} on a file that is not Markdown`;
  const offered = anchorsOf(path);
  return offered.has(decodeURIComponent(anchor).toLowerCase())
    ? undefined
    : `${relative(ROOT, path)} has no heading #${anchor}`;
}

const report = (failures: string[]) =>
  assert.deepEqual(failures, [], `broken links:\n${failures.join("\n")}`);

describe("documentation links", () => {
  test("When a heading has code, punctuation and a link, then its anchor is GitHub's", () => {
    assert.equal(slug("Image cold start (figure `image`)"), "image-cold-start-figure-image");
    assert.equal(
      slug("`GET /getAllUserBuys/:user_id?limit=50&cursor=...`"),
      "get-getalluserbuysuser_idlimit50cursor",
    );
    assert.equal(slug("What holds, and why"), "what-holds-and-why");
    assert.equal(slug("See [the API](api.md) now"), "see-the-api-now");
    assert.deepEqual([...anchors("# A\n## A\n```\n# not a heading\n```\n### A")], ["a", "a-1", "a-2"]);
  });

  test("When a page links to a file or a heading, then the file exists and has that heading", () => {
    assert.ok(pages.length > 5, `pages found: ${pages.join(", ")}`);
    const failures: string[] = [];
    for (const page of pages) {
      for (const { line, target } of relativeLinks(readFileSync(join(ROOT, page), "utf8"))) {
        const why = broken(page, target);
        if (why) failures.push(`${page}:${line}: ${target}: ${why}`);
      }
    }
    report(failures);
  });

  test("When source code cites docs/<file>.md#<anchor>, then that page and heading exist", () => {
    const failures: string[] = [];
    let cited = 0;
    for (const file of sourceFiles()) {
      for (const { line, target } of docReferences(readFileSync(join(ROOT, file), "utf8"))) {
        cited++;
        const why = broken(file, target, ROOT);
        if (why) failures.push(`${file}:${line}: ${target}: ${why}`);
      }
    }
    assert.ok(cited > 5, "the code cites some docs pages");
    report(failures);
  });
});
