// The middleware against the real local Keycloak (realm scripts/keycloak/purchases-realm.json):
// client-credentials tokens, `npm run token` for a shopper, the ID token refused, key rotation
// through Keycloak's admin REST API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import {
  removeKeyProvider,
  rotateSigningKey,
  SERVICE_SUBJECT,
  SHOPPERS,
  serviceToken,
  shopperToken,
  userTokens,
} from "../../harness/keycloak.ts";
import { unique } from "../../harness/names.ts";
import { ROOT } from "../../harness/root.ts";
import { waitFor } from "../../harness/wait.ts";
import { keycloakApp } from "./app.ts";

const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).kid;

describe("tokens of the local Keycloak", () => {
  test("When a client-credentials token is sent, then it verifies as the service account with the admin scope", async () => {
    const { get } = keycloakApp();
    const { access_token } = await serviceToken();
    const res = await get("/me", access_token);
    assert.equal(res.status, 200);
    const identity = await res.json();
    assert.equal(identity.userId, SERVICE_SUBJECT);
    assert.equal(identity.clientId, "purchases-service");
    assert.ok(identity.claims.scope.split(" ").includes("purchases:admin"));
    const other = await get(`/buys/${SHOPPERS.bob.id}`, access_token);
    assert.deepEqual([other.status, await other.json()], [200, { user: SHOPPERS.bob.id }]);
  });

  test("When `npm run -s token -- alice` prints a token, then it verifies with alice's id and name", async () => {
    const { stdout } = await promisify(execFile)("npm", ["run", "-s", "token", "--", "alice"], {
      cwd: ROOT,
      env: process.env,
    });
    const { get } = keycloakApp();
    const res = await get("/me", stdout.trim());
    assert.equal(res.status, 200);
    const identity = await res.json();
    assert.equal(identity.userId, SHOPPERS.alice.id);
    assert.equal(identity.name, "alice");
    assert.equal(identity.clientId, "purchases-web");
    assert.deepEqual(identity.claims.scope.split(" ").sort(), [
      "openid",
      "profile",
      "purchases:read",
      "purchases:write",
    ]);
    const bobs = await get(`/buys/${SHOPPERS.bob.id}`, stdout.trim());
    assert.equal(bobs.status, 403);
  });

  test("When the ID token of the same sign-in is sent as a bearer token, then 401 invalid_token", async () => {
    const { id_token } = await userTokens("bob", SHOPPERS.bob.password);
    assert.ok(id_token);
    const res = await keycloakApp().get("/me", id_token);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, "invalid_token");
  });

  test("When the signing key rotates through the admin API, then new tokens verify after one JWKS refetch and old ones still do", async () => {
    const { get } = keycloakApp();
    const old = await shopperToken("alice");
    assert.equal((await get("/me", old)).status, 200); // the JWKS is now cached
    const { componentId } = await rotateSigningKey(unique("rotated"));
    try {
      const fresh = (await serviceToken()).access_token;
      assert.notEqual(kidOf(fresh), kidOf(old), "Keycloak signs with the new key");
      // Refetched on the unknown kid once the cooldown (5 s) since the last fetch is over.
      await waitFor("the new key's token to verify", async () => (await get("/me", fresh)).status === 200, {
        timeoutMs: 15_000,
        everyMs: 500,
      });
      assert.equal(
        (await get("/me", old)).status,
        200,
        "the old key is still published: its tokens verify until they expire",
      );
    } finally {
      await removeKeyProvider(componentId);
    }
  });
});
