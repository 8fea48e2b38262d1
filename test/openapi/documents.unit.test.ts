import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { Collection, MongoClient } from "mongodb";
import { createApp as createBuy } from "../../functions/buy/app.ts";
import { publicApiDocument } from "../../functions/buy/openapi.ts";
import { createApp as createCustomerManagement } from "../../functions/customer-management/app.ts";
import { managementApiDocument } from "../../functions/customer-management/openapi.ts";
import { createApp as createItems } from "../../functions/items/app.ts";
import { ERROR_CATALOG, type ErrorCode } from "../../functions/shared/errors.ts";
import type { Admin } from "../../functions/shared/kafka.ts";
import { createLogger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { errorDescriptions, toOpenApiPath } from "../../functions/shared/openapi.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { createApp as createUserPurchases } from "../../functions/user-purchases/app.ts";
import { authFor, testAuth } from "../../harness/auth-fixture.ts";

// Apps built only to list their routes and serve their documents: no request reaches a dependency
// (a protected route is refused before its handler: no token is sent here).
const tokens = await testAuth();
const base = () => ({
  logger: createLogger("silent"),
  registry: createRegistry({ service: "t", defaultMetrics: false }),
  auth: authFor(tokens.env),
});
const buy = createBuy({
  ...base(),
  producer: { send: async () => [] },
  admin: {} as Admin,
  topic: "t",
  timeoutMs: 1000,
});
const items = createItems(base());
const userPurchases = createUserPurchases({
  ...base(),
  managementUrl: "http://127.0.0.1:9",
  timeoutMs: 1000,
});
const customerManagement = createCustomerManagement({
  ...base(),
  client: {} as MongoClient,
  collection: {} as Collection<PurchaseDoc>,
  timeoutMs: 1000,
  groupState: async () => undefined,
});

const OPERATIONAL = new Set(["/metrics", "/livez", "/readyz"]);
/** "GET /path/{param}" for each handler an app registers, minus middleware and operational routes. */
const operations = (app: { routes: { method: string; path: string }[] }, only?: (path: string) => boolean) =>
  new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && !OPERATIONAL.has(r.path) && (only?.(r.path) ?? true))
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
  );
const documented = (doc: { paths: Record<string, object> }) =>
  new Set(
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );

const documents = {
  public: publicApiDocument({ maxBodyBytes: 16 * 1024 }),
  management: managementApiDocument(),
};

describe("OpenAPI documents", () => {
  for (const [name, doc] of Object.entries(documents)) {
    test(`When the ${name} document is validated, then it is valid OpenAPI 3.1 and every $ref resolves`, async () => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc));
      assert.deepEqual(result.errors ?? [], []);
      assert.equal(result.valid, true);
      assert.equal(validator.version, "3.1");
      assert.doesNotThrow(() => validator.resolveRefs());
    });
  }

  test("When the public apps' routes are listed, then exactly the routes behind the gateway are documented", () => {
    // The gateway routes /items to items, /getAllUserBuys/* to user-purchases and the rest to buy.
    const routed = new Set([
      ...operations(buy),
      ...operations(items, (p) => p === "/items"),
      ...operations(userPurchases, (p) => p.startsWith("/getAllUserBuys/")),
    ]);
    assert.deepEqual(documented(documents.public), routed);
  });

  test("When the management app's routes are listed, then exactly those are documented", () => {
    assert.deepEqual(documented(documents.management), operations(customerManagement));
  });

  test("When an operation is documented, then its 500 and every error status have the error schema", () => {
    for (const doc of Object.values(documents)) {
      for (const item of Object.values(doc.paths) as Record<string, { responses: object }>[]) {
        for (const op of Object.values(item)) {
          const responses = op.responses as Record<string, { content: Record<string, { schema: object }> }>;
          assert.deepEqual(responses["500"]?.content["application/json"]?.schema, {
            $ref: "#/components/schemas/Error",
          });
        }
      }
    }
  });
});

describe("OpenAPI security", () => {
  const PROTECTED = {
    public: { "POST /buy": ["purchases:write"], "GET /getAllUserBuys/{user_id}": ["purchases:read"] },
    management: {
      "GET /purchases/{user_id}": ["purchases:read"],
      "GET /api/purchases/{userId}": ["purchases:read"],
      "GET /api/purchases": ["purchases:admin"],
    },
  };
  type Op = {
    security?: Record<string, string[]>[];
    responses: Record<string, Response & { headers?: object }>;
  };
  const ops = (doc: { paths: Record<string, object> }) =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Op>).map(
        ([m, op]) => [`${m.toUpperCase()} ${path}`, op] as const,
      ),
    );

  for (const [name, doc] of Object.entries(documents)) {
    test(`When the ${name} document is read, then bearerAuth is a JWT bearer scheme describing the scopes`, () => {
      const scheme = doc.components.securitySchemes.bearerAuth;
      assert.equal(scheme.type, "http");
      assert.equal(scheme.scheme, "bearer");
      assert.equal(scheme.bearerFormat, "JWT");
      for (const scope of ["purchases:read", "purchases:write", "purchases:admin"])
        assert.ok(scheme.description.includes(scope), scope);
    });

    test(`When the ${name} document lists its operations, then exactly the protected ones declare bearerAuth with their scope, the rest security: []`, () => {
      const declared = Object.fromEntries(
        ops(doc)
          .filter(([, op]) => (op.security ?? []).length > 0)
          .map(([key, op]) => [key, op.security?.[0]?.bearerAuth]),
      );
      assert.deepEqual(declared, PROTECTED[name as keyof typeof PROTECTED]);
      for (const [key, op] of ops(doc)) assert.ok(Array.isArray(op.security), `${key} declares security`);
    });

    test(`When a protected operation of the ${name} document is read, then it has 401 and 403 with the challenge, and a 503 with Retry-After`, () => {
      for (const [key, op] of ops(doc).filter(([, o]) => (o.security ?? []).length > 0)) {
        for (const status of ["401", "403"]) {
          const r = op.responses[status];
          assert.ok(r, `${key} ${status}`);
          assert.ok(r.headers && "WWW-Authenticate" in r.headers, `${key} ${status} WWW-Authenticate`);
        }
        assert.match(op.responses["401"]?.description ?? "", /`missing_token`.*`invalid_token`/);
        assert.match(op.responses["403"]?.description ?? "", /`insufficient_scope`/);
        assert.match(op.responses["503"]?.description ?? "", /`identity_provider_unavailable`/);
      }
    });
  }

  test("When each documented operation is called without a token, then exactly the protected ones answer 401 missing_token", async () => {
    const apps = { public: [buy, items, userPurchases], management: [customerManagement] };
    for (const [name, doc] of Object.entries(documents)) {
      for (const [key, op] of ops(doc)) {
        const [method, path] = key.split(" ") as [string, string];
        const url = path.replace(/\{[^}]+\}/g, "someone");
        const app = apps[name as keyof typeof apps].find((a) =>
          a.routes.some((r) => r.method === method && toOpenApiPath(r.path) === path),
        );
        assert.ok(app, key);
        const res = await app.request(url, { method, ...(method === "POST" ? { body: "{}" } : {}) });
        const isProtected = (op.security ?? []).length > 0;
        if (isProtected) {
          assert.equal(res.status, 401, key);
          assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="purchases"', key);
        } else if (path !== "/health") assert.notEqual(res.status, 401, key);
      }
    }
  });
});

type Response = { description: string; content?: Record<string, { schema?: { $ref?: string } }> };

describe("OpenAPI error descriptions", () => {
  test("When an operation answers error codes, then each status is described by the catalog's meanings", () => {
    const { validation_failed, invalid_json, internal } = ERROR_CATALOG;
    assert.deepEqual(errorDescriptions({ validation_failed: true, invalid_json: "A note." }), {
      400: `\`validation_failed\`: ${validation_failed.meaning} \`invalid_json\`: ${invalid_json.meaning} A note.`,
      500: `\`internal\`: ${internal.meaning}`,
    });
  });

  test("When a document describes an error status, then every code it names is the catalog's with that status", () => {
    for (const doc of Object.values(documents)) {
      for (const item of Object.values(doc.paths) as Record<string, { responses: object }>[]) {
        for (const op of Object.values(item)) {
          for (const [status, r] of Object.entries(op.responses as Record<string, Response>)) {
            // A 503 /health is a documented answer of its own, not an error.
            if (r.content?.["application/json"]?.schema?.$ref !== "#/components/schemas/Error") continue;
            const codes = [...r.description.matchAll(/`([a-z_]+)`: /g)].map((m) => m[1] as ErrorCode);
            assert.ok(codes.length > 0, `${status}: ${r.description}`);
            for (const code of codes) assert.equal(ERROR_CATALOG[code]?.status, Number(status), code);
          }
        }
      }
    }
  });
});

describe("GET /openapi.json and GET /docs", () => {
  for (const [name, app, doc] of [
    ["buy", buy, documents.public],
    ["customer-management", customerManagement, documents.management],
  ] as const) {
    test(`When ${name} is asked for /openapi.json, then it answers its document as JSON`, async () => {
      const res = await app.request("/openapi.json");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("Content-Type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
    });
  }

  test("When /docs is requested, then an HTML page whose only script is allowed by the CSP hash", async () => {
    const res = await buy.request("/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    assert.equal(scripts.length, 1);
    const hash = createHash("sha256")
      .update(scripts[0] ?? "")
      .digest("base64");
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.ok(csp.includes(`script-src 'sha256-${hash}'`), csp);
    assert.doesNotMatch(html, /https?:\/\//, "the page loads nothing from elsewhere");
  });
});
