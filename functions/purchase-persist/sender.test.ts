// Sender identity (issue 25) against the real local store: with SENDER_AUTH=on, every event whose
// token is missing, bad, or from another sender is refused, with the status the KafkaSource needs
// (401/403 dead-lettered, 503 retried), and nothing is stored. Tokens come from the in-process test
// issuer (harness/auth-fixture.ts), whose JWKS is served over real HTTP.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { UnsecuredJWT } from "jose";
import * as v from "valibot";
import { SENDER, type TestAuth, testAuth } from "../../harness/auth-fixture.ts";
import { unique } from "../../harness/names.ts";
import { persistFixture, purchase } from "../../harness/persist-fixture.ts";
import { makeKey, startTestIssuer } from "../../harness/test-issuer.ts";
import { createKeySource } from "../shared/auth/index.ts";
import { ConfigError, parseEnv } from "../shared/config.ts";
import { configSchema } from "./config.ts";
import { senderFields, senderRequirements } from "./sender.ts";

let auth: TestAuth;
let fx: Awaited<ReturnType<typeof persistFixture>>;
before(async () => {
  auth = await testAuth();
  fx = await persistFixture("persist-sender", { sender: auth.senderEnv });
});
after(() => fx.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** Posts one purchase of a fresh user with these headers; its answer and how many were stored for that user. */
async function send(headers: Record<string, string>) {
  const user = unique("sender");
  const res = await fx.post({ "ce-id": unique("id"), ...headers }, purchase({ user_id: user }));
  const body = await res.json();
  return { res, body, stored: await fx.collection.countDocuments({ user_id: user }) };
}
const refused = (reason: string) =>
  fx.metric(new RegExp(`purchases_sender_refused_total\\{reason="${reason}"[^}]*\\} (\\d+)`));

describe("purchase-persist: sender identity on", () => {
  test("When the event carries the source's token (a service-account token: no scope, no typ), then it is stored", async () => {
    const { res, stored } = await send(bearer(await auth.senderToken()));
    assert.equal(res.status, 200);
    assert.equal(stored, 1);
  });

  test("When the event carries a client-credentials token of the source's client, then it is stored", async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: SENDER.clientId,
      client_secret: SENDER.clientSecret,
    });
    const { access_token } = await (await fetch(auth.issuer.tokenUrl, { method: "POST", body: form })).json();
    const { res, stored } = await send(bearer(access_token));
    assert.equal(res.status, 200);
    assert.equal(stored, 1);
  });

  test("When the event has no token, then 401 missing_token with a bare challenge, and nothing is stored", async () => {
    const { res, body, stored } = await send({});
    assert.deepEqual([res.status, body.error, stored], [401, "missing_token", 0]);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="purchases"');
  });

  const bad: Array<[string, () => Promise<string>, RegExp]> = [
    ["expired", () => auth.senderToken({ exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ["for another audience", () => auth.senderToken({ aud: "purchases" }), /aud/],
    ["from another issuer", () => auth.senderToken({ iss: "http://127.0.0.1:1/realms/other" }), /iss/],
    [
      "unsigned (alg none)",
      async () =>
        new UnsecuredJWT({ sub: SENDER.subject, aud: SENDER.audience, iss: auth.issuer.issuer })
          .setExpirationTime("5m")
          .encode(),
      /algorithm|malformed/,
    ],
    [
      "signed by a key the issuer does not publish (unknown kid)",
      async () =>
        auth.issuer.sign({ sub: SENDER.subject, aud: SENDER.audience }, { key: await makeKey("x") }),
      /no key/,
    ],
    ["garbage", async () => "not.a.token", /malformed|cannot/],
  ];
  for (const [what, make, reason] of bad) {
    test(`When the token is ${what}, then 401 invalid_token, and nothing is stored`, async () => {
      const { res, body, stored } = await send(bearer(await make()));
      assert.deepEqual([res.status, body.error, stored], [401, "invalid_token", 0]);
      assert.match(body.message, reason);
    });
  }

  test("When a valid token names a subject not in SENDER_SUBJECTS, then 403 forbidden, and nothing is stored", async () => {
    const before = await refused("forbidden");
    const { res, body, stored } = await send(
      bearer(await auth.senderToken({ sub: "system:serviceaccount:purchases:someone-else" })),
    );
    assert.deepEqual([res.status, body.error, stored], [403, "forbidden", 0]);
    assert.equal(await refused("forbidden"), before + 1);
  });

  test("When a user's access token is sent (other audience, scopes), then 401 invalid_token", async () => {
    const { res, body, stored } = await send(await auth.headers(SENDER.subject));
    assert.deepEqual([res.status, body.error, stored], [401, "invalid_token", 0]);
  });

  test("When many events arrive with bad tokens, then the refusal is logged once for its cause, and counted for each", async () => {
    const before = await refused("invalid_token");
    const linesBefore = fx.lines.filter((l) => l.includes('"reason":"invalid_token"')).length;
    for (let i = 0; i < 20; i++) await send(bearer(await auth.senderToken({ aud: "nope" })));
    assert.equal(await refused("invalid_token"), before + 20);
    const logged = fx.lines.filter((l) => l.includes('"reason":"invalid_token"')).length - linesBefore;
    assert.ok(logged <= 1, `${logged} lines for 20 refusals`);
  });
});

describe("purchase-persist: sender identity, issuer down", () => {
  test("When the issuer is down and the token's key is not cached, then 503 identity_provider_unavailable with Retry-After, nothing stored, and once it is back the event is stored", async () => {
    const issuer = await startTestIssuer([await makeKey("down-1")]);
    const own = await persistFixture("persist-sender-down", {
      sender: { ...auth.senderEnv, SENDER_ISSUER: issuer.issuer, SENDER_JWKS_URL: issuer.jwksUrl },
      // No cooldown after a failed fetch (5 s by default), so the first event after up() refetches.
      keys: createKeySource({
        issuer: issuer.issuer,
        jwksUrl: issuer.jwksUrl,
        timeoutMs: 1000,
        cooldownMs: 0,
      }),
    });
    try {
      const token = await issuer.sign({ sub: SENDER.subject, aud: SENDER.audience, scope: undefined });
      const user = unique("sender-down");
      const event = () =>
        own.post({ "ce-id": `down-${user}`, ...bearer(token) }, purchase({ user_id: user }));
      await issuer.down();
      const res = await event();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal((await res.json()).error, "identity_provider_unavailable");
      assert.equal(await own.collection.countDocuments({ user_id: user }), 0);
      assert.ok(own.lines.some((l) => l.includes('"reason":"identity_provider_unavailable"')));
      await issuer.up();
      assert.equal((await event()).status, 200);
      assert.equal(await own.collection.countDocuments({ user_id: user }), 1);
    } finally {
      await own.close();
      await issuer.close();
    }
  });
});

describe("purchase-persist: sender identity configuration", () => {
  test("When SENDER_AUTH=on without SENDER_SUBJECTS or SENDER_ISSUER, then the config is refused naming them", () => {
    const on = { SENDER_AUTH: "on", SENDER_ISSUER: "http://127.0.0.1:1/realms/x", SENDER_SUBJECTS: "a" };
    for (const missing of ["SENDER_SUBJECTS", "SENDER_ISSUER"]) {
      const env = { ...on, [missing]: undefined };
      assert.throws(
        () => parseEnv(configSchema, env),
        (e: unknown) => e instanceof ConfigError && e.message.includes(missing),
      );
    }
    assert.throws(() => parseEnv(configSchema, { ...on, SENDER_SUBJECTS: " , " }), ConfigError);
  });

  test("When SENDER_AUTH is unset, then it is off and the audience defaults to purchase-persist", () => {
    const c = parseEnv(v.pipe(v.object(senderFields), senderRequirements()), {});
    assert.deepEqual([c.SENDER_AUTH, c.SENDER_AUDIENCE], ["off", "purchase-persist"]);
  });
});
