// The page checks a shopper with its own copy of the API's rules (web/js/rules.js, plain browser
// JavaScript); here both copies must give the same verdict on the same inputs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as v from "valibot";
import { UserIdSchema, UsernameSchema } from "../../functions/shared/purchase.ts";
import { ROOT } from "../../harness/root.ts";

interface Rules {
  checkUsername: (s: string) => string | undefined;
  checkUserId: (s: string) => string | undefined;
  validateUser: (u: { username: string; user_id: string }) => {
    ok: boolean;
    user: { username: string; user_id: string };
    errors: Record<string, string>;
  };
}
const rules = (await import(pathToFileURL(join(ROOT, "web/js/rules.js")).href)) as Rules;

const usernames = [
  "alice",
  "  Ada Lovelace  ",
  "",
  "   ",
  "a".repeat(64),
  "a".repeat(65),
  ` ${"é".repeat(64)} `,
  "😀".repeat(64),
  "😀".repeat(65),
  "tab\there",
  "line\nbreak",
  "nul\u0000",
  "bidi\u202Eoverride",
  "sep\u2028arator",
  "Zoë Ünïcødé",
];
const userIds = [
  "alice",
  "a-b_c.d:e",
  "",
  " alice",
  "a b",
  "a".repeat(64),
  "a".repeat(65),
  "ümlaut",
  "slash/no",
  "😀",
  "A9",
];

describe("web page rules", () => {
  test("When a username is checked, then the page and the API agree", () => {
    for (const name of usernames) {
      const api = v.safeParse(UsernameSchema, name).success;
      assert.equal(rules.checkUsername(name) === undefined, api, JSON.stringify(name));
    }
  });

  test("When a user id is checked, then the page and the API agree", () => {
    for (const id of userIds) {
      const api = v.safeParse(UserIdSchema, id).success;
      assert.equal(rules.checkUserId(id) === undefined, api, JSON.stringify(id));
    }
  });

  test("When a shopper is valid, then the page sends the trimmed username, as the API stores it", () => {
    const result = rules.validateUser({ username: "  Ada  ", user_id: "ada-1" });
    assert.deepEqual(result, { ok: true, user: { username: "Ada", user_id: "ada-1" }, errors: {} });
  });

  test("When both fields are bad, then there is one readable message per field", () => {
    const { ok, errors } = rules.validateUser({ username: " ", user_id: "a b" });
    assert.equal(ok, false);
    assert.equal(errors.username, "Enter a username.");
    assert.match(errors.user_id ?? "", /Spaces are not allowed/);
  });
});
