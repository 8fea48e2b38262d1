import { errorFields } from "../shared/logging.ts";
import { createMongoClient, ensureIndexes, purchasesCollection } from "../shared/mongo.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";

await runFunction("purchase-persist", async ({ config, logger, registry, ready }) => {
  const client = createMongoClient(config, 50);
  const collection = purchasesCollection(client);
  // Indexes are what make redelivery harmless; keep trying in the background if the database is
  // not up yet (writes answer 503 meanwhile, so KafkaSource retries them).
  void (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureIndexes(collection);
        return;
      } catch (err) {
        logger.warn("ensureIndexes failed", { attempt, ...errorFields(err) });
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  })();
  const { app, drain } = createApp({
    logger,
    registry,
    ready,
    client,
    collection,
    batchSize: config.PERSIST_BATCH_SIZE,
    batchWaitMs: config.PERSIST_BATCH_WAIT_MS,
    maxPending: config.PERSIST_MAX_PENDING,
    timeoutMs: config.MONGODB_TIMEOUT_MS,
  });
  return {
    app,
    close: async () => {
      await drain();
      await client.close();
    },
  };
});
