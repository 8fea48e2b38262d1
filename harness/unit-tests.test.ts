// npm run test:unit's choice: the test files whose imports never reach the local stack.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { testFiles, unitTestFiles } from "./unit-tests.ts";

describe("test:unit's selection", () => {
  const unit = new Set(unitTestFiles());

  test("When a test file is pure logic, then test:unit runs it", () => {
    for (const f of ["kafka-source/dispatcher/mapping.test.ts", "functions/shared/config.test.ts"]) {
      assert.ok(unit.has(f), f);
    }
  });

  test("When a test file reaches the broker or the database through the harness, then only npm test runs it", () => {
    for (const f of [
      "functions/buy/app.test.ts", // harness/topics.ts
      "functions/purchase-persist/input.test.ts", // harness/persist-fixture.ts -> databases.ts
      "test/e2e/pipeline.test.ts", // harness/system.ts
      "kafka-source/dispatcher/dispatcher.test.ts", // harness/dispatcher-fixture.ts
    ]) {
      assert.ok(!unit.has(f), f);
    }
  });

  test("When a test file imports only types from a module that reaches the stack, then it stays a unit test", () => {
    assert.ok(unit.has("test/faults/verify.test.ts"));
  });

  test("When npm test lists its files, then test:unit's are among them and test/images is in neither", () => {
    const all = new Set(testFiles());
    for (const f of unit) assert.ok(all.has(f), f);
    assert.ok(![...all].some((f) => f.startsWith("test/images/")));
  });
});
