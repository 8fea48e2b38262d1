// The local stack's GIN indexes in PostgreSQL serve what FerretDB's own btree indexes cannot: the
// history filter {user_id} and collision settling's findOne({_id}) (issue 24, point 3).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Document } from "mongodb";
import type { PurchaseDoc } from "../functions/shared/purchase.ts";
import { freshDatabase } from "./databases.ts";
import { ensureLocalGins, localPostgres } from "./ferretdb-index.ts";

let db: Awaited<ReturnType<typeof freshDatabase>>;
const pg = localPostgres(process.env.MONGODB_URI ?? "mongodb://127.0.0.1:27017/purchases");
const docs = Array.from(
  { length: 2000 },
  (_, i): PurchaseDoc => ({
    _id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    username: `u${i % 50}`,
    user_id: `u${i % 50}`,
    item_name: "Pen",
    price: 1,
    price_cents: 100,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    created_at: new Date(),
    event_id: `e${i}`,
    event_source: "/test",
  }),
);

/** The PostgreSQL plan FerretDB reports for a find, as text. */
const plan = async (filter: Document) => JSON.stringify(await db.collection.find(filter).limit(1).explain());
/** The indexes a plan uses. */
const indexesOf = (text: string) => [...text.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);

describe("GIN indexes of the local store", { skip: pg ? false : "not the local stack's FerretDB" }, () => {
  before(async () => {
    db = await freshDatabase("gin");
    await db.collection.insertMany(docs);
  });
  after(async () => {
    await db?.client.db().dropDatabase();
    await db?.client.close();
  });

  test("When they are created, then findOne({_id}) and {user_id} are index scans, not sequential scans", async () => {
    const name = new URL(db.uri).pathname.slice(1);
    const before = await plan({ _id: docs[7]?._id });
    assert.match(before, /Seq Scan/, "without them, FerretDB scans for {_id}");
    const created = ensureLocalGins(pg as NonNullable<typeof pg>, name);
    assert.deepEqual(
      created.map((r) => r.created),
      [true, true],
    );
    const byId = await plan({ _id: docs[7]?._id });
    assert.match(byId, /Bitmap Index Scan/);
    assert.deepEqual(indexesOf(byId), [created[1]?.index]);
    const byUser = await plan({ user_id: "u3" });
    assert.match(byUser, /Bitmap Index Scan/);
    assert.deepEqual(indexesOf(byUser), [created[0]?.index]);
    assert.equal((await db.collection.findOne({ _id: docs[7]?._id as string }))?.event_id, "e7");
  });

  test("When they exist already, then creating them again changes nothing", () => {
    const name = new URL(db.uri).pathname.slice(1);
    const again = ensureLocalGins(pg as NonNullable<typeof pg>, name);
    assert.deepEqual(
      again.map((r) => r.created),
      [false, false],
    );
  });
});
