// MongoDB client factory and the purchases collection with its indexes. Only operations that both
// MongoDB and FerretDB 1.24 support are used anywhere in the project (docs/design-notes.md).
import { type Collection, MongoClient, MongoServerError } from "mongodb";
import type { Variables } from "./config.ts";
import type { PurchaseDoc } from "./purchase.ts";
import { isStoreUnavailable } from "./store-failure.ts";
import { withTimeout } from "./timeout.ts";

const DEFAULT_DB = "purchases";
const COLLECTION = "purchases";

export function createMongoClient(
  config: Pick<Variables, "MONGODB_URI" | "MONGODB_TIMEOUT_MS">,
  maxPoolSize = 20,
) {
  return new MongoClient(config.MONGODB_URI, {
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    connectTimeoutMS: config.MONGODB_TIMEOUT_MS,
    socketTimeoutMS: config.MONGODB_TIMEOUT_MS * 4,
    maxPoolSize,
  });
}

/** The purchases collection in the URI's database (default `purchases`). */
export function purchasesCollection(client: MongoClient): Collection<PurchaseDoc> {
  return client
    .db(client.options.dbName === "test" ? DEFAULT_DB : client.options.dbName)
    .collection(COLLECTION);
}

/**
 * `_id` is the purchase id, unique by itself. A second unique index on the CloudEvent identity
 * (source, id) makes a redelivered event a duplicate-key error instead of a second document.
 */
export async function ensureIndexes(collection: Collection<PurchaseDoc>) {
  const wanted = [
    { key: { event_source: 1, event_id: 1 }, name: "event_identity", unique: true },
    { key: { user_id: 1, timestamp: -1, _id: -1 }, name: "user_history" },
  ] as const;
  // Only the missing ones: FerretDB 1.24 drops the connection (a server-side panic) when asked to
  // create an index that already exists, where MongoDB would answer "nothing to do".
  const existing = new Set(
    (
      await collection
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).map((i: { name?: string }) => i.name),
  );
  for (const index of wanted) {
    if (!existing.has(index.name)) await collection.createIndexes([{ ...index, key: { ...index.key } }]);
  }
}

export const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/** Errors that mean "the database is not reachable right now": retry later, not a bad request. */
export const isUnavailable = isStoreUnavailable;

/**
 * Connects the client, then runs `then` on it: the start-up step of a function (its readiness). An
 * explicit connect on every attempt, because an operation's implicit connect that fails closes the
 * client's topology for good (driver 7: every later operation fails with "Topology is closed"), so
 * a function started while the database was unreachable would never become ready. `connect` is a
 * no-op once connected, and after a failed one it starts a new topology.
 */
export async function connectThen<T>(client: MongoClient, then: () => Promise<T>): Promise<T> {
  await client.connect();
  return then();
}

/**
 * True when the database answers a ping within `timeoutMs`. Bounded as a whole: the signal lets the
 * driver abandon the command, and the race answers even when the driver waits where it does not
 * look at the signal (a pool whose connections all hang in a hung PostgreSQL): a probe took 12 s
 * (the socket timeout) there. FerretDB's ping asks PostgreSQL too, so it sees PostgreSQL down.
 */
export async function ping(client: MongoClient, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(
      client.db("admin").command({ ping: 1 }, { signal: AbortSignal.timeout(timeoutMs) }),
      timeoutMs,
    );
    return true;
  } catch {
    return false;
  }
}
