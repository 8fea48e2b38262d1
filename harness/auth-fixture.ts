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

/**
 * Sender identity (purchase-persist, issue 25): the KafkaSource's client and subject. In a cluster the
 * subject is the source's service account; the test issuer and the local realm give the same `aud`.
 */
export const SENDER = {
  audience: "purchase-persist",
  subject: "system:serviceaccount:purchases:purchases-source-oidc-sources.knative.dev-kafkasource",
  clientId: "purchases-source",
  clientSecret: "purchases-source-test-secret",
} as const;

export interface TestAuth {
  issuer: TestIssuer;
  /** The AUTH_* variables that point a function at this issuer (AUTH_MODE on). */
  env: Record<string, string>;
  /** A shopper's access token: `sub` = userId, `preferred_username` = name (default the id). */
  token(userId: string, opts?: { name?: string; scope?: string }): Promise<string>;
  /**
   * `{ Authorization: "Bearer …" }` for a shopper signed in for a long load (the fault campaign):
   * one token per user, signed again a minute before it expires (tokens live 5 minutes), as a
   * page renews its session.
   */
  session(userId: string): Promise<Record<string, string>>;
  /** `{ Authorization: "Bearer …" }` for that shopper. */
  headers(userId: string, opts?: { name?: string; scope?: string }): Promise<Record<string, string>>;
  /** A client-credentials token of the service client (`azp` purchases-service), admin scope by default. */
  serviceToken(scope?: string): Promise<string>;
  /**
   * Sender identity ON against this issuer: the SENDER_* of purchase-persist and the token endpoint
   * and client of the local dispatcher (each process reads only its own), for startSystem's env.
   */
  senderEnv: Record<string, string>;
  /** A sender token as a Kubernetes service account's looks: no scope, no `typ`; claims overridable. */
  senderToken(claims?: Record<string, unknown>): Promise<string>;
}

/** The local realm's source client (scripts/keycloak/purchases-realm.json; the secret is local-only). */
export const LOCAL_SENDER = {
  clientId: "purchases-source",
  clientSecret: "purchases-source-local-secret",
  /** Its service account's fixed user id: the `sub` of its tokens. */
  subject: "5e7a0c31-9b2d-4e6f-8a14-5e5e1ce00002",
} as const;

/**
 * Sender identity ON against the local Keycloak (`issuer`: its realm URL, harness/keycloak.ts
 * localIssuer()): the SENDER_* of purchase-persist and the dispatcher's KAFKA_SOURCE_OIDC_*.
 */
export const localSenderEnv = (issuer: string): Record<string, string> => ({
  SENDER_AUTH: "on",
  SENDER_ISSUER: issuer,
  SENDER_AUDIENCE: SENDER.audience,
  SENDER_SUBJECTS: LOCAL_SENDER.subject,
  KAFKA_SOURCE_OIDC_TOKEN_URL: `${issuer}/protocol/openid-connect/token`,
  KAFKA_SOURCE_OIDC_CLIENT_ID: LOCAL_SENDER.clientId,
  KAFKA_SOURCE_OIDC_CLIENT_SECRET: LOCAL_SENDER.clientSecret,
});

let shared: Promise<TestAuth> | undefined;

/** This process's test issuer, started at the first call. */
export function testAuth(): Promise<TestAuth> {
  shared ??= start();
  return shared;
}

async function start(): Promise<TestAuth> {
  const issuer = await startTestIssuer([await makeKey("test-key-1")]);
  issuer.addClient(SENDER.clientId, {
    secret: SENDER.clientSecret,
    sub: SENDER.subject,
    audience: SENDER.audience,
    ttlS: 300,
  });
  const token: TestAuth["token"] = (userId, { name = userId, scope = SHOPPER_SCOPE } = {}) =>
    issuer.sign({ sub: userId, preferred_username: name, scope, azp: "purchases-web" });
  const sessions = new Map<string, { headers: Promise<Record<string, string>>; renewAt: number }>();
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
    session: (userId) => {
      let held = sessions.get(userId);
      if (!held || held.renewAt < Date.now()) {
        const headers = token(userId).then((t) => ({ Authorization: `Bearer ${t}` }));
        held = { headers, renewAt: Date.now() + 240_000 };
        sessions.set(userId, held);
      }
      return held.headers;
    },
    serviceToken: (scope = SERVICE_SCOPE) =>
      issuer.sign({
        sub: "service-account-purchases-service",
        preferred_username: "service-account-purchases-service",
        scope,
        azp: "purchases-service",
      }),
    senderEnv: {
      SENDER_AUTH: "on",
      SENDER_ISSUER: issuer.issuer,
      SENDER_JWKS_URL: issuer.jwksUrl,
      SENDER_AUDIENCE: SENDER.audience,
      SENDER_SUBJECTS: SENDER.subject,
      KAFKA_SOURCE_OIDC_TOKEN_URL: issuer.tokenUrl,
      KAFKA_SOURCE_OIDC_CLIENT_ID: SENDER.clientId,
      KAFKA_SOURCE_OIDC_CLIENT_SECRET: SENDER.clientSecret,
    },
    senderToken: (claims = {}) =>
      issuer.sign(
        {
          aud: [SENDER.audience],
          sub: SENDER.subject,
          scope: undefined,
          typ: undefined,
          preferred_username: undefined,
          "kubernetes.io": {
            namespace: "purchases",
            serviceaccount: { name: "purchases-source-oidc-sources.knative.dev-kafkasource" },
          },
          ...claims,
        },
        { header: { typ: undefined } },
      ),
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
