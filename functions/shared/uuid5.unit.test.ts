import assert from "node:assert/strict";
import { test } from "node:test";
import { uuidV5For } from "./uuid5.ts";

test("When RFC 9562's example is hashed, then the id is the one the RFC gives (Appendix A.4)", () => {
  const dns = uuidV5For("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  assert.equal(dns("www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
});

test("When a name is hashed, then the id is the one computed elsewhere (Python's uuid.uuid5)", () => {
  const v5 = uuidV5For("9b8e51b6-3a51-4f0e-8d4c-6f0a1d2e7c33");
  const expected: [string, string][] = [
    ["", "705447d3-4406-5c00-ab1c-ff6c32649363"],
    [
      "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases\npartition:2/offset:41",
      "a11277e3-30ca-5f8d-8870-54c4df683d28",
    ],
    ["/buy\n0b7f1c7e-8a9e-4f8e-9c55-2f4c4f1e2a10", "71790f56-421e-5fe4-8915-abebae7dadbc"],
    ["ünïcödé ☃ 𝄞 names\n2026-01-01T00:00:00.000Z", "9313de2e-fcd0-5725-9a78-a7dc76f94772"],
    ["x".repeat(5000), "bbcf0ded-5268-5d05-9e32-bf3d00465387"],
  ];
  for (const [name, id] of expected) assert.equal(v5(name), id, JSON.stringify(name.slice(0, 40)));
});

test("When the namespace is not a UUID, then it is refused", () => {
  assert.throws(() => uuidV5For("not-a-uuid"), /not a UUID/);
});
