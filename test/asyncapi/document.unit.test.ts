// docs/asyncapi.json: current (what `npm run asyncapi` writes), and a valid AsyncAPI 3.0 document
// for @asyncapi/parser (its schema and its rules).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { asyncApiDocument } from "../../harness/asyncapi.ts";
import { committedDocument, diagnose } from "./validators.ts";

describe("AsyncAPI document", () => {
  test("When the document is generated from the schemas, then the committed docs/asyncapi.json is the same (npm run asyncapi)", () => {
    // Compared as data: biome formats the file (npm run asyncapi runs it).
    assert.deepEqual(JSON.parse(committedDocument()), asyncApiDocument());
  });

  test("When @asyncapi/parser reads docs/asyncapi.json, then it is valid AsyncAPI 3.0 without errors or warnings", async () => {
    const { errors, warnings } = await diagnose(committedDocument());
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, []);
  });

  test("When the document is broken, then the parser reports it (the check is not vacuous)", async () => {
    const doc = JSON.parse(committedDocument());
    doc.operations.producePurchase.channel = { $ref: "#/channels/nowhere" };
    doc.components.messages.purchase.payload = { type: "no-such-type" };
    const { errors } = await diagnose(JSON.stringify(doc));
    assert.ok(errors.length >= 2, errors.join("\n"));
  });
});
