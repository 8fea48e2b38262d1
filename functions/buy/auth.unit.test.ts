// POST /buy with bad tokens (issue 25): the matrix of harness/auth-fixture.ts against the app
// in-process, keys and a JWKS over real HTTP from the test issuer. Nothing refused reaches the
// producer; an unreachable issuer is a 503 with Retry-After, never a 500.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authFor, badTokens, testAuth } from "../../harness/auth-fixture.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp } from "./app.ts";

const tokens = await testAuth();
const sent: unknown[] = [];
const appWith = (env: Record<string, string>) =>
  createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "buy", defaultMetrics: false }),
    auth: authFor(env),
    producer: {
      send: async (record) => {
        sent.push(record);
        return [];
      },
    },
    admin: { listTopics: async () => [] },
    topic: "unit-buy-auth",
    timeoutMs: 2000,
  });
const app = appWith(tokens.env);
const buy = (headers: Record<string, string>, body: unknown = {}, on = app) =>
  on.request("/buy", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("POST /buy: bad tokens", () => {
  for (const bad of badTokens(tokens, { userId: "buyer-1", scope: "purchases:write" })) {
    test(`When the token is ${bad.name}, then ${bad.status} ${bad.error} with its challenge and nothing is produced`, async () => {
      const res = await buy(await bad.headers());
      const body = await res.json();
      assert.equal(res.status, bad.status, JSON.stringify(body));
      assert.equal(body.error, bad.error);
      assert.match(res.headers.get("www-authenticate") ?? "", bad.challenge);
      assert.deepEqual(sent, []);
    });
  }

  test("When another user's token is sent for a body naming buyer-1, then 403 forbidden and nothing is produced", async () => {
    const res = await buy(await tokens.headers("buyer-2"), { user_id: "buyer-1" });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "forbidden");
    assert.deepEqual(sent, []);
  });

  test("When a read-only token (purchases:read) is sent, then 403 insufficient_scope", async () => {
    const res = await buy(await tokens.headers("buyer-1", { scope: "purchases:read" }));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "insufficient_scope");
  });

  test("When the issuer cannot be reached and the key was never fetched, then 503 with Retry-After, never a 500", async () => {
    const down = appWith({
      ...tokens.env,
      AUTH_JWKS_URL: "http://127.0.0.1:9/certs",
      AUTH_JWKS_TIMEOUT_MS: "500",
    });
    const res = await buy(await tokens.headers("buyer-1"), {}, down);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error, "identity_provider_unavailable");
    assert.deepEqual(sent, []);
  });

  test("When a valid shopper token is sent, then 202 as that shopper", async () => {
    const res = await buy(await tokens.headers("buyer-1", { name: "Buyer One" }));
    assert.equal(res.status, 202);
    const { purchase } = await res.json();
    assert.deepEqual([purchase.user_id, purchase.username], ["buyer-1", "Buyer One"]);
    sent.length = 0;
  });
});
