// POST /buy's input checks in-process: every bad input is refused before anything is sent. The
// producer is the app's injected `Pick<Producer, "send">`; here a stand-in that records what it is
// given, so a refused request that reached it fails the test. The broker path (the record, its
// headers, a refusal producing nothing on a real topic) is app.test.ts; the broker outage is
// app.serial.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp, MAX_BODY_BYTES } from "./app.ts";

const sent: unknown[] = [];
const app = createApp({
  logger: createLogger("silent"),
  registry: createRegistry({ service: "buy", defaultMetrics: false }),
  producer: {
    send: async (record) => {
      sent.push(record);
      return [];
    },
  },
  admin: { listTopics: async () => [] },
  topic: "unit-buy",
  timeoutMs: 2000,
});

const buy = (body: unknown, headers: Record<string, string> = {}) =>
  app.request("/buy", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /buy: bad input", () => {
  const long = "x".repeat(65);
  const bad: [string, unknown, number, RegExp, Record<string, string>?][] = [
    ["missing user_id", { username: "a" }, 400, /user_id/],
    ["missing username", { user_id: "a" }, 400, /username/],
    ["empty object", {}, 400, /username|user_id/],
    ["username a number", { username: 5, user_id: "a" }, 400, /username: must be a string/],
    ["user_id a number", { username: "a", user_id: 5 }, 400, /user_id: must be a string/],
    ["username null", { username: null, user_id: "a" }, 400, /username/],
    ["user_id null", { username: "a", user_id: null }, 400, /user_id/],
    ["username an array", { username: ["a"], user_id: "a" }, 400, /username/],
    ["user_id an object", { username: "a", user_id: {} }, 400, /user_id/],
    ["$gt operator as user_id", { username: "a", user_id: { $gt: "" } }, 400, /user_id: must be a string/],
    [
      "$ne operator as username",
      { username: { $ne: null }, user_id: "a" },
      400,
      /username: must be a string/,
    ],
    ["$-prefixed extra key", { username: "a", user_id: "a", $where: "1" }, 400, /\$where/],
    ["unknown extra field", { username: "a", user_id: "a", admin: true }, 400, /admin/],
    ["empty username", { username: "", user_id: "a" }, 400, /username: must not be empty/],
    ["blank username", { username: "   ", user_id: "a" }, 400, /username: must not be empty/],
    ["username too long", { username: long, user_id: "a" }, 400, /username: must be at most 64/],
    ["user_id too long", { username: "a", user_id: long }, 400, /user_id/],
    ["empty user_id", { username: "a", user_id: "" }, 400, /user_id/],
    ["user_id with space", { username: "a", user_id: "a b" }, 400, /user_id/],
    ["user_id with slash", { username: "a", user_id: "a/b" }, 400, /user_id/],
    ["user_id with $", { username: "a", user_id: "$a" }, 400, /user_id/],
    ["user_id with unicode", { username: "a", user_id: "ünï" }, 400, /user_id/],
    ["username with newline", { username: "a\nb", user_id: "a" }, 400, /control characters/],
    ["username with NUL", { username: "a\u0000b", user_id: "a" }, 400, /control characters/],
    ["username with bidi override", { username: "a\u202Eb", user_id: "a" }, 400, /control characters/],
    ["username with line separator", { username: "a\u2028b", user_id: "a" }, 400, /control characters/],
    ["65 emoji username", { username: "😀".repeat(65), user_id: "a" }, 400, /at most 64/],
    ["body is null", null, 400, /body/],
    ["body is an array", [{ username: "a", user_id: "a" }], 400, /body/],
    ["body is a string", '"hello"', 400, /body/],
    ["body is a number", "42", 400, /body/],
    ["invalid JSON", "{username:", 400, /not valid JSON/],
    ["empty body", "", 400, /not valid JSON/],
    [
      "wrong content type",
      { username: "a", user_id: "a" },
      415,
      /application\/json/,
      { "Content-Type": "text/plain" },
    ],
    [
      "form content type",
      "username=a&user_id=a",
      415,
      /application\/json/,
      { "Content-Type": "application/x-www-form-urlencoded" },
    ],
    [
      "bad Idempotency-Key",
      { username: "a", user_id: "a" },
      400,
      /Idempotency-Key/,
      { "Idempotency-Key": "has space" },
    ],
  ];

  test(`When any of ${bad.length} bad inputs is sent, then a JSON 4xx naming the problem and nothing is sent`, async (t) => {
    for (const [name, body, status, message, headers] of bad) {
      await t.test(name, async () => {
        const res = await buy(body, headers);
        assert.equal(res.status, status);
        const json = await res.json();
        assert.equal(typeof json.error, "string");
        assert.match(json.message, message);
      });
    }
    const huge = await buy({ username: "a".repeat(MAX_BODY_BYTES), user_id: "a" });
    assert.equal(huge.status, 413);
    assert.equal((await huge.json()).error, "payload_too_large");
    const noType = await app.request("/buy", { method: "POST", body: "{}" });
    assert.equal(noType.status, 415);
    assert.deepEqual(sent, [], "a rejected request reached the producer");
  });
});

describe("GET /", () => {
  test("When / is requested, then service metadata lists the public endpoints", async () => {
    const body = await (await app.request("/")).json();
    assert.equal(body.name, "purchase-api");
    assert.ok(body.endpoints.includes("POST /buy"));
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  });
});
