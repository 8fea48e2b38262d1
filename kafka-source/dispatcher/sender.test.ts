// Integration: sender identity between the local dispatcher and purchase-persist (issue 25). The
// dispatcher gets client-credentials tokens from the in-process test issuer (harness/test-issuer.ts)
// and sends one with every event; purchase-persist, started as a process with SENDER_AUTH=on,
// verifies them against the same issuer's JWKS. Real Kafka, real database, no stand-ins.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SENDER, testAuth } from "../../harness/auth-fixture.ts";
import { dropDatabase, freshDatabase } from "../../harness/databases.ts";
import { dispatcherSuite, metric, startDispatcher, startSink } from "../../harness/dispatcher-fixture.ts";
import { unique } from "../../harness/names.ts";
import { purchase } from "../../harness/persist-fixture.ts";
import { startFunction } from "../../harness/system.ts";
import { makeKey, startTestIssuer } from "../../harness/test-issuer.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher -> purchase-persist with sender identity on", () => {
  const suite = dispatcherSuite();

  test("When events flow with short-lived tokens, then each is stored once, no sender is refused, and the token is renewed", async () => {
    const auth = await testAuth();
    // A client of its own whose tokens live 2 s: renewed 0.4 s before they expire.
    const client = { id: unique("short-source"), secret: "short-secret" };
    auth.issuer.addClient(client.id, {
      secret: client.secret,
      sub: SENDER.subject,
      audience: SENDER.audience,
      ttlS: 2,
    });
    const db = await freshDatabase("sender-flow");
    const persist = await startFunction({
      name: "purchase-persist",
      env: { MONGODB_URI: db.uri, ...auth.senderEnv },
    });
    suite.running.push(persist);
    const [topic, dlq] = [await suite.kafka.topic(1), await suite.kafka.topic(1)];
    const dispatcher = await startDispatcher({
      ...auth.senderEnv,
      KAFKA_SOURCE_OIDC_CLIENT_ID: client.id,
      KAFKA_SOURCE_OIDC_CLIENT_SECRET: client.secret,
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: persist.url,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    suite.running.push(dispatcher);
    const user = unique("sender-flow");
    const send = (n: number) =>
      suite.kafka.producer.send({
        topic,
        messages: Array.from({ length: 3 }, (_, i) => ({
          value: JSON.stringify(purchase({ user_id: user, item_name: `item-${n}-${i}` })),
        })),
      });
    const stored = (count: number) =>
      waitFor(
        `${count} purchases stored`,
        async () => (await db.collection.countDocuments({ user_id: user })) === count,
      );
    try {
      const issued = auth.issuer.tokensIssued();
      await send(1);
      await stored(3);
      const afterFirst = auth.issuer.tokensIssued();
      assert.ok(afterFirst > issued, "a token was fetched");
      // Past the first token's lifetime (no event of the system says when a token has expired): the
      // next events need a new one.
      await sleep(2_000);
      await send(2);
      await stored(6);
      assert.ok(auth.issuer.tokensIssued() > afterFirst, "the token was renewed");
      assert.equal(await metric(persist.url, "purchases_sender_refused_total"), 0);
      assert.equal(await metric(persist.url, "purchases_persisted_total"), 6);
      assert.equal((await suite.kafka.read(dlq)).length, 0);
    } finally {
      await dropDatabase(db.client);
      await db.client.close();
    }
  });

  test("When the sink answers 401 to the cached token, then the dispatcher fetches a new one and the event is delivered", async () => {
    const auth = await testAuth();
    let first: string | undefined;
    // Accepts the first token once, then refuses it (as after the issuer revoked it).
    const sink = await startSink((req) => {
      first ??= req.headers.authorization;
      if (req.offset === 0) return 200;
      return req.headers.authorization === first ? 401 : 200;
    });
    suite.running.push(sink);
    const [topic, dlq] = [await suite.kafka.topic(1), await suite.kafka.topic(1)];
    suite.running.push(
      await startDispatcher({
        ...auth.senderEnv,
        KAFKA_SOURCE_TOPICS: topic,
        KAFKA_SOURCE_GROUP: unique("g"),
        KAFKA_SOURCE_SINK_URL: sink.url,
        KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
      }),
    );
    await suite.kafka.producer.send({ topic, messages: [{ value: '{"n":0}' }] });
    await waitFor("the first event", async () => sink.delivered().length === 1);
    await suite.kafka.producer.send({ topic, messages: [{ value: '{"n":1}' }] });
    await waitFor("the second event", async () => sink.delivered().length === 2);
    const second = sink.received.filter((r) => r.offset === 1);
    assert.deepEqual(
      second.map((r) => r.status),
      [401, 200],
    );
    assert.equal(second[0]?.headers.authorization, first);
    assert.notEqual(second[1]?.headers.authorization, first);
    assert.match(second[1]?.headers.authorization ?? "", /^Bearer \S+$/);
    assert.equal((await suite.kafka.read(dlq)).length, 0);
  });

  test("When the token endpoint is down, then the event is retried, not dead-lettered, and delivered once it is back", async () => {
    // An issuer of its own: stopping it must not touch the other tests' issuer.
    const issuer = await startTestIssuer([await makeKey("down-k1")]);
    issuer.addClient("src", { secret: "s", sub: SENDER.subject, audience: SENDER.audience, ttlS: 300 });
    const sink = await startSink();
    suite.running.push(sink);
    const [topic, dlq] = [await suite.kafka.topic(1), await suite.kafka.topic(1)];
    const dispatcher = await startDispatcher({
      KAFKA_SOURCE_OIDC_TOKEN_URL: issuer.tokenUrl,
      KAFKA_SOURCE_OIDC_CLIENT_ID: "src",
      KAFKA_SOURCE_OIDC_CLIENT_SECRET: "s",
      KAFKA_SOURCE_TOPICS: topic,
      KAFKA_SOURCE_GROUP: unique("g"),
      KAFKA_SOURCE_SINK_URL: sink.url,
      KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
    });
    suite.running.push(dispatcher);
    await issuer.down();
    try {
      await suite.kafka.producer.send({ topic, messages: [{ value: '{"n":0}' }] });
      await waitFor(
        "a retry",
        async () => (await metric(dispatcher.url, "kafka_source_events_retried_total")) >= 1,
      );
      assert.equal(sink.received.length, 0, "nothing is sent without a token");
    } finally {
      await issuer.up();
    }
    await waitFor("the event", async () => sink.delivered().length === 1, { timeoutMs: 20_000 });
    assert.match(sink.received[0]?.headers.authorization ?? "", /^Bearer /);
    assert.equal((await suite.kafka.read(dlq)).length, 0);
    await issuer.close();
  });
});
