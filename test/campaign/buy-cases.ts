// Malformed POST /buy requests, through the gateway as the web page sends them, with mallory's token
// (bad-input.test.ts adds it): the body is what is refused. A body without user_id or username is a
// purchase when a token names the buyer, so those go without one: 401 whatever the body.
import { BOM, type Case, concat, json, NOT_STRINGS, type Rng, utf8, utf16 } from "./cases.ts";

const VALID = { username: "Mallory", user_id: "mallory" };
const JSON_TYPE = { "Content-Type": "application/json" };

export function buyCases(rng: Rng): Case[] {
  const cases: Omit<Case, "endpoint" | "target" | "method" | "path">[] = [];
  const add = (
    name: string,
    body: Uint8Array | undefined,
    headers: Record<string, string> = JSON_TYPE,
    extra: Partial<Case> = {},
  ) => cases.push({ name, body, headers, ...extra });
  const anonymous = { auth: false, error: "missing_token" } as const;

  for (const field of ["username", "user_id"] as const) {
    for (const value of NOT_STRINGS)
      add(`${field} is ${JSON.stringify(value)}`, json({ ...VALID, [field]: value }));
  }
  add("no fields, no token", json({}), JSON_TYPE, anonymous);
  add("username missing, no token", json({ user_id: "mallory" }), JSON_TYPE, anonymous);
  add("user_id missing, no token", json({ username: "Mallory" }), JSON_TYPE, anonymous);
  add("another user's user_id", json({ ...VALID, user_id: "alice" }), JSON_TYPE, { error: "forbidden" });
  const extras: [string, unknown][] = [
    ["$where", "sleep(1000)"],
    ["$gt", ""],
    ["price", 0],
    ["item_name", "Laptop"],
    ["id", "00000000-0000-0000-0000-000000000000"],
    ["timestamp", "2000-01-01T00:00:00Z"],
    ["user_id.$gt", ""],
    ["constructor", { prototype: { admin: true } }],
  ];
  for (const [key, value] of extras) add(`extra field ${key}`, json({ ...VALID, [key]: value }));
  add("extra field __proto__", utf8('{"username":"Mallory","user_id":"mallory","__proto__":{"admin":true}}'));

  add("username of 10k characters", json({ ...VALID, username: rng.text(10_000) }));
  add("user_id of 10k characters", json({ ...VALID, user_id: rng.text(10_000) }));
  add("body of 20 kB", json({ ...VALID, username: rng.text(20_000) }));
  add("body of 1 MB", json({ ...VALID, username: rng.text(1_000_000) }));
  add(
    "1500 extra keys",
    json({ ...VALID, ...Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i])) }),
  );
  add(
    "username nested 2000 deep",
    utf8(`{"user_id":"mallory","username":${"[".repeat(2000)}${"]".repeat(2000)}}`),
  );
  add(
    "username nested 8000 deep",
    utf8(`{"user_id":"mallory","username":${"[".repeat(8000)}${"]".repeat(8000)}}`),
  );
  add("user_id is 1e309", utf8('{"username":"Mallory","user_id":1e309}'));

  const badUserIds = [
    "",
    " ",
    "mal lory",
    "mallory/../x",
    "m\u0000",
    "ü-user",
    "a".repeat(65),
    "$gt",
    '{"$gt":""}',
    "mallory\n",
  ];
  for (const user_id of badUserIds)
    add(`user_id ${JSON.stringify(user_id.slice(0, 20))}`, json({ ...VALID, user_id }));
  const badNames = [
    "",
    "   ",
    "\u0007bell",
    "a\u202Eb",
    "x".repeat(65),
    "line\u2028break",
    "\ud800 lone surrogate",
  ];
  for (const username of badNames)
    add(`username ${JSON.stringify(username.slice(0, 20))}`, json({ ...VALID, username }));

  const malformed = [
    "",
    "{",
    "}",
    "{'username':'a','user_id':'a'}",
    "null",
    "[]",
    `[${JSON.stringify(VALID)}]`,
    "1",
    '"mallory"',
    "true",
    `${JSON.stringify(VALID)} trailing`,
    '{"username":"a","user_id":"a",}',
    '{"username":NaN,"user_id":"a"}',
    "\u0000",
  ];
  for (const text of malformed) add(`malformed JSON ${JSON.stringify(text.slice(0, 24))}`, utf8(text));

  const body = json(VALID);
  add("no Content-Type", body, {});
  for (const type of [
    "text/plain",
    "application/xml",
    "application/jsonx",
    "json",
    "multipart/form-data; boundary=x",
  ]) {
    add(`Content-Type ${type}`, body, { "Content-Type": type });
  }
  add("a form instead of JSON", utf8("username=Mallory&user_id=mallory"), {
    "Content-Type": "application/x-www-form-urlencoded",
  });

  add("random bytes", rng.bytes(64));
  add(
    "invalid UTF-8 inside a string",
    concat(utf8('{"username":"Jos'), [0xe9], utf8('","user_id":"mallory"}')),
  );
  add("overlong UTF-8 quote", concat(utf8('{"username":'), [0xc0, 0xa2], utf8('x","user_id":"mallory"}')));
  add(
    "UTF-8 encoded surrogate",
    concat(utf8('{"username":"'), [0xed, 0xa0, 0x80], utf8('","user_id":"mallory"}')),
  );
  add("UTF-16LE body", utf16(JSON.stringify(VALID)), { "Content-Type": "application/json; charset=utf-16" });
  add("UTF-16BE body", utf16(JSON.stringify(VALID), true), {
    "Content-Type": "application/json; charset=utf-16be",
  });
  add("BOM before malformed JSON", concat(BOM, utf8("{username:1}")));
  add("BOM before a wrong type", concat(BOM, json({ ...VALID, user_id: { $gt: "" } })));

  const key = (name: string, value: string) => add(name, body, { ...JSON_TYPE, "Idempotency-Key": value });
  key("empty Idempotency-Key", "");
  key("Idempotency-Key of 201 characters", rng.text(201));
  key("Idempotency-Key with a space", "click 1");
  key("Idempotency-Key with a Latin-1 byte", "caf\u00e9");

  const routed = cases.map((c) => ({
    ...c,
    endpoint: "POST /buy",
    target: "gateway" as const,
    method: "POST",
    path: "/buy",
  }));
  const methods = ["GET", "PUT", "DELETE", "PATCH"].map((method) => ({
    endpoint: "POST /buy",
    name: `${method} /buy`,
    target: "gateway" as const,
    method,
    path: "/buy",
    ...(method === "GET" ? {} : { headers: JSON_TYPE, body }),
  }));
  return [...routed, ...methods];
}
