// The configuration table (docs/configuration.md) against the config parsers: who reads each variable, and its
// defaults, derived from the parsers themselves (test/docs/parsers.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { GatewayConfigSchema } from "../../harness/gateway.ts";
import { DispatcherEnvSchema } from "../../kafka-source/dispatcher/manifest.ts";
import { codeSpans, doc, tableAfter } from "./markdown.ts";
import { functionConfigs, variablesByProcess } from "./parsers.ts";

const rows = tableAfter(doc("docs/configuration.md"), "# Configuration");
const functions = await functionConfigs();
const byProcess = await variablesByProcess();

/** Variable -> the processes whose parser reads it. */
function readers(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [process, names] of byProcess) {
    for (const name of names) out.set(name, [...(out.get(name) ?? []), process]);
  }
  return out;
}

/** "every function, gateway" -> the function names and gateway. */
function readBy(cell: string): string[] {
  return cell
    .split(",")
    .map((token) => token.trim())
    .flatMap((token) => (token === "every function" ? [...functions.keys()] : [token]));
}

describe("configuration table (docs/configuration.md)", () => {
  test("When the table says which process reads a variable, then exactly those parsers read it", () => {
    const documented = new Map<string, string[]>();
    for (const [variable, , by] of rows) {
      const [name] = codeSpans(variable ?? "");
      assert.ok(name, `a row without a variable: ${variable}`);
      assert.ok(!documented.has(name), `${name} has two rows`);
      documented.set(name, readBy(by ?? "").sort());
    }
    const actual = readers();
    for (const [name, processes] of actual) {
      assert.deepEqual(documented.get(name), processes.sort(), `${name}: "Read by" differs from the parsers`);
    }
    for (const name of documented.keys())
      assert.ok(actual.has(name), `${name} is documented but no parser reads it`);
  });

  test("When a parser has a default for a variable, then the table shows it", () => {
    const schemas = [...functions.values(), GatewayConfigSchema, DispatcherEnvSchema];
    for (const schema of schemas) {
      for (const [name, entry] of Object.entries(schema.entries)) {
        const fallback = v.getDefault(entry as v.GenericSchema);
        if (fallback === undefined || fallback === "") continue;
        const row = rows.find(([variable]) => codeSpans(variable ?? "")[0] === name);
        assert.ok(
          codeSpans(row?.[1] ?? "").includes(String(fallback)),
          `${name}: default ${fallback} not shown`,
        );
      }
    }
  });
});
