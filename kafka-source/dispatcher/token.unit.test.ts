// The dispatcher's sender token (token.ts) against the in-process test issuer's token endpoint over
// real HTTP; time is the source's injected clock, so renewal needs no waiting.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import { createLogger } from "../../functions/shared/logging.ts";
import { makeKey, startTestIssuer, type TestIssuer } from "../../harness/test-issuer.ts";
import { clientCredentials, TokenUnavailable } from "./token.ts";

const CLIENT = { id: "source", secret: "s3cret/with:odd chars" };
let issuer: TestIssuer;
before(async () => {
  issuer = await startTestIssuer([await makeKey("k1")]);
  issuer.addClient(CLIENT.id, { secret: CLIENT.secret, sub: "sa", audience: "purchase-persist", ttlS: 10 });
});
after(() => issuer.close());

function source(opts: { secret?: string; audience?: string } = {}) {
  let clock = Date.now();
  const lines: string[] = [];
  const tokens = clientCredentials(
    { tokenUrl: issuer.tokenUrl, clientId: CLIENT.id, clientSecret: opts.secret ?? CLIENT.secret },
    {
      audience: opts.audience ?? "purchase-persist",
      timeoutMs: 2000,
      log: createLogger("info", {}, (l) => lines.push(l)),
      now: () => clock,
    },
  );
  return { tokens, lines, advance: (ms: number) => (clock += ms) };
}

describe("sender token (client credentials)", () => {
  test("When a token is asked for, then one with the sink's audience is fetched once and reused while fresh", async () => {
    const { tokens } = source();
    const before = issuer.tokensIssued();
    const first = await tokens.get();
    assert.equal(first.fresh, true);
    assert.equal(decodeJwt(first.token).aud, "purchase-persist");
    const again = await tokens.get();
    assert.deepEqual(again, { token: first.token, fresh: false });
    assert.equal(issuer.tokensIssued(), before + 1);
  });

  test("When many deliveries ask at once, then the endpoint is asked once", async () => {
    const { tokens } = source();
    const before = issuer.tokensIssued();
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.get()));
    assert.equal(new Set(all.map((t) => t.token)).size, 1);
    assert.equal(issuer.tokensIssued(), before + 1);
  });

  test("When the token nears its expiry, then a new one is fetched before it expires", async () => {
    const { tokens, advance } = source();
    const first = await tokens.get();
    advance(7_000); // 10 s token, renewed 2 s (a fifth) before exp
    assert.equal((await tokens.get()).token, first.token);
    advance(1_500);
    const renewed = await tokens.get();
    assert.notEqual(renewed.token, first.token);
    assert.equal(renewed.fresh, true);
  });

  test("When the sink refused the cached token, then invalidate drops it and the next get fetches anew", async () => {
    const { tokens } = source();
    const first = await tokens.get();
    tokens.invalidate("some other token");
    assert.equal((await tokens.get()).token, first.token);
    tokens.invalidate(first.token);
    const next = await tokens.get();
    assert.notEqual(next.token, first.token);
    assert.equal(next.fresh, true);
  });

  test("When the client's secret is wrong, then TokenUnavailable names the endpoint's answer", async () => {
    const { tokens } = source({ secret: "wrong" });
    await assert.rejects(
      tokens.get(),
      (e: unknown) => e instanceof TokenUnavailable && /401 invalid_client/.test(e.message),
    );
  });

  test("When the endpoint is down, then every get fails, logged once per outage, and works again once it is up", async () => {
    const { tokens, lines } = source();
    await issuer.down();
    try {
      for (let i = 0; i < 3; i++)
        await assert.rejects(
          tokens.get(),
          (e: unknown) => e instanceof TokenUnavailable && /unreachable/.test(e.message),
        );
    } finally {
      await issuer.up();
    }
    assert.equal(lines.filter((l) => l.includes("cannot get a token")).length, 1);
    assert.equal((await tokens.get()).fresh, true);
    assert.ok(lines.some((l) => l.includes("token endpoint answering again")));
  });

  test("When the token lacks the sink's audience, then a warning says so once", async () => {
    const { tokens, lines, advance } = source({ audience: "elsewhere" });
    await tokens.get();
    advance(60_000);
    await tokens.get();
    assert.equal(lines.filter((l) => l.includes("audience is not the sink's")).length, 1);
  });
});
