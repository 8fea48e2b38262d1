// GET /getAllUserBuys/:user_id with bad tokens (issue 25), `me`, and the forwarding: the caller's
// Authorization goes to the management API unchanged. The management API here is a stand-in on
// 127.0.0.1 that records what it receives and answers as customer-management would (the real one
// is functions/user-purchases/app.test.ts).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import { authFor, badTokens, testAuth } from "../../harness/auth-fixture.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp } from "./app.ts";

const tokens = await testAuth();
const received: { url: string; headers: IncomingHttpHeaders }[] = [];
let answer: { status: number; body: unknown; headers?: Record<string, string> };
const stats = { count: 0, total_spent: 0, average_price: null, min_price: null, max_price: null };
const history = (user_id: string) => ({
  user_id,
  purchases: [],
  next_cursor: null,
  stats: { ...stats, first_purchase_at: null, last_purchase_at: null, top_items: [] },
});
const management = createServer((req, res) => {
  received.push({ url: req.url ?? "", headers: req.headers });
  res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
  res.end(JSON.stringify(answer.body));
});
let app: ReturnType<typeof createApp>;

before(async () => {
  management.listen(0, "127.0.0.1");
  await once(management, "listening");
  app = createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "user-purchases", defaultMetrics: false }),
    auth: authFor(tokens.env),
    managementUrl: `http://127.0.0.1:${(management.address() as AddressInfo).port}`,
    timeoutMs: 2000,
  });
});
after(() => management.close());
beforeEach(() => {
  received.length = 0;
  answer = { status: 200, body: history("reader-1") };
});

describe("GET /getAllUserBuys/:user_id: bad tokens", () => {
  for (const bad of badTokens(tokens, { userId: "reader-1", scope: "purchases:read" })) {
    test(`When the token is ${bad.name}, then ${bad.status} ${bad.error} with its challenge and the management API is not asked`, async () => {
      const res = await app.request("/getAllUserBuys/reader-1", { headers: await bad.headers() });
      const body = await res.json();
      assert.equal(res.status, bad.status, JSON.stringify(body));
      assert.equal(body.error, bad.error);
      assert.match(res.headers.get("www-authenticate") ?? "", bad.challenge);
      assert.deepEqual(received, []);
    });
  }

  test("When another user's token is sent, then 403 forbidden and the management API is not asked", async () => {
    for (const headers of [
      await tokens.headers("reader-2"),
      // An admin service token does not widen the public API: only the caller's own.
      { Authorization: `Bearer ${await tokens.serviceToken()}` },
    ]) {
      const res = await app.request("/getAllUserBuys/reader-1", { headers });
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error, "forbidden");
    }
    assert.deepEqual(received, []);
  });
});

describe("GET /getAllUserBuys/:user_id: forwarding", () => {
  test("When the caller reads their own (by id or me), then the management API gets their id and the same Authorization", async () => {
    for (const path of ["/getAllUserBuys/reader-1", "/getAllUserBuys/me?limit=5"]) {
      const headers = await tokens.headers("reader-1");
      const res = await app.request(path, { headers });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).user_id, "reader-1");
      const [call] = received.splice(0);
      assert.match(call?.url ?? "", /^\/purchases\/reader-1\?limit=(50|5)$/);
      assert.equal(call?.headers.authorization, headers.Authorization);
    }
  });

  test("When the management API refuses the token, then its 401 or 403 and challenge pass through", async () => {
    const challenge = 'Bearer realm="purchases", error="invalid_token", error_description="expired"';
    answer = {
      status: 401,
      body: { error: "invalid_token", message: "invalid token: expired" },
      headers: { "WWW-Authenticate": challenge },
    };
    const res = await app.request("/getAllUserBuys/me", { headers: await tokens.headers("reader-1") });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), challenge);
    assert.equal((await res.json()).error, "invalid_token");
  });

  test("When the management API's identity provider is down, then its 503 passes on with Retry-After", async () => {
    answer = { status: 503, body: { error: "identity_provider_unavailable", message: "down" } };
    const res = await app.request("/getAllUserBuys/me", { headers: await tokens.headers("reader-1") });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error, "identity_provider_unavailable");
  });

  test("When AUTH_MODE=off, then any user's history is read as in the seeds and me is a 400", async () => {
    const open = createApp({
      logger: createLogger("silent"),
      registry: createRegistry({ service: "user-purchases", defaultMetrics: false }),
      auth: authFor({ AUTH_MODE: "off" }),
      managementUrl: `http://127.0.0.1:${(management.address() as AddressInfo).port}`,
      timeoutMs: 2000,
    });
    answer = { status: 200, body: history("anyone") };
    assert.equal((await open.request("/getAllUserBuys/anyone")).status, 200);
    assert.equal(received[0]?.headers.authorization, undefined);
    assert.equal((await open.request("/getAllUserBuys/me")).status, 400);
  });
});
