import { createAuth } from "../shared/auth/index.ts";
import { cachedProbe } from "../shared/health.ts";
import { anyBrokerListening, connectInBackground, createKafka } from "../shared/kafka.ts";
import { keepTrying } from "../shared/keep-trying.ts";
import { errorFields } from "../shared/logging.ts";
import { connectThen, createMongoClient, purchasesCollection } from "../shared/mongo.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";
import { createGroupReader, lagGauge } from "./lag.ts";

await runFunction("customer-management", configSchema, async ({ config, logger, registry, ready }) => {
  const client = createMongoClient(config);
  const kafka = createKafka(config, "customer-management", logger);
  const group = connectInBackground(
    () => createGroupReader(kafka, config.KAFKA_GROUP_ID),
    config.KAFKA_BOOTSTRAP_SERVERS,
    (err, attempt) => logger.warn("kafka group reader connect failed", { attempt, ...errorFields(err) }),
  );
  const timeout = Math.min(config.KAFKA_TIMEOUT_MS, 2000);
  // While no broker accepts TCP, librdkafka would spin reconnecting for each pending admin request
  // (about half a core); asking only once a broker listens keeps an outage cheap.
  const state = cachedProbe(async () => {
    const reader = group.get();
    if (!reader || !(await anyBrokerListening(config.KAFKA_BOOTSTRAP_SERVERS, timeout))) return undefined;
    return reader.read(config.KAFKA_TOPIC, timeout);
  }, 2000);
  lagGauge(registry, { consumergroup: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC }, state);
  // The issuer's keys are fetched now, not at the first read; readiness does not wait for them.
  const auth = createAuth(config, { logger });
  void auth.warm();
  const app = createApp({
    logger,
    registry,
    ready,
    auth,
    client,
    collection: purchasesCollection(client),
    timeoutMs: config.MONGODB_TIMEOUT_MS,
    groupState: state,
  });
  return {
    app,
    // Ready once the database answers: history reads are this function's job (Kafka is for /health).
    ready: keepTrying(
      "database ping",
      () => connectThen(client, () => client.db("admin").command({ ping: 1 })),
      logger,
    ),
    close: async () => {
      await Promise.allSettled([client.close(), group.stop()]);
    },
  };
});
