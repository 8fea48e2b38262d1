// End to end with the real local Keycloak (issue 25): the dispatcher gets a client-credentials token
// of the realm's purchases-source client (audience mapper: aud purchase-persist; fixed service
// account id: its sub), and purchase-persist, with SENDER_* pointed at the realm, stores the event
// once. The same settings as `npm start` with sender identity on (harness/auth-fixture.ts
// localSenderEnv).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { localSenderEnv } from "../../harness/auth-fixture.ts";
import { dropDatabase, freshDatabase } from "../../harness/databases.ts";
import { dispatcherSuite, metric, startDispatcher } from "../../harness/dispatcher-fixture.ts";
import { localIssuer } from "../../harness/keycloak.ts";
import { unique } from "../../harness/names.ts";
import { purchase } from "../../harness/persist-fixture.ts";
import { startFunction } from "../../harness/system.ts";
import { waitFor } from "../../harness/wait.ts";

describe("dispatcher -> purchase-persist, sender token from the local Keycloak", () => {
  const suite = dispatcherSuite();

  test("When the dispatcher sends the realm's purchases-source token, then purchase-persist stores the event once", async () => {
    const env = localSenderEnv(localIssuer());
    const db = await freshDatabase("sender-keycloak");
    try {
      const persist = await startFunction({ name: "purchase-persist", env: { MONGODB_URI: db.uri, ...env } });
      suite.running.push(persist);
      const [topic, dlq] = [await suite.kafka.topic(1), await suite.kafka.topic(1)];
      suite.running.push(
        await startDispatcher({
          ...env,
          KAFKA_SOURCE_TOPICS: topic,
          KAFKA_SOURCE_GROUP: unique("g"),
          KAFKA_SOURCE_SINK_URL: persist.url,
          KAFKA_SOURCE_DLQ: `kafka:${dlq}`,
        }),
      );
      const user = unique("sender-kc");
      await suite.kafka.producer.send({
        topic,
        messages: [{ value: JSON.stringify(purchase({ user_id: user })) }],
      });
      // A Keycloak that has just started answers its first token requests slowly (harness/keycloak.ts).
      await waitFor(
        "the purchase stored",
        async () => (await db.collection.countDocuments({ user_id: user })) === 1,
        {
          timeoutMs: 45_000,
        },
      );
      assert.equal(await metric(persist.url, "purchases_persisted_total"), 1);
      assert.equal(await metric(persist.url, "purchases_sender_refused_total"), 0);
      assert.equal((await suite.kafka.read(dlq)).length, 0);
    } finally {
      await dropDatabase(db.client);
      await db.client.close();
    }
  });
});
