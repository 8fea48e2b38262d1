// Databases of one's own on the local FerretDB (or MONGODB_URI), for the tests, the bench and the
// campaigns: each gets a database by name on the same server, with the purchases collection and
// its indexes.
import type { MongoClient } from "mongodb";
import { createMongoClient, ensureIndexes, purchasesCollection } from "../functions/shared/mongo.ts";
import { unique } from "./names.ts";
import { testConfig } from "./stack.ts";

/** The MongoDB URI `base` (default: the local stack's) with another database name, options kept. */
export function databaseUri(name: string, base = testConfig().MONGODB_URI) {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A connected database of a unique name (`prefix`-...), with the purchases collection's indexes. */
export async function freshDatabase(prefix = "db", timeoutMs = 3000) {
  const uri = databaseUri(unique(prefix));
  const client = await connected(uri, timeoutMs);
  const collection = purchasesCollection(client);
  await ensureIndexes(collection);
  return { uri, client, collection, config: testConfig({ MONGODB_URI: uri }) };
}

export interface OpenOptions {
  /** The database's name. */
  name: string;
  /** A MongoDB URI of the server (default: the local stack's). */
  base?: string;
  poolSize?: number;
}

/**
 * A client (not yet connected) of the database `name`. 30 s (socket 120 s): an exact count of 100k
 * documents on FerretDB on a busy machine took over the 40 s socket timeout of 10 s.
 */
export function openDatabase({ name, base, poolSize = 20 }: OpenOptions) {
  const uri = databaseUri(name, base);
  const client = createMongoClient({ MONGODB_URI: uri, MONGODB_TIMEOUT_MS: 30_000 }, poolSize);
  return { uri, client, collection: purchasesCollection(client) };
}

/** The database `name` emptied (dropped), with the purchases collection's indexes. */
export async function emptyDatabase(opts: OpenOptions) {
  const opened = openDatabase(opts);
  await opened.client.db().dropDatabase();
  await ensureIndexes(opened.collection);
  return opened;
}

/** Drops the client's database; a failure is ignored (clean-up). */
export async function dropDatabase(client: MongoClient) {
  await client
    .db()
    .dropDatabase()
    .catch(() => {});
}

/**
 * A connected client. On a busy machine the first handshake with FerretDB (and PostgreSQL behind
 * it) can outlast `timeoutMs`, and a driver client whose connect failed is closed for good
 * (MongoTopologyClosedError on its next use), so a failed first connect is tried again with a new
 * client. `timeoutMs` stays the client's bound for everything after: tests of outages rely on it.
 */
async function connected(uri: string, timeoutMs: number, attempts = 3): Promise<MongoClient> {
  for (let attempt = 1; ; attempt++) {
    const client = createMongoClient({ MONGODB_URI: uri, MONGODB_TIMEOUT_MS: timeoutMs });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.close().catch(() => {});
      if (attempt >= attempts) throw err;
    }
  }
}
