// The local Keycloak (scripts/keycloak.sh, realm scripts/keycloak/purchases-realm.json) seen from the
// harness: its issuer address, tokens for the test shoppers and for services, and the admin REST API
// calls the tests use. Used by `npm run token` and the stack-tier auth tests.
//
// A shopper's token comes from a real Authorization Code + PKCE flow, driven headlessly: the
// authorization request, Keycloak's own login form, the code exchanged at the token endpoint, with
// the page's public client. So the CLI's token is exactly what the page gets, and no client of the
// realm enables the password grant (removed by OAuth 2.1). The login form is read with one pattern
// (its `action`), which Keycloak's default theme has kept for years; if it changes, this fails
// saying so.
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { stack } from "./stack.ts";

/** The test shoppers of the realm file, with their fixed ids and passwords (local only). */
export const SHOPPERS = {
  alice: { id: "4c3f7a52-6d0e-4b8a-9f51-0a11ce000001", password: "alice-password" },
  bob: { id: "8e2b1d94-3a7c-4f06-b5e8-000000000b0b", password: "bob-password" },
} as const;
export type Shopper = keyof typeof SHOPPERS;

export const WEB_CLIENT = "purchases-web";
export const SERVICE_CLIENT = { id: "purchases-service", secret: "purchases-service-local-secret" };
/** The service account's user id (the realm file fixes it): the `sub` of client-credentials tokens. */
export const SERVICE_SUBJECT = "5e7a0c31-9b2d-4e6f-8a14-5e5e1ce00001";
const REDIRECT_URI = "http://localhost:8080/";
// A Keycloak that has just started answers its first login page and first token requests slowly
// (JIT compilation, the login theme's templates): over 10 s on a loaded 2-core machine.
const REQUEST_TIMEOUT_MS = 30_000;

export const keycloakUrl = (env = process.env) => `http://127.0.0.1:${env.STACK_KEYCLOAK_PORT ?? "8180"}`;
/** The issuer of the local realm: the AUTH_ISSUER the functions verify against. */
export const localIssuer = (env = process.env) => `${keycloakUrl(env)}/realms/purchases`;

const b64url = (b: Buffer) => b.toString("base64url");
const form = (fields: Record<string, string>) => new URLSearchParams(fields);

async function tokenRequest(issuer: string, fields: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: "POST",
    body: form(fields),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json().catch(() => ({}))) as TokenResponse & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token)
    throw new Error(
      `token endpoint ${res.status}: ${body.error ?? ""} ${body.error_description ?? ""}`.trim(),
    );
  return body;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in: number;
  scope?: string;
}

/** A client-credentials token of the service client (scopes: its defaults plus `scope`). */
export const serviceToken = (issuer = localIssuer(), scope?: string) =>
  tokenRequest(issuer, {
    grant_type: "client_credentials",
    client_id: SERVICE_CLIENT.id,
    client_secret: SERVICE_CLIENT.secret,
    ...(scope ? { scope } : {}),
  });

/** Cookies kept across the login's requests (Keycloak's auth session). */
class CookieJar {
  #cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(";")[0] ?? "";
      const i = pair.indexOf("=");
      if (i > 0) this.#cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  header = () => [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** Signs a user in through the login form (Authorization Code + PKCE S256); returns the tokens. */
export async function userTokens(
  username: string,
  password: string,
  issuer = localIssuer(),
): Promise<TokenResponse> {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  const state = b64url(randomBytes(16));
  const jar = new CookieJar();
  const auth = new URL(`${issuer}/protocol/openid-connect/auth`);
  for (const [k, v] of Object.entries({
    client_id: WEB_CLIENT,
    response_type: "code",
    scope: "openid",
    redirect_uri: REDIRECT_URI,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }))
    auth.searchParams.set(k, v);
  const page = await fetch(auth, { redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  jar.take(page);
  const html = await page.text();
  const action = /<form[^>]*\bid="kc-form-login"[^>]*\baction="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !action)
    throw new Error(`no login form at ${auth.origin}${auth.pathname} (status ${page.status})`);
  const login = await fetch(action.replaceAll("&amp;", "&"), {
    method: "POST",
    body: form({ username, password, credentialId: "" }),
    headers: { Cookie: jar.header() },
    redirect: "manual",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const location = login.headers.get("location");
  if (login.status !== 302 || !location?.startsWith(REDIRECT_URI))
    throw new Error(`sign-in of ${username} refused (status ${login.status}): wrong user name or password?`);
  const back = new URL(location);
  if (back.searchParams.get("state") !== state)
    throw new Error("the authorization response's state does not match");
  const code = back.searchParams.get("code");
  if (!code)
    throw new Error(`no code in the authorization response: ${back.searchParams.get("error") ?? ""}`);
  return tokenRequest(issuer, {
    grant_type: "authorization_code",
    client_id: WEB_CLIENT,
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
}

/** An access token of a test shopper. */
export const shopperToken = async (who: Shopper, issuer = localIssuer()) =>
  (await userTokens(who, SHOPPERS[who].password, issuer)).access_token;

/** An admin token of the master realm (the bootstrap admin scripts/keycloak.sh creates; local only). */
export async function adminToken(env = process.env): Promise<string> {
  const res = await tokenRequest(`${keycloakUrl(env)}/realms/master`, {
    grant_type: "password", // admin-cli of the master realm: Keycloak's own admin tooling, not ours
    client_id: "admin-cli",
    username: env.STACK_KEYCLOAK_ADMIN ?? "admin",
    password: env.STACK_KEYCLOAK_ADMIN_PASSWORD ?? "admin",
  });
  return res.access_token;
}

/** A call to the admin REST API of the purchases realm. */
export async function adminApi(path: string, init: RequestInit = {}, env = process.env): Promise<Response> {
  const res = await fetch(`${keycloakUrl(env)}/admin/realms/purchases${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${await adminToken(env)}`,
      "Content-Type": "application/json",
      ...init.headers,
    },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok)
    throw new Error(`admin API ${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** Stops or starts the local Keycloak (scripts/stack.sh), for the tests that take it down. */
export const stopKeycloak = () => stack("stop", "keycloak");
export const startKeycloak = () => stack("start", "keycloak");

/** Adds an RSA signing key of a higher priority than every other: Keycloak signs with it from now on. */
export async function rotateSigningKey(name: string): Promise<{ componentId: string }> {
  const realm = (await (await adminApi("")).json()) as { id: string };
  const res = await adminApi("/components", {
    method: "POST",
    body: JSON.stringify({
      name,
      providerId: "rsa-generated",
      providerType: "org.keycloak.keys.KeyProvider",
      parentId: realm.id,
      config: {
        priority: [String(Date.now() % 1_000_000_000)],
        enabled: ["true"],
        active: ["true"],
        algorithm: ["RS256"],
      },
    }),
  });
  const componentId = res.headers.get("location")?.split("/").pop();
  if (!componentId) throw new Error("Keycloak did not say where the new key provider is");
  return { componentId };
}

export const removeKeyProvider = (componentId: string) =>
  adminApi(`/components/${componentId}`, { method: "DELETE" });

// ---------------------------------------------------------------- the page's client, for browser tests

const REALM_FILE = new URL("../scripts/keycloak/purchases-realm.json", import.meta.url);

/** The realm file's entry of a client, as imported (the page's by default). */
export async function realmClient(clientId = WEB_CLIENT): Promise<Record<string, unknown>> {
  const realm = JSON.parse(await readFile(REALM_FILE, "utf8")) as { clients: { clientId: string }[] };
  const client = realm.clients.find((c) => c.clientId === clientId);
  if (!client) throw new Error(`no client ${clientId} in ${REALM_FILE.pathname}`);
  return client;
}

export interface PageClient {
  clientId: string;
  remove: () => Promise<void>;
}

/**
 * A copy of the page's client for a page on `origin`, registered through the admin API. Keycloak 26
 * accepts a loopback redirect URI on any port, but not a web origin: the page's code exchange and
 * refresh from http://127.0.0.1:<port> are refused "Invalid origin" unless the origin is listed.
 * A test's page runs on a free port, so each test process registers its own client (the realm's
 * settings, its own origin) and removes it after; no shared client is edited concurrently.
 */
export async function registerPageClient(
  origin: string,
  opts: { accessTokenLifespanS?: number } = {},
): Promise<PageClient> {
  const base = await realmClient();
  const clientId = `${WEB_CLIENT}-test-${randomBytes(4).toString("hex")}`;
  const attributes = {
    ...(base.attributes as Record<string, string>),
    "post.logout.redirect.uris": `${origin}/*`,
    ...(opts.accessTokenLifespanS ? { "access.token.lifespan": String(opts.accessTokenLifespanS) } : {}),
  };
  const res = await adminApi("/clients", {
    method: "POST",
    body: JSON.stringify({
      ...base,
      clientId,
      name: `${base.name} (test, ${origin})`,
      redirectUris: [`${origin}/*`],
      webOrigins: [origin],
      attributes,
    }),
  });
  const id = res.headers.get("location")?.split("/").pop();
  if (!id) throw new Error("Keycloak did not say where the new client is");
  return { clientId, remove: async () => void (await adminApi(`/clients/${id}`, { method: "DELETE" })) };
}

/** Ends one session at the issuer (as an administrator's "sign out" of that session would). */
export const endSession = (sessionId: string) => adminApi(`/sessions/${sessionId}`, { method: "DELETE" });
