// Real records against docs/asyncapi.json: what buy produces to `purchases` (through the gateway of a
// running system) and what the local KafkaSource dispatcher dead-letters to `purchases-dlq` when
// purchase-persist refuses a record.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createKafka, createProducer, type Producer } from "../../functions/shared/kafka.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { type RecordOut, readRecords } from "../../harness/topics.ts";
import { committedDocument, recordValidator } from "./validators.ts";

const pipeline = isolatedPipeline("asyncapi");
let system: System;
let producer: Producer;
let closeDb: () => Promise<void>;
let purchases: RecordOut[];
let deadLetters: RecordOut[];
const purchase = recordValidator(committedDocument(), "purchase");
const deadLetter = recordValidator(committedDocument(), "deadLetter");

before(async () => {
  // 10 s, not 3: under a loaded shared machine the driver's first connection (its auto-connect) to
  // a new FerretDB database has taken over 3 s, and a failed auto-connect closes the client.
  const db = await freshDatabase("asyncapi", 10_000);
  closeDb = () => db.client.close();
  const auth = await testAuth();
  system = await startSystem({ env: { ...pipeline.env, ...auth.env, MONGODB_URI: db.uri } });
  for (const user of ["asyncapi-alice", "asyncapi-bob"]) {
    const res = await fetch(`${system.url("gateway")}/buy`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": unique("k"),
        ...(await auth.headers(user)),
      },
      body: JSON.stringify({ username: user, user_id: user }),
    });
    assert.equal(res.status, 202, await res.text());
  }
  purchases = await readRecords(pipeline.topic, 2);
  // Refused by purchase-persist (400): one record that is no CloudEvent, one CloudEvent whose data is no purchase.
  producer = createProducer(createKafka(testConfig(), unique("asyncapi")), { timeoutMs: 5000 });
  await producer.connect();
  const [first] = purchases;
  assert.ok(first);
  await producer.send({
    topic: pipeline.topic,
    messages: [
      { key: "asyncapi-carol", value: '{"item":"book"}', headers: { "content-type": "application/json" } },
      { key: first.key, value: '{"price":-1}', headers: { ...first.headers, ce_id: unique("bad") } },
    ],
  });
  deadLetters = await readRecords(pipeline.dlq, 2);
});

after(async () => {
  await producer?.disconnect();
  await system?.stop();
  await closeDb?.();
});

describe("AsyncAPI: real records", () => {
  test("When buy produces purchases, then each record's headers, value and key match the purchase message", () => {
    assert.equal(purchases.length, 2);
    for (const record of purchases) assert.deepEqual(purchase(record), [], JSON.stringify(record));
  });

  test("When the dispatcher dead-letters refused records, then each matches the deadLetter message with its error extensions", () => {
    assert.equal(deadLetters.length, 2);
    for (const record of deadLetters) {
      assert.deepEqual(deadLetter(record), [], JSON.stringify(record));
      assert.equal(record.headers.ce_knativeerrorcode, "400");
      assert.equal(record.headers.ce_knativeerrordest, system.url("purchase-persist"));
    }
  });

  test("When a record breaks the contract, then the validators say where (they are not vacuous)", () => {
    const [record] = purchases;
    assert.ok(record);
    const { ce_type: _, ...noType } = record.headers;
    assert.match(purchase({ ...record, headers: noType }).join("\n"), /ce_type/);
    assert.match(
      purchase({ ...record, headers: { ...record.headers, ce_extra: "x" } }).join("\n"),
      /additional/,
    );
    assert.match(purchase({ ...record, value: '{"id":"x"}' }).join("\n"), /value/);
    assert.match(purchase({ ...record, key: null }).join("\n"), /key/);
    const [dead] = deadLetters;
    assert.ok(dead);
    const { ce_knativeerrordest: __, ...noDest } = dead.headers;
    assert.match(deadLetter({ ...dead, headers: noDest }).join("\n"), /knativeerrordest/);
    // A purchase record is no dead letter: it lacks the error extensions.
    assert.notDeepEqual(deadLetter(record), []);
  });
});
