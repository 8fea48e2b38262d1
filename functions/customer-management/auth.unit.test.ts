// The management API's protected routes with bad tokens (issue 25): the matrix of
// harness/auth-fixture.ts, another user's token, and the admin scope. Every case here is refused
// before a handler runs, so the app has no database (a request reaching it would fail the test).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Collection, MongoClient } from "mongodb";
import { authFor, badTokens, testAuth } from "../../harness/auth-fixture.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import type { PurchaseDoc } from "../shared/purchase.ts";
import { createApp } from "./app.ts";

const tokens = await testAuth();
const app = createApp({
  logger: createLogger("silent"),
  registry: createRegistry({ service: "customer-management", defaultMetrics: false }),
  auth: authFor(tokens.env),
  client: {} as MongoClient,
  collection: {} as Collection<PurchaseDoc>,
  timeoutMs: 1000,
  groupState: async () => undefined,
});

const ROUTES = [
  { path: "/purchases/owner-1", scope: "purchases:read", other: "forbidden" },
  { path: "/api/purchases/owner-1", scope: "purchases:read", other: "forbidden" },
  { path: "/api/purchases", scope: "purchases:admin", other: "insufficient_scope" },
] as const;

for (const route of ROUTES) {
  describe(`GET ${route.path}: bad tokens`, () => {
    for (const bad of badTokens(tokens, { userId: "owner-1", scope: route.scope })) {
      test(`When the token is ${bad.name}, then ${bad.status} ${bad.error} with its challenge`, async () => {
        const res = await app.request(route.path, { headers: await bad.headers() });
        const body = await res.json();
        assert.equal(res.status, bad.status, JSON.stringify(body));
        assert.equal(body.error, bad.error);
        assert.match(res.headers.get("www-authenticate") ?? "", bad.challenge);
      });
    }

    test(`When another shopper's token is sent, then 403 ${route.other}`, async () => {
      const res = await app.request(route.path, { headers: await tokens.headers("owner-2") });
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error, route.other);
    });
  });
}

describe("the admin scope", () => {
  test("When a service token without purchases:admin reads another user's purchases, then 403 forbidden", async () => {
    const token = await tokens.serviceToken("purchases:read");
    for (const path of ["/purchases/owner-1", "/api/purchases/owner-1"]) {
      const res = await app.request(path, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 403, path);
      assert.equal((await res.json()).error, "forbidden");
    }
  });
});
