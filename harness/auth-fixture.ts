// The identity provider of the stack and unit tests (issue 25): one in-process test issuer per test
// process (harness/test-issuer.ts: keys made with jose, JWKS over real HTTP), tokens for any user
// id on demand, so that files keep their own unique users while every function verifies for real.
// The real Keycloak is exercised where it matters (test/auth, the page's sign-in): its realm has only
// alice and bob, and a test needs users no other file touches.
//
//   const auth = await testAuth();
//   const system = await startSystem({ env: { ...pipeline.env, ...auth.env } });
//   await fetch(url, { headers: await auth.headers(userId) });
import { makeKey, startTestIssuer, type TestIssuer } from "./test-issuer.ts";

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
