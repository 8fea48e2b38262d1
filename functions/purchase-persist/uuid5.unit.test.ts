import assert from "node:assert/strict";
import { test } from "node:test";
import { v5 as uuidv5 } from "uuid";
import { uuidV5For } from "./uuid5.ts";

const NAMESPACE = "9b8e51b6-3a51-4f0e-8d4c-6f0a1d2e7c33";

test("When a name is hashed, then the id is the uuid package's v5 of it", () => {
  const v5 = uuidV5For(NAMESPACE);
  const names = [
    "",
    "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases\npartition:2/offset:41",
    "/buy\n0b7f1c7e-8a9e-4f8e-9c55-2f4c4f1e2a10",
    "ünïcödé ☃ 𝄞 names\n2026-01-01T00:00:00.000Z",
    "x".repeat(5000),
  ];
  for (const name of names) assert.equal(v5(name), uuidv5(name, NAMESPACE));
});

test("When the namespace is not a UUID, then it is refused", () => {
  assert.throws(() => uuidV5For("not-a-uuid"), /not a UUID/);
});
