// The identity provider of the stack and unit tests (issue 25): one in-process test issuer per test
// process (harness/test-issuer.ts: keys made with jose, JWKS over real HTTP), tokens for any user
// id on demand, so that files keep their own unique users while every function verifies for real.
// The real Keycloak is exercised where it matters (test/auth, the page's sign-in): its realm has only
// alice and bob, and a test needs users no other file touches.
//
//   const auth = await testAuth();
//   const system = await startSystem({ env: { ...pipeline.env, ...auth.env } });
//   await fetch(url, { headers: await auth.headers(userId) });
import { createHmac, randomUUID } from "node:crypto";
import { base64url, UnsecuredJWT } from "jose";
import * as v from "valibot";
import { type Auth, authFields, createAuth } from "../functions/shared/auth/index.ts";
import { parseEnv } from "../functions/shared/config.ts";
import { createLogger, type Logger } from "../functions/shared/logging.ts";
import { AUDIENCE, makeKey, startTestIssuer, type TestIssuer } from "./test-issuer.ts";

/** The scopes of a shopper signed in on the page, and of the service client (the realm's). */
export const SHOPPER_SCOPE = "openid purchases:read purchases:write";
export const SERVICE_SCOPE = "purchases:read purchases:admin";

export interface TestAuth {
  issuer: TestIssuer;
  /** The AUTH_* variables that point a function at this issuer (AUTH_MODE on). */
  env: Record<string, string>;
  /** A shopper's access token: `sub` = userId, `preferred_username` = name (default the id). */
  token(userId: string, opts?: { name?: string; scope?: string }): Promise<string>;
  /** `{ Authorization: "Bearer …" }` for that shopper. */
  headers(userId: string, opts?: { name?: string; scope?: string }): Promise<Record<string, string>>;
  /** A client-credentials token of the service client (`azp` purchases-service), admin scope by default. */
  serviceToken(scope?: string): Promise<string>;
}

let shared: Promise<TestAuth> | undefined;

/** This process's test issuer, started at the first call. */
export function testAuth(): Promise<TestAuth> {
  shared ??= start();
  return shared;
}

async function start(): Promise<TestAuth> {
  const issuer = await startTestIssuer([await makeKey("test-key-1")]);
  const token: TestAuth["token"] = (userId, { name = userId, scope = SHOPPER_SCOPE } = {}) =>
    issuer.sign({ sub: userId, preferred_username: name, scope, azp: "purchases-web" });
  return {
    issuer,
    env: {
      AUTH_MODE: "on",
      AUTH_ISSUER: issuer.issuer,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_AUDIENCE: "purchases",
    },
    token,
    headers: async (userId, opts) => ({ Authorization: `Bearer ${await token(userId, opts)}` }),
    serviceToken: (scope = SERVICE_SCOPE) =>
      issuer.sign({
        sub: "service-account-purchases-service",
        preferred_username: "service-account-purchases-service",
        scope,
        azp: "purchases-service",
      }),
  };
}

/**
 * The middleware as a function's server.ts builds it, from AUTH_* variables (`auth.env`, or
 * `{AUTH_MODE: "off"}`): for the unit tier's in-process apps.
 */
export function authFor(env: Record<string, string>, logger: Logger = createLogger("silent")): Auth {
  return createAuth(parseEnv(v.object(authFields), env), { logger });
}

/** One way a request's token is refused: what a protected route must answer for it. */
export interface BadTokenCase {
  name: string;
  /** The request's Authorization header (none for "no token"). */
  headers(): Promise<Record<string, string>>;
  status: 401 | 403;
  error: "missing_token" | "invalid_token" | "insufficient_scope";
  /** The whole WWW-Authenticate header expected. */
  challenge: RegExp;
}

const INVALID = /^Bearer realm="purchases", error="invalid_token", error_description="[^"\\]+"$/;

/**
 * The bad-token matrix of issue 25 for a route that needs `scope`, as `userId` would call it: every
 * token that must be refused whatever the route (the route-specific "another user's token" is the
 * test's). Keys are made here: the test issuer's for claims that are wrong, fresh ones for a
 * signature that is.
 */
export function badTokens(
  auth: TestAuth,
  { userId, scope }: { userId: string; scope: string },
): BadTokenCase[] {
  const { issuer } = auth;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ sub: userId, preferred_username: userId, scope: `${SHOPPER_SCOPE} ${scope}` });
  const bearer = async (token: string | Promise<string>) => ({ Authorization: `Bearer ${await token}` });
  const invalid = (name: string, token: () => Promise<string> | string): BadTokenCase => ({
    name,
    headers: async () => bearer(token()),
    status: 401,
    error: "invalid_token",
    challenge: INVALID,
  });
  return [
    {
      name: "no token",
      headers: async () => ({}),
      status: 401,
      error: "missing_token",
      challenge: /^Bearer realm="purchases"$/,
    },
    invalid("expired", () => issuer.sign({ ...claims(), exp: now() - 120, iat: now() - 600 })),
    invalid("nbf in the future", () => issuer.sign({ ...claims(), nbf: now() + 120 })),
    invalid("from another issuer", () =>
      issuer.sign({ ...claims(), iss: "http://127.0.0.1:1/realms/other" }),
    ),
    invalid("for another audience", () => issuer.sign({ ...claims(), aud: "account" })),
    invalid("unsigned (alg none)", () =>
      new UnsecuredJWT({
        ...claims(),
        iss: issuer.issuer,
        aud: AUDIENCE,
        exp: now() + 60,
        typ: "Bearer",
      }).encode(),
    ),
    invalid("HS256 signed with the issuer's public key", () => hs256WithPublicKey(issuer, claims())),
    invalid("signed by an unknown key (kid)", async () =>
      issuer.sign(claims(), { key: await makeKey(`stranger-${randomUUID()}`) }),
    ),
    invalid("without a subject", () => issuer.sign({ ...claims(), sub: undefined })),
    invalid("an ID token (payload typ ID)", () => issuer.sign({ ...claims(), typ: "ID" })),
    invalid("garbage", () => "not.a.token"),
    {
      name: "without the scope",
      headers: async () => bearer(issuer.sign({ ...claims(), scope: "openid profile" })),
      status: 403,
      error: "insufficient_scope",
      challenge: new RegExp(`^Bearer realm="purchases", error="insufficient_scope", scope="${scope}"$`),
    },
  ];
}

/** The algorithm-confusion token: HS256 keyed with the published public key (CVE-2026-22817's kind). */
function hs256WithPublicKey(issuer: TestIssuer, claims: Record<string, unknown>) {
  const key = issuer.published[0];
  const now = Math.floor(Date.now() / 1000);
  const header = base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid: key?.kid }));
  const payload = base64url.encode(
    JSON.stringify({ ...claims, iss: issuer.issuer, aud: AUDIENCE, exp: now + 60, typ: "Bearer" }),
  );
  const sig = createHmac("sha256", JSON.stringify(key?.publicJwk))
    .update(`${header}.${payload}`)
    .digest("base64url");
  return `${header}.${payload}.${sig}`;
}

/**
 * `count` shoppers `<prefix><i>` with their Authorization headers, signed up front (the bench's load
 * and the campaigns must not time the signing): `at(i)` is shopper `i % count`.
 */
export async function shopperPool(prefix: string, count: number) {
  const auth = await testAuth();
  const pool = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const user = `${prefix}${i}`;
      return { user, headers: await auth.headers(user) };
    }),
  );
  return { at: (i: number) => pool[i % count] as { user: string; headers: Record<string, string> } };
}
