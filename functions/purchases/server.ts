import { cachedProbe } from "../shared/health.ts";
import { connectInBackground, createAdmin, createKafka } from "../shared/kafka.ts";
import { keepTrying } from "../shared/keep-trying.ts";
import { errorFields } from "../shared/logging.ts";
import { createMongoClient, purchasesCollection } from "../shared/mongo.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { groupState, lagGauge } from "./lag.ts";

await runFunction("purchases", async ({ config, logger, registry, ready }) => {
  const client = createMongoClient(config);
  const kafka = createKafka(config, "purchases-api", logger);
  const admin = connectInBackground(
    () => createAdmin(kafka),
    config.KAFKA_BOOTSTRAP_SERVERS,
    (err, attempt) => logger.warn("kafka admin connect failed", { attempt, ...errorFields(err) }),
  );
  const timeout = Math.min(config.KAFKA_TIMEOUT_MS, 2000);
  const state = cachedProbe(async () => {
    const connected = admin.get();
    return connected && groupState(connected, config.KAFKA_GROUP_ID, config.KAFKA_TOPIC, timeout);
  }, 2000);
  lagGauge(registry, { consumergroup: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC }, state);
  const app = createApp({
    logger,
    registry,
    ready,
    client,
    collection: purchasesCollection(client),
    timeoutMs: config.MONGODB_TIMEOUT_MS,
    groupState: state,
  });
  return {
    app,
    // Ready once the database answers: history reads are this function's job (Kafka is for /health).
    ready: keepTrying("database ping", () => client.db("admin").command({ ping: 1 }), logger),
    close: async () => {
      await Promise.allSettled([client.close(), admin.stop()]);
    },
  };
});
