import { keepTrying } from "../shared/keep-trying.ts";
import { connectThen, createMongoClient, ensureIndexes, purchasesCollection } from "../shared/mongo.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";
import { createSenderCheck } from "./sender.ts";

await runFunction("purchase-persist", configSchema, async ({ config, logger, registry, ready }) => {
  const client = createMongoClient(config, 50);
  const collection = purchasesCollection(client);
  // Indexes are what make redelivery harmless: not ready until they exist (writes that arrive
  // anyway answer 503, so KafkaSource retries them).
  const indexed = keepTrying(
    "ensureIndexes",
    () => connectThen(client, () => ensureIndexes(collection)),
    logger,
    2000,
  );
  const sender = createSenderCheck(config, { logger, registry });
  void sender.warm();
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
    sender: sender.middleware,
  });
  return {
    app,
    ready: indexed,
    close: async () => {
      await drain();
      await client.close();
    },
  };
});
