// POST /buy's input checks in-process: every bad input is refused before anything is sent, with
// tokens verified (the buyer is the token's user) and with AUTH_MODE=off (the seeds' body). The
// producer is the app's injected `Pick<Producer, "send">`; here a stand-in that records what it is
// given, so a refused request that reached it fails the test. The broker path (the record, its
// headers, a refusal producing nothing on a real topic) is app.test.ts; the broker outage is
// app.serial.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authFor, testAuth } from "../../harness/auth-fixture.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp, MAX_BODY_BYTES } from "./app.ts";

const sent: unknown[] = [];
const tokens = await testAuth();
const CALLER = "a";
const callerHeaders = await tokens.headers(CALLER, { name: "Alice" });
const appFor = (auth: ReturnType<typeof authFor>) =>
  createApp({
    logger: createLogger("silent"),
    auth,
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
const app = appFor(authFor(tokens.env));
const openApp = appFor(authFor({ AUTH_MODE: "off" }));

/** POST /buy as CALLER (a token), or on the AUTH_MODE=off app without one. */
const buy = (body: unknown, headers: Record<string, string> = {}, on: "auth" | "open" = "auth") =>
  (on === "auth" ? app : openApp).request("/buy", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(on === "auth" ? callerHeaders : {}), ...headers },
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
    ["body is an empty array", [], 400, /body/],
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

  // With a token the buyer is the token's: a body without user_id or username is a purchase.
  const needsBuyerInBody = new Set(["missing user_id", "missing username", "empty object"]);
  for (const on of ["auth", "open"] as const) {
    const cases = bad.filter(([name]) => on === "open" || !needsBuyerInBody.has(name));
    test(`When any of ${cases.length} bad inputs is sent (${on === "auth" ? "with a token" : "AUTH_MODE=off"}), then a JSON 4xx naming the problem and nothing is sent`, async (t) => {
      for (const [name, body, status, message, headers] of cases) {
        await t.test(name, async () => {
          const res = await buy(body, headers, on);
          assert.equal(res.status, status);
          const json = await res.json();
          assert.equal(typeof json.error, "string");
          assert.match(json.message, message);
        });
      }
      const huge = await buy({ username: "a".repeat(MAX_BODY_BYTES), user_id: "a" }, {}, on);
      assert.equal(huge.status, 413);
      assert.equal((await huge.json()).error, "payload_too_large");
      const noType = await buy("{}", { "Content-Type": "" }, on);
      assert.equal(noType.status, 415);
      assert.deepEqual(sent, [], "a rejected request reached the producer");
    });
  }
});

describe("POST /buy: the buyer", () => {
  const purchaseOf = async (res: Response) => {
    const body = await res.json();
    assert.equal(res.status, 202, JSON.stringify(body));
    return body.purchase as { user_id: string; username: string };
  };
  const lastSent = () =>
    JSON.parse((sent.pop() as { messages: { value: string }[] }).messages[0]?.value ?? "");

  test("When a token is sent with an empty body, then the purchase is the token's user and name", async () => {
    const purchase = await purchaseOf(await buy({}));
    assert.deepEqual([purchase.user_id, purchase.username], [CALLER, "Alice"]);
    assert.deepEqual([lastSent().user_id, sent.length], [CALLER, 0]);
  });

  test("When the body names the caller (by id or as me) and another username, then the token's name is used", async () => {
    for (const user_id of [CALLER, "me"]) {
      const purchase = await purchaseOf(await buy({ user_id, username: "Someone Else" }));
      assert.deepEqual([purchase.user_id, purchase.username], [CALLER, "Alice"]);
      lastSent();
    }
  });

  test("When the body's user_id names another user, then 403 forbidden and nothing is produced", async () => {
    for (const headers of [
      callerHeaders,
      { Authorization: `Bearer ${await tokens.serviceToken("purchases:write purchases:admin")}` },
    ]) {
      const res = await buy({ user_id: "b", username: "b" }, headers);
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error, "forbidden");
    }
    assert.deepEqual(sent, []);
  });

  test("When AUTH_MODE=off, then the body names the buyer as in the seeds and user_id is required", async () => {
    const purchase = await purchaseOf(await buy({ user_id: "b", username: "Bob" }, {}, "open"));
    assert.deepEqual([purchase.user_id, purchase.username], ["b", "Bob"]);
    lastSent();
    assert.equal((await buy({ username: "Bob" }, {}, "open")).status, 400);
    assert.deepEqual(sent, []);
  });

  test("When the same Idempotency-Key is sent by two users, then two different purchases", async () => {
    const key = { "Idempotency-Key": "k-1" };
    const mine = await purchaseOf(await buy({}, key));
    const theirs = await purchaseOf(await buy({}, { ...key, ...(await tokens.headers("b")) }));
    assert.notEqual((mine as unknown as { id: string }).id, (theirs as unknown as { id: string }).id);
    sent.length = 0;
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
