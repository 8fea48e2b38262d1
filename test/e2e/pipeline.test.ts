// The whole pipeline as the run command starts it: gateway -> buy -> Kafka -> local KafkaSource
// dispatcher -> purchase-persist -> FerretDB -> management API -> getAllUserBuys, with tokens of
// the local Keycloak (alice and bob signed in through its login form, as the page does).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, MongoClient } from "mongodb";
import { createKafka, createProducer, type Producer } from "../../functions/shared/kafka.ts";
import type { PurchaseDoc } from "../../functions/shared/purchase.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { localIssuer, SHOPPERS, shopperToken } from "../../harness/keycloak.ts";
import { unique } from "../../harness/names.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { stack, testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { readRecords, recordCount } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";

// It stops the database: a FerretDB of its own (harness/private-stack.ts), so it runs beside the others.
await usePrivateStack("e2e", ["mongo"]);

let system: System;
let env: Record<string, string>;
let client: MongoClient;
let collection: Collection<PurchaseDoc>;
let producer: Producer;
let alice: Record<string, string>;
let bob: Record<string, string>;

before(async () => {
  const db = await freshDatabase("e2e");
  ({ client, collection } = db);
  env = {
    KAFKA_TOPIC: unique("purchases"),
    KAFKA_DLQ_TOPIC: unique("dlq"),
    KAFKA_GROUP_ID: unique("group"),
    MONGODB_URI: db.uri,
    MONGODB_TIMEOUT_MS: "1000",
    LOG_LEVEL: "info",
    AUTH_MODE: "on",
    AUTH_ISSUER: localIssuer(),
  };
  const bearer = async (who: "alice" | "bob") => ({ Authorization: `Bearer ${await shopperToken(who)}` });
  alice = await bearer("alice");
  bob = await bearer("bob");
  system = await startSystem({ env });
  producer = createProducer(createKafka(testConfig(), unique("raw")), { timeoutMs: 5000 });
  await producer.connect();
});

after(async () => {
  await producer?.disconnect();
  await system?.stop();
  await client?.close();
});

const api = () => system.url("gateway");
const buy = (caller: Record<string, string>) =>
  fetch(`${api()}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...caller },
    body: "{}",
  });
const history = async (caller: Record<string, string>, user = "me") =>
  (await fetch(`${api()}/getAllUserBuys/${user}?limit=500`, { headers: caller })).json();

/** Produces purchases for one user straight to Kafka as plain JSON records (not through buy). */
async function producePlain(user: string, n: number, start = 0) {
  for (let i = start; i < start + n; i++) {
    const value = {
      username: user,
      user_id: user,
      item_name: "Pen",
      price: 1.5,
      timestamp: new Date().toISOString(),
    };
    await producer.send({
      topic: env.KAFKA_TOPIC as string,
      messages: [{ key: user, value: JSON.stringify(value) }],
    });
  }
}

describe("end to end", () => {
  test("When alice buys through the gateway with her Keycloak token, then it shows in her history and statistics", async () => {
    const res = await buy(alice);
    assert.equal(res.status, 202);
    const { purchase } = await res.json();
    assert.deepEqual([purchase.user_id, purchase.username], [SHOPPERS.alice.id, "alice"]);
    // The page and the statistics are two queries: a read between the write and its visibility
    // can see the purchase in one and not yet in the other, so wait for both. (How fast it shows
    // is the bench's freshness figure, not a timed assertion here.)
    const body = await waitFor("the purchase in history", async () => {
      const h = await history(alice);
      return h.stats?.count === 1 && h.purchases?.length === 1 ? h : undefined;
    });
    assert.equal(body.purchases[0].id, purchase.id);
    assert.equal(body.stats.total_spent, purchase.price);
    assert.equal(body.stats.top_items[0].item_name, purchase.item_name);
  });

  test("When there is no token or bob asks for alice's purchases, then 401 and 403 through the gateway", async () => {
    const none = await fetch(`${api()}/getAllUserBuys/me`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="purchases"');
    assert.equal((await buy({})).status, 401);
    const bobReads = await fetch(`${api()}/getAllUserBuys/${SHOPPERS.alice.id}`, { headers: bob });
    assert.equal(bobReads.status, 403);
    assert.equal((await bobReads.json()).error, "forbidden");
    const bobBuys = await fetch(`${api()}/buy`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...bob },
      body: JSON.stringify({ user_id: SHOPPERS.alice.id }),
    });
    assert.equal(bobBuys.status, 403);
    assert.deepEqual((await history(bob)).purchases, []);
  });

  test("When a plain JSON record is produced by another producer, then it is stored", async () => {
    await producePlain("e2e-plain", 1);
    await waitFor(
      "the plain record stored",
      async () => (await collection.countDocuments({ user_id: "e2e-plain" })) === 1,
    );
    const doc = await collection.findOne({ user_id: "e2e-plain" });
    assert.match(doc?.event_id ?? "", /^partition:\d+\/offset:\d+$/);
    assert.match(doc?.event_source ?? "", /kafkasources\/.+#/);
  });

  test("When a poison record arrives, then it is dead-lettered and later records on its partition are stored", async () => {
    const topic = env.KAFKA_TOPIC as string;
    const key = "e2e-poison"; // same key -> same partition
    await producer.send({ topic, messages: [{ key, value: "{not json" }] });
    const negative = {
      username: key,
      user_id: key,
      item_name: "Pen",
      price: -5,
      timestamp: new Date().toISOString(),
    };
    await producer.send({ topic, messages: [{ key, value: JSON.stringify(negative) }] });
    await producePlain(key, 3);
    await waitFor(
      "valid records after the poison",
      async () => (await collection.countDocuments({ user_id: key })) === 3,
    );
    const letters = await readRecords(env.KAFKA_DLQ_TOPIC as string, 2);
    for (const letter of letters) {
      assert.equal(letter.headers.ce_knativeerrorcode, "400");
      assert.ok(letter.headers.ce_knativeerrordest);
      const data = Buffer.from(letter.headers.ce_knativeerrordata ?? "", "base64").toString();
      assert.match(data, /invalid/);
    }
  });

  test("When the database stops for several seconds mid-stream, then every event is stored exactly once and nothing is dead-lettered", async () => {
    const dlqBefore = await recordCount(env.KAFKA_DLQ_TOPIC as string);
    await producePlain("e2e-dbdown", 30);
    await stack("stop", "mongo");
    await producePlain("e2e-dbdown", 30, 30);
    await sleep(4000);
    await stack("start", "mongo");
    await waitFor(
      "all 60 stored",
      async () => (await collection.countDocuments({ user_id: "e2e-dbdown" })) === 60,
      { timeoutMs: 60_000, everyMs: 500 },
    );
    await sleep(1000);
    assert.equal(await collection.countDocuments({ user_id: "e2e-dbdown" }), 60);
    assert.equal(await recordCount(env.KAFKA_DLQ_TOPIC as string), dlqBefore);
  });

  test("When purchase-persist is SIGKILLed mid-stream and restarted, then every event is stored exactly once", async () => {
    const persist = system.components.get("purchase-persist");
    assert.ok(persist);
    const writing = producePlain("e2e-kill", 200);
    await waitFor(
      "some stored",
      async () => (await collection.countDocuments({ user_id: "e2e-kill" })) > 20,
      { timeoutMs: 20_000, everyMs: 20 },
    );
    await persist.stop("SIGKILL");
    await writing;
    const restarted = await persist.respawn();
    system.components.set("purchase-persist", restarted);
    await waitFor(
      "all 200 stored",
      async () => (await collection.countDocuments({ user_id: "e2e-kill" })) === 200,
      { timeoutMs: 60_000, everyMs: 300 },
    );
    await sleep(1000);
    assert.equal(await collection.countDocuments({ user_id: "e2e-kill" }), 200);
  });

  test("When the management API reports health, then it shows the consumer group consuming with its lag", async () => {
    const res = await fetch(`${system.url("customer-management")}/health`);
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.mongodb, "connected");
    assert.equal(body.kafka, "consuming");
    assert.equal(typeof body.lag, "number");
  });
});
