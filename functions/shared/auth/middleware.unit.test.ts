// The bad-token matrix (issue 25) against the one middleware, in-process: keys made here with jose,
// their JWKS served over real HTTP by a node:http server on port 0 (harness/test-issuer.ts).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { base64url, UnsecuredJWT } from "jose";
import * as v from "valibot";
import { makeKey, startTestIssuer, type TestIssuer } from "../../../harness/test-issuer.ts";
import { createBaseApp } from "../app.ts";
import { ConfigError, parseEnv } from "../config.ts";
import { createLogger } from "../logging.ts";
import { createRegistry } from "../metrics.ts";
import {
  type AuthConfig,
  authFields,
  createAuth,
  createKeySource,
  type KeySource,
  ownerOf,
} from "./index.ts";

const configFor = (issuer: TestIssuer, env: Record<string, string> = {}): AuthConfig =>
  parseEnv(v.object(authFields), { AUTH_ISSUER: issuer.issuer, ...env });

function appFor(config: AuthConfig, keys?: KeySource) {
  const lines: string[] = [];
  const logger = createLogger("info", {}, (l) => lines.push(l));
  const auth = createAuth(config, { logger, ...(keys ? { keys } : {}) });
  const app = createBaseApp({ logger, registry: createRegistry({ service: "t", defaultMetrics: false }) });
  app.get("/me", auth.require("purchases:read"), (c) => c.json(c.var.identity));
  app.post("/buy", auth.require("purchases:write"), (c) => c.json({ user: c.var.identity?.userId }));
  app.get("/buys/:user_id", auth.require("purchases:read"), (c) =>
    c.json({ user: ownerOf(c.var.identity, c.req.param("user_id"), { adminScope: "purchases:admin" }) }),
  );
  return { app, lines };
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

let iss: TestIssuer;
let app: ReturnType<typeof appFor>["app"];
const now = () => Math.floor(Date.now() / 1000);

async function expect401(res: Response, reason: RegExp) {
  const body = await res.json();
  assert.equal(res.status, 401, JSON.stringify(body));
  assert.equal(body.error, "invalid_token");
  assert.match(body.message, reason);
  const challenge = res.headers.get("www-authenticate") ?? "";
  assert.match(challenge, /^Bearer realm="purchases", error="invalid_token", error_description="[^"\\]*"$/);
}

before(async () => {
  iss = await startTestIssuer([await makeKey("rsa-1"), await makeKey("ec-1", "ES256")]);
  app = appFor(configFor(iss), createKeySource({ issuer: iss.issuer, timeoutMs: 1000, cooldownMs: 0 })).app;
});
after(() => iss.close());

describe("bearer token matrix", () => {
  test("When a valid access token with the scope is sent, then 200 and the identity is on the context", async () => {
    const res = await app.request("/me", bearer(await iss.sign()));
    assert.equal(res.status, 200);
    const identity = await res.json();
    assert.equal(identity.userId, "user-1");
    assert.equal(identity.name, "alice");
    assert.equal(identity.clientId, undefined);
  });

  test("When an ES256 token or an RFC 9068 at+jwt token is sent, then it verifies", async () => {
    const es = await iss.sign({}, { key: iss.published[1] });
    assert.equal((await app.request("/me", bearer(es))).status, 200);
    const at = await iss.sign({ typ: undefined, client_id: "cli" }, { header: { typ: "at+jwt" } });
    const res = await app.request("/me", bearer(at));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).clientId, "cli");
  });

  test("When no token is sent, then 401 missing_token with a bare Bearer challenge", async () => {
    for (const init of [{}, { headers: { Authorization: "Basic YWxpY2U6eA==" } }]) {
      const res = await app.request("/me", init);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="purchases"');
      assert.equal((await res.json()).error, "missing_token");
    }
  });

  const bad: [string, () => Promise<string>, RegExp][] = [
    ["expired", () => iss.sign({ exp: now() - 120, iat: now() - 600 }), /expired/],
    ["not yet valid (nbf in the future)", () => iss.sign({ nbf: now() + 120 }), /nbf/],
    ["from another issuer", () => iss.sign({ iss: "http://127.0.0.1:1/realms/other" }), /iss/],
    ["for another audience", () => iss.sign({ aud: "account" }), /aud/],
    ["without exp", () => iss.sign({ exp: undefined }), /exp/],
    ["without a subject", () => iss.sign({ sub: undefined }), /sub/],
    ["with an empty subject", () => iss.sign({ sub: "" }), /sub/],
    ["an ID token (Keycloak's typ ID)", () => iss.sign({ typ: "ID" }), /not an access token/],
    ["a refresh token", () => iss.sign({ typ: "Refresh" }), /not an access token/],
    [
      "an ID token by header typ",
      () => iss.sign({ typ: undefined }, { header: { typ: "id_token+jwt" } }),
      /not an access token/,
    ],
    [
      "signed by a key the issuer does not publish (unknown kid)",
      async () => iss.sign({}, { key: await makeKey("stranger") }),
      /no key/,
    ],
    [
      "signed by another key under a published kid",
      async () => iss.sign({}, { key: { ...(await makeKey("x")), kid: "rsa-1" } }),
      /signature/,
    ],
    [
      "unsigned (alg none)",
      async () =>
        new UnsecuredJWT({
          iss: iss.issuer,
          aud: "purchases",
          sub: "u",
          exp: now() + 60,
          scope: "purchases:read",
        }).encode(),
      /algorithm|malformed/,
    ],
    [
      "HS256 signed with the issuer's public key as the secret",
      async () => hs256WithPublicKey(),
      /algorithm/,
    ],
    [
      "tampered (payload changed, signature kept)",
      async () => tamper(await iss.sign(), { sub: "admin" }),
      /signature/,
    ],
  ];
  for (const [what, make, reason] of bad) {
    test(`When the token is ${what}, then 401 invalid_token`, async () => {
      await expect401(await app.request("/me", bearer(await make())), reason);
    });
  }

  test("When the token is garbage, then 401 invalid_token, never a 500", async () => {
    for (const t of [
      "abc",
      "a.b.c",
      "..",
      "e30.e30.",
      `${"x".repeat(9000)}`,
      "eyJhbGciOiJSUzI1NiJ9.e30.@@@",
    ]) {
      await expect401(await app.request("/me", bearer(t)), /malformed|too long|cannot/);
    }
    for (const header of ["Bearer", "Bearer ", "Bearer a b", "bearer\ta"]) {
      const res = await app.request("/me", { headers: { Authorization: header } });
      assert.equal(res.status, 401, header);
      assert.equal((await res.json()).error, "invalid_token", header);
    }
  });

  test("When random printable tokens are sent (property), then every answer is a 401 invalid_token", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom(..."eyJ0.-_abcXYZ019+/="), minLength: 1, maxLength: 300 }),
        async (t) => {
          const res = await app.request("/me", bearer(t));
          assert.equal(res.status, 401);
          assert.equal((await res.json()).error, "invalid_token");
        },
      ),
      { numRuns: 200 },
    );
  });

  test("When the token lacks the scope, then 403 insufficient_scope naming it", async () => {
    const res = await app.request("/buy", {
      method: "POST",
      ...bearer(await iss.sign({ scope: "purchases:read" })),
    });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "insufficient_scope");
    assert.equal(
      res.headers.get("www-authenticate"),
      'Bearer realm="purchases", error="insufficient_scope", scope="purchases:write"',
    );
  });
});

describe("owner rule", () => {
  test("When a user reads another user's data, then 403 forbidden; their own or me, 200 with their id", async () => {
    const token = await iss.sign({ sub: "alice-id" });
    const other = await app.request("/buys/bob-id", bearer(token));
    assert.equal(other.status, 403);
    assert.equal((await other.json()).error, "forbidden");
    for (const path of ["/buys/alice-id", "/buys/me"]) {
      const res = await app.request(path, bearer(token));
      assert.deepEqual([res.status, await res.json()], [200, { user: "alice-id" }]);
    }
  });

  test("When a token with the admin scope reads another user's data, then 200", async () => {
    const token = await iss.sign({ sub: "service", scope: "purchases:read purchases:admin" });
    const res = await app.request("/buys/bob-id", bearer(token));
    assert.deepEqual([res.status, await res.json()], [200, { user: "bob-id" }]);
  });

  test("When AUTH_USER_ID_CLAIM names another claim, then the user id comes from it", async () => {
    const own = appFor(configFor(iss, { AUTH_USER_ID_CLAIM: "preferred_username" })).app;
    const res = await own.request("/buys/me", bearer(await iss.sign()));
    assert.deepEqual([res.status, await res.json()], [200, { user: "alice" }]);
  });
});

describe("issuer down", () => {
  test("When the JWKS endpoint is down, then a cached key keeps verifying and an unknown kid is 503 with Retry-After", async () => {
    const issuer = await startTestIssuer([await makeKey("k1")]);
    // cacheMaxAge 0: every request would refetch, so this also shows the fallback beyond jose's cache.
    for (const cacheMaxAgeMs of [600_000, 0]) {
      const keys = createKeySource({ issuer: issuer.issuer, timeoutMs: 500, cooldownMs: 0, cacheMaxAgeMs });
      const { app: down, lines } = appFor(configFor(issuer), keys);
      assert.equal((await down.request("/me", bearer(await issuer.sign()))).status, 200);
      await issuer.down();
      try {
        assert.equal(
          (await down.request("/me", bearer(await issuer.sign()))).status,
          200,
          `cacheMaxAge ${cacheMaxAgeMs}`,
        );
        const res = await down.request("/me", bearer(await issuer.sign({}, { key: await makeKey("k2") })));
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("retry-after"), "1");
        assert.equal((await res.json()).error, "identity_provider_unavailable");
        assert.ok(lines.some((l) => l.includes("identity provider unavailable")));
      } finally {
        await issuer.up();
      }
    }
    await issuer.close();
  });

  test("When the issuer has never been reachable, then 503, and once it is, the token verifies through discovery", async () => {
    const issuer = await startTestIssuer([await makeKey("k1")]);
    const token = await issuer.sign();
    await issuer.down();
    const { app: fresh } = appFor(
      configFor(issuer),
      createKeySource({ issuer: issuer.issuer, timeoutMs: 500, cooldownMs: 0 }),
    );
    assert.equal((await fresh.request("/me", bearer(token))).status, 503);
    await issuer.up();
    assert.equal((await fresh.request("/me", bearer(token))).status, 200);
    await issuer.close();
  });

  test("When many first requests arrive at once, then the issuer is asked once", async () => {
    const issuer = await startTestIssuer([await makeKey("k1")]);
    const { app: fresh } = appFor(configFor(issuer));
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.sign()));
    const answers = await Promise.all(tokens.map((t) => fresh.request("/me", bearer(t))));
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
    assert.equal(issuer.fetches(), 1);
    await issuer.close();
  });

  test("When keys rotate, then a new kid is fetched once and the old key verifies while still published", async () => {
    const issuer = await startTestIssuer([await makeKey("old")]);
    const { app: rot } = appFor(
      configFor(issuer),
      createKeySource({ issuer: issuer.issuer, timeoutMs: 500, cooldownMs: 0 }),
    );
    const old = await issuer.sign();
    assert.equal((await rot.request("/me", bearer(old))).status, 200);
    const before = issuer.fetches();
    issuer.published = [await makeKey("new"), ...issuer.published];
    assert.equal((await rot.request("/me", bearer(await issuer.sign()))).status, 200);
    assert.equal((await rot.request("/me", bearer(old))).status, 200);
    assert.equal(issuer.fetches(), before + 1);
    await issuer.close();
  });
});

describe("configuration", () => {
  test("When AUTH_ALGORITHMS names a symmetric algorithm or none, then the config is refused naming it", () => {
    for (const alg of ["HS256", "none", "RS256,HS512"]) {
      assert.throws(
        () => parseEnv(v.object(authFields), { AUTH_ALGORITHMS: alg }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, /AUTH_ALGORITHMS.*asymmetric/);
          return true;
        },
      );
    }
  });

  test("When AUTH_MODE=off, then a warning is logged at start and requests pass with identity null", async () => {
    const { app: open, lines } = appFor(configFor(iss, { AUTH_MODE: "off" }));
    assert.ok(lines.some((l) => l.includes('"level":"warn"') && l.includes("AUTH_MODE=off")));
    const res = await open.request("/buys/anyone");
    assert.deepEqual([res.status, await res.json()], [200, { user: "anyone" }]);
    assert.equal((await open.request("/buys/me")).status, 400);
  });
});

/** The algorithm-confusion token: HS256 keyed with the public key's bytes, under a published kid. */
function hs256WithPublicKey() {
  const header = base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "rsa-1" }));
  const payload = base64url.encode(
    JSON.stringify({
      iss: iss.issuer,
      aud: "purchases",
      sub: "mallory",
      exp: now() + 60,
      scope: "purchases:read",
    }),
  );
  const secret = JSON.stringify(iss.published[0]?.publicJwk);
  const sig = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

function tamper(token: string, claims: Record<string, unknown>) {
  const [h, p, s] = token.split(".");
  const payload = { ...JSON.parse(new TextDecoder().decode(base64url.decode(p ?? ""))), ...claims };
  return `${h}.${base64url.encode(JSON.stringify(payload))}.${s}`;
}
