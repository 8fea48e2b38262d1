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
