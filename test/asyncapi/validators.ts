// The AsyncAPI document for tests: parsed and checked by @asyncapi/parser, and validators (ajv, JSON
// Schema draft-07) for a Kafka record's headers, value and key against one of its messages.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser } from "@asyncapi/parser";
import { Ajv } from "ajv";
import addFormatsPlugin from "ajv-formats";
import { ROOT } from "../../harness/root.ts";
import type { RecordOut } from "../../harness/topics.ts";

export const committedDocument = () => readFileSync(join(ROOT, "docs/asyncapi.json"), "utf8");

/** The parser's diagnostics at severity error (0) and warning (1), as readable lines. */
export async function diagnose(text: string) {
  const { diagnostics } = await new Parser().parse(text);
  const lines = (severity: number) =>
    diagnostics.filter((d) => d.severity === severity).map((d) => `${d.path.join(".")}: ${d.message}`);
  return { errors: lines(0), warnings: lines(1) };
}

type Json = Record<string, unknown>;
// ajv-formats is CommonJS: its default export is the plugin function under `default` here.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

/** Validates a record against components.messages.<name> of the (JSON) document. */
export function recordValidator(documentText: string, name: string) {
  const doc = JSON.parse(documentText) as { components: { messages: Record<string, Json> } };
  const message = doc.components.messages[name];
  if (!message) throw new Error(`no message ${name}`);
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const headers = ajv.compile(message.headers as Json);
  const payload = ajv.compile(message.payload as Json);
  const key = ajv.compile(((message.bindings as Json).kafka as Json).key as Json);
  return (record: Pick<RecordOut, "headers" | "value" | "key">): string[] => {
    const problems: string[] = [];
    const check = (what: string, validate: typeof headers, data: unknown) => {
      if (!validate(data))
        for (const e of validate.errors ?? []) problems.push(`${what}${e.instancePath}: ${e.message}`);
    };
    check("headers", headers, record.headers);
    let value: unknown = record.value;
    if (record.headers["content-type"] === "application/json") {
      try {
        value = JSON.parse(record.value);
      } catch {
        problems.push("value: not JSON although content-type is application/json");
      }
    }
    check("value", payload, value);
    check("key", key, record.key);
    return problems;
  };
}
