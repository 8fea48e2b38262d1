// Database helpers for tests: a database of one's own on the local FerretDB (or MONGODB_URI).
import type { MongoClient } from "mongodb";
import { createMongoClient, ensureIndexes, purchasesCollection } from "../functions/shared/mongo.ts";
import { mongoUriFor, testConfig, unique } from "./helpers.ts";

export async function freshDatabase(prefix = "db", timeoutMs = 3000) {
  const uri = mongoUriFor(unique(prefix));
  const client = await connected(uri, timeoutMs);
  const collection = purchasesCollection(client);
  await ensureIndexes(collection);
  return { uri, client, collection, config: testConfig({ MONGODB_URI: uri }) };
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
