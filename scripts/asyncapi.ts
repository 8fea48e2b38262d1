// npm run asyncapi: writes docs/asyncapi.json from the valibot schemas (harness/asyncapi.ts).
// test/asyncapi/document.unit.test.ts fails when the committed file is not what this writes (then biome
// formats it: see package.json).
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { asyncApiDocument } from "../harness/asyncapi.ts";
import { ROOT } from "../harness/root.ts";

const ASYNCAPI_FILE = "docs/asyncapi.json";
const asyncApiText = () => `${JSON.stringify(asyncApiDocument(), null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(`${ROOT}/${ASYNCAPI_FILE}`, asyncApiText());
  console.log(`wrote ${ASYNCAPI_FILE}`);
}
