import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { decodeCursor, encodeCursor, HistoryQuerySchema } from "./paging.ts";
import { isCalendarDate, USERNAME_PATTERN, UserIdSchema, UsernameSchema } from "./purchase.ts";

// The rule in words, as it was written before it became one pattern for the OpenAPI document.
const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const isUsername = (s: string) => {
  const t = s.trim();
  return !CONTROL.test(t) && [...t].length >= 1 && [...t].length <= 64;
};

describe("USERNAME_PATTERN", () => {
  test("When any code point is at an edge, inside or alone, then the pattern agrees with trim + rules", () => {
    let checked = 0;
    for (let cp = 0; cp < 0x110000; cp += cp < 0x10000 ? 1 : 97) {
      const c = String.fromCodePoint(cp);
      for (const s of [c, `a${c}a`, `${c}a`, `a${c}`, `${c}${c}`]) {
        assert.equal(USERNAME_PATTERN.test(s), isUsername(s), `${JSON.stringify(s)} (U+${cp.toString(16)})`);
        checked++;
      }
    }
    assert.ok(checked > 300_000);
  });

  test("When lengths are at the bounds, then 64 code points pass and 65 fail, however padded", () => {
    for (const unit of ["x", "😀", "é"]) {
      for (const pad of ["", "  ", "\t\n", "\u3000"]) {
        assert.equal(USERNAME_PATTERN.test(`${pad}${unit.repeat(64)}${pad}`), true);
        assert.equal(USERNAME_PATTERN.test(`${pad}${unit.repeat(65)}${pad}`), false);
        assert.equal(USERNAME_PATTERN.test(`${pad}${unit} ${unit}${pad}`), true);
      }
    }
  });

  test("When a username is parsed, then it is trimmed and a failure names the rule broken", () => {
    assert.equal(v.parse(UsernameSchema, "  Alice \n"), "Alice");
    const message = (s: string) => v.safeParse(UsernameSchema, s).issues?.[0]?.message;
    assert.equal(message("a\u0000b"), "must not contain control characters");
    assert.equal(message(" \t "), "must not be empty");
    assert.equal(message("x".repeat(65)), "must be at most 64 characters");
  });
});

describe("UserIdSchema", () => {
  test("When a user id is a dot segment, then it is refused (a URL path would drop it)", () => {
    for (const bad of [".", "..", "", "a/b", "ü"]) assert.equal(v.is(UserIdSchema, bad), false, bad);
    for (const good of ["...", ".a", "a.", "a:b_c-d", "x".repeat(64)])
      assert.equal(v.is(UserIdSchema, good), true);
  });
});

describe("cursor", () => {
  test("When a position is encoded, then decoding gives it back", () => {
    const at = { timestamp: new Date("2026-11-21T23:10:02.150Z"), id: "2f0b-uuid:x.y_z" };
    const cursor = encodeCursor(at);
    assert.ok(v.is(HistoryQuerySchema, { cursor }));
    assert.deepEqual(decodeCursor(cursor), at);
  });

  test("When any string of the cursor's pattern is decoded, then it names a valid position", () => {
    for (const cursor of ["0.A", "-999999999999999.____", "999999999999999.AAAA", "-0.x-y_z"]) {
      assert.ok(v.is(HistoryQuerySchema, { cursor }), cursor);
      const at = decodeCursor(cursor);
      assert.ok(at && !Number.isNaN(at.timestamp.getTime()), cursor);
    }
    for (const cursor of ["", "abc", "1.", ".abc", "1.a=", "1e3.abc", "1000000000000000.a"]) {
      assert.equal(v.is(HistoryQuerySchema, { cursor }), false, cursor);
    }
  });
});

describe("isCalendarDate", () => {
  test("When the day does not exist in its month, then false; leap years follow the Gregorian rule", () => {
    for (const ok of [
      "2026-01-31",
      "2026-02-28",
      "2028-02-29",
      "2000-02-29",
      "2026-04-30",
      "2026-12-31T23:59:59Z",
    ])
      assert.equal(isCalendarDate(ok), true, ok);
    for (const bad of [
      "2026-02-29",
      "2026-02-30",
      "1900-02-29",
      "2100-02-29",
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "x",
    ])
      assert.equal(isCalendarDate(bad), false, bad);
  });
});
