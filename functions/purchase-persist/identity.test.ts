// Identity conflicts against the real local store: a duplicate is proven by comparing the
// stored purchase, a wrapped record's identity includes its time, and documents stored before that
// rule still deduplicate their redeliveries.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { unique } from "../../harness/names.ts";
import { KAFKA_SOURCE, persistFixture, purchase } from "../../harness/persist-fixture.ts";
import { uuidV5For } from "../shared/uuid5.ts";

let fx: Awaited<ReturnType<typeof persistFixture>>;
before(async () => {
  fx = await persistFixture("persist-identity");
});
after(() => fx.close());

const conflicts = () => fx.metric(/purchases_rejected_total\{reason="identity_conflict"[^}]*\} (\d+)/);
const duplicates = () => fx.metric(/purchases_duplicate_total\{[^}]*\} (\d+)/);
const offset = () => `partition:0/offset:${unique("o")}`;

describe("purchase-persist: identity conflicts", () => {
  test("When a second event reuses (source, id) for a different purchase, then 422 identity_conflict naming the stored purchase, and only the first is stored", async () => {
    const id = offset();
    const user = unique("laptop-desk");
    const first = await fx.post({ "ce-id": id }, purchase({ user_id: user }));
    assert.equal(first.status, 200);
    const storedId = (await first.json()).id;
    const [before, dupBefore] = [await conflicts(), await duplicates()];

    const desk = purchase({
      user_id: user,
      item_name: "Desk",
      price: 249,
      timestamp: "2026-11-21T11:00:00Z",
    });
    const res = await fx.post({ "ce-id": id }, desk);
    assert.equal(res.status, 422);
    const body = await res.json();
    assert.equal(body.error, "identity_conflict");
    assert.match(body.message, new RegExp(`^stored purchase ${storedId} `));
    assert.deepEqual(
      body.details.map((d: { field: string }) => d.field),
      ["item_name", "price_cents", "timestamp", "stored"],
    );
    assert.equal(JSON.parse(body.details.at(-1).message).item_name, "Laptop");

    const stored = await fx.collection.find({ user_id: user }).toArray();
    assert.deepEqual(
      stored.map((d) => d.item_name),
      ["Laptop"],
    );
    assert.equal(await conflicts(), before + 1);
    assert.equal(await duplicates(), dupBefore, "a conflict is not counted as a duplicate");
    // A redelivery of either stays what it was: the first a duplicate, the second a conflict.
    assert.equal(
      (await (await fx.post({ "ce-id": id }, purchase({ user_id: user }))).json()).status,
      "duplicate",
    );
    assert.equal((await fx.post({ "ce-id": id }, desk)).status, 422);
  });

  test("When the two arrive at once (one batch), then one is stored and the other is a conflict", async () => {
    const id = offset();
    const user = unique("same-batch");
    const statuses = await Promise.all(
      ["Laptop", "Desk"].map(
        async (item) => (await fx.post({ "ce-id": id }, purchase({ user_id: user, item_name: item }))).status,
      ),
    );
    assert.deepEqual(statuses.sort(), [200, 422]);
    assert.equal(await fx.collection.countDocuments({ user_id: user }), 1);
  });

  test("When a wrapped record reuses partition/offset at another time (a recreated topic), then it is stored as a new purchase, and its redelivery is a duplicate", async () => {
    const id = offset();
    const user = unique("recreated");
    const old = await fx.post(
      { "ce-id": id, "ce-time": "2026-11-21T10:00:00.000Z" },
      purchase({ user_id: user }),
    );
    assert.equal((await old.json()).status, "stored");
    const newer = { "ce-id": id, "ce-time": "2026-11-22T08:00:00.000Z" };
    const desk = purchase({ user_id: user, item_name: "Desk", price: 249 });
    const res = await fx.post(newer, desk);
    const body = await res.json();
    assert.equal(body.status, "stored");
    assert.equal((await (await fx.post(newer, desk)).json()).status, "duplicate");
    const docs = await fx.collection.find({ user_id: user }, { sort: { item_name: -1 } }).toArray();
    assert.deepEqual(
      docs.map((d) => [d.item_name, d.event_id, d.event_time?.toISOString()]),
      [
        ["Laptop", id, "2026-11-21T10:00:00.000Z"],
        ["Desk", `${id}@2026-11-22T08:00:00.000Z`, "2026-11-22T08:00:00.000Z"],
      ],
    );
  });

  test("When a wrapped record repeats partition/offset and time with another purchase, then 422", async () => {
    const headers = { "ce-id": offset(), "ce-time": "2026-11-21T10:00:00.000Z" };
    const user = unique("same-time");
    assert.equal((await fx.post(headers, purchase({ user_id: user }))).status, 200);
    const res = await fx.post(headers, purchase({ user_id: user, price: 1 }));
    assert.equal(res.status, 422);
    assert.equal(await fx.collection.countDocuments({ user_id: user }), 1);
  });

  test("When a record stored before its time counted (id from source and id only) is redelivered with its time, then it is a duplicate, not a second document", async () => {
    // Without ce-time the id is derived as before the upgrade and no event_time is stored: the
    // document is exactly what the previous version wrote.
    const id = offset();
    const user = unique("legacy");
    const legacy = await (await fx.post({ "ce-id": id }, purchase({ user_id: user }))).json();
    const doc = await fx.collection.findOne({ _id: legacy.id });
    assert.equal(doc?.event_time, undefined);
    // The id the previous version derived for a wrapped record: UUIDv5 of source and id alone.
    assert.equal(legacy.id, uuidV5For("9b8e51b6-3a51-4f0e-8d4c-6f0a1d2e7c33")(`${KAFKA_SOURCE}\n${id}`));

    const again = await fx.post(
      { "ce-id": id, "ce-time": "2026-11-21T10:00:01.000Z" },
      purchase({ user_id: user }),
    );
    assert.deepEqual(
      await again.json(),
      { status: "duplicate", id: legacy.id },
      "answered with the stored id",
    );
    assert.equal(await fx.collection.countDocuments({ user_id: user }), 1);
    // A different purchase under that old identity cannot be told from a reuse: a conflict.
    const other = await fx.post(
      { "ce-id": id, "ce-time": "2026-11-22T00:00:00Z" },
      purchase({ user_id: user, price: 5 }),
    );
    assert.equal(other.status, 422);
  });

  test("When buy's event for the same purchase id arrives again with a new timestamp (an Idempotency-Key retry), then duplicate; with another item, then 422", async () => {
    const pid = crypto.randomUUID();
    const user = unique("keyed");
    const headers = {
      "ce-id": pid,
      "ce-source": "/purchases/functions/buy",
      "ce-type": "org.example.purchases.purchase.created.v1",
    };
    const first = purchase({ id: pid, user_id: user });
    assert.equal((await fx.post(headers, first)).status, 200);
    const retry = await fx.post(headers, {
      ...first,
      timestamp: "2026-11-21T10:00:03.000Z",
      username: "Dora",
    });
    assert.deepEqual(await retry.json(), { status: "duplicate", id: pid });
    const other = await fx.post(headers, { ...first, item_name: "Desk" });
    assert.equal(other.status, 422);
    assert.match((await other.json()).message, new RegExp(`stored purchase ${pid}`));
    const doc = await fx.collection.findOne({ _id: pid });
    assert.equal(doc?.timestamp.toISOString(), "2026-11-21T10:00:00.000Z", "the first one stored wins");
  });
});
