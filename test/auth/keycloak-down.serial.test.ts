// Keycloak stopped (scripts/stack.sh stop keycloak) while a function verifies: the keys it fetched
// keep verifying, a token whose key it never saw is a 503 with Retry-After, and nothing is a 500.
// Stops the shared Keycloak and starts it again.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { SignJWT } from "jose";
import {
  localIssuer,
  serviceToken,
  shopperToken,
  startKeycloak,
  stopKeycloak,
} from "../../harness/keycloak.ts";
import { makeKey } from "../../harness/test-issuer.ts";
import { keycloakApp } from "./app.ts";

describe("Keycloak stopped", () => {
  after(() => startKeycloak());

  test("When Keycloak stops, then cached keys keep verifying and an unknown kid is 503, never 500", async () => {
    // No cooldown, so that the unknown kid below does reach for the stopped issuer: with the default
    // (5 s), a kid unknown within 5 s of the last fetch is refused (401) without asking the issuer.
    const { get, lines } = keycloakApp({ cooldownMs: 0 });
    const alice = await shopperToken("alice");
    const service = (await serviceToken()).access_token;
    assert.equal((await get("/me", alice)).status, 200); // the JWKS is now cached
    await stopKeycloak();

    // A token never seen before (verified results are remembered): its key comes from the cache.
    assert.equal((await get("/me", service)).status, 200);
    assert.equal((await get("/me", alice)).status, 200);
    const stranger = await makeKey("not-keycloaks");
    const unknown = await new SignJWT({ sub: "x", aud: "purchases", scope: "purchases:read", typ: "Bearer" })
      .setProtectedHeader({ alg: "RS256", kid: stranger.kid, typ: "JWT" })
      .setIssuer(localIssuer())
      .setExpirationTime("5m")
      .sign(stranger.privateKey);
    const res = await get("/me", unknown);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error, "identity_provider_unavailable");
    assert.equal((await get("/me", "garbage")).status, 401);
    assert.ok(lines.some((l) => l.includes("identity provider unavailable")));
  });

  test("When a function starts while Keycloak is down, then its tokens are 503 until Keycloak is back", async (t) => {
    const { get, auth } = keycloakApp();
    assert.equal(await auth.warm(), false);
    const res = await get("/me", "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2ln");
    assert.equal(res.status, 503);
    await startKeycloak();
    const t0 = performance.now();
    const alice = await shopperToken("alice"); // the first sign-in of a fresh Keycloak: seconds
    t.diagnostic(`first sign-in after the start took ${Math.round(performance.now() - t0)} ms`);
    assert.equal((await get("/me", alice)).status, 200);
  });
});
