// POST /buy against the real broker: the record it produces, idempotency, the metrics. Bad inputs
// are app.unit.test.ts; the broker outage, which stops the shared broker, is app.serial.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buyOnBroker } from "../../harness/buy-fixture.ts";
import { unique } from "../../harness/names.ts";
import { readRecords, recordCount } from "../../harness/topics.ts";
import { PURCHASE_EVENT_TYPE } from "../shared/purchase.ts";

const suite = buyOnBroker("buy");
const { buy } = suite;

describe("POST /buy", () => {
  test("When the request is valid, then 202 and exactly one matching CloudEvent record in Kafka", async () => {
    const res = await buy({ username: "  Alice  ", user_id: "alice-1" });
    assert.equal(res.status, 202);
    const body = await res.json();
    assert.equal(body.status, "accepted");
    assert.equal(body.purchase.username, "Alice");
    assert.equal(body.purchase.user_id, "alice-1");
    assert.match(body.purchase.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(body.kafka.topic, suite.topic);

    const [record] = await readRecords(suite.topic, 1);
    assert.ok(record);
    assert.equal(await recordCount(suite.topic), 1);
    assert.equal(record.partition, body.kafka.partition);
    assert.equal(record.offset, body.kafka.offset);
    assert.equal(record.key, "alice-1");
    assert.deepEqual(JSON.parse(record.value), body.purchase);
    assert.equal(record.headers.ce_specversion, "1.0");
    assert.equal(record.headers.ce_id, body.purchase.id);
    assert.equal(record.headers.ce_type, PURCHASE_EVENT_TYPE);
    assert.equal(record.headers.ce_source, "/purchases/functions/buy");
    assert.equal(record.headers["content-type"], "application/json");
  });

  test("When the same Idempotency-Key is sent twice, then the same purchase id and item", async () => {
    const key = unique("idem");
    const first = await (await buy({ username: "bob", user_id: "bob" }, { "Idempotency-Key": key })).json();
    const second = await (await buy({ username: "bob", user_id: "bob" }, { "Idempotency-Key": key })).json();
    assert.equal(first.purchase.id, second.purchase.id);
    assert.equal(first.purchase.item_name, second.purchase.item_name);
    const other = await (
      await buy({ username: "bob", user_id: "bob" }, { "Idempotency-Key": `${key}-x` })
    ).json();
    assert.notEqual(other.purchase.id, first.purchase.id);
  });

  test("When a request is refused, then nothing reaches the topic (the 36 bad inputs: app.unit.test.ts)", async () => {
    const before = await recordCount(suite.topic);
    const res = await buy({ username: "a", user_id: { $gt: "" } });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "validation_failed");
    assert.equal(await recordCount(suite.topic), before, "a rejected request produced a record");
  });

  test("When the body's user_id names another user than the token's, then 403 forbidden and nothing reaches the topic", async () => {
    const before = await recordCount(suite.topic);
    const mallory = await suite.headersFor(unique("mallory"));
    const res = await buy({ username: "alice", user_id: "alice-1" }, mallory);
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "forbidden");
    const none = await buy({ username: "alice", user_id: "alice-1" }, { Authorization: "" });
    assert.equal(none.status, 401);
    assert.equal(await recordCount(suite.topic), before, "a refused purchase produced a record");
  });

  test("When the metrics are read, then POST /buy 2xx requests are counted under the route pattern", async () => {
    const text = await (await suite.app.request("/metrics")).text();
    const m = text.match(
      /http_requests_total\{method="POST",handler="\/buy",status="2xx",service="buy"\} (\d+)/,
    );
    assert.ok(m, text);
    assert.equal(Number(m[1]), 4);
    assert.match(text, /purchases_produced_total\{service="buy"\} 4/);
    assert.match(text, /http_requests_total\{method="POST",handler="\/buy",status="4xx"/);
  });
});
