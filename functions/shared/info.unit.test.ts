import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ROOT } from "../../harness/root.ts";
import { serviceInfo, VERSION } from "./info.ts";

test("When the version is reported, then it is package.json's", () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as { version: string };
  assert.equal(VERSION, pkg.version);
  assert.equal(serviceInfo("x", "y", []).version, pkg.version);
});
