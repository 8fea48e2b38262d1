// Database helpers for tests: a database of one's own on the local FerretDB (or MONGODB_URI).
import { createMongoClient, ensureIndexes, purchasesCollection } from "../functions/shared/mongo.ts";
import { mongoUriFor, testConfig, unique } from "./helpers.ts";

export async function freshDatabase(prefix = "db", timeoutMs = 3000) {
  const uri = mongoUriFor(unique(prefix));
  const client = createMongoClient({ MONGODB_URI: uri, MONGODB_TIMEOUT_MS: timeoutMs });
  const collection = purchasesCollection(client);
  await ensureIndexes(collection);
  return { uri, client, collection, config: testConfig({ MONGODB_URI: uri }) };
}
