import { connectInBackground, createAdmin, createKafka, createProducer } from "../shared/kafka.ts";
import { errorFields } from "../shared/logging.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";

await runFunction("buy", async ({ config, logger, registry, ready }) => {
  const kafka = createKafka(config, "buy", logger);
  const producer = createProducer(kafka, { timeoutMs: config.KAFKA_TIMEOUT_MS });
  const admin = createAdmin(kafka);
  // Start serving at once; until Kafka answers, /buy is a 503 and /health says so.
  const connecting = [producer, admin].map((client) =>
    connectInBackground(client, (err, attempt) =>
      logger.warn("kafka connect failed", { attempt, ...errorFields(err) }),
    ),
  );
  const app = createApp({
    logger,
    registry,
    ready,
    producer,
    admin,
    topic: config.KAFKA_TOPIC,
    timeoutMs: config.KAFKA_TIMEOUT_MS,
    corsOrigins: config.CORS_ORIGINS,
  });
  return {
    app,
    close: async () => {
      for (const c of connecting) c.stop();
      await producer.flush({ timeout: config.KAFKA_TIMEOUT_MS }).catch(() => {});
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
});
