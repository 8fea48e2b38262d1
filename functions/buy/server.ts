import { createAuth } from "../shared/auth/index.ts";
import {
  anyBrokerListening,
  connectInBackground,
  createAdmin,
  createKafka,
  createProducer,
  NotConnectedError,
  type Producer,
} from "../shared/kafka.ts";
import { errorFields } from "../shared/logging.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";
import { deliveryTimeoutMs } from "./outcome.ts";

await runFunction("buy", configSchema, async ({ config, logger, registry, ready }) => {
  const kafka = createKafka(config, "buy", logger);
  const brokers = config.KAFKA_BOOTSTRAP_SERVERS;
  const onError = (what: string) => (err: unknown, attempt: number) =>
    logger.warn(`kafka ${what} connect failed`, { attempt, ...errorFields(err) });
  // Serve at once (liveness answers); /readyz waits for the producer. Should Kafka go away later,
  // /buy is a 503 and /health says so.
  const producer = connectInBackground(
    // The client times a record out before the request's deadline (./outcome.ts says why).
    () => createProducer(kafka, { timeoutMs: deliveryTimeoutMs(config.KAFKA_TIMEOUT_MS) }),
    brokers,
    onError("producer"),
  );
  const admin = connectInBackground(() => createAdmin(kafka), brokers, onError("admin"));
  // The issuer's keys are fetched now, not at the first purchase; readiness does not wait for them.
  const auth = createAuth(config, { logger });
  void auth.warm();
  const app = createApp({
    logger,
    registry,
    ready,
    auth,
    producer: {
      send: (record: Parameters<Producer["send"]>[0]) =>
        producer.get()?.send(record) ?? Promise.reject(new NotConnectedError()),
    },
    admin: {
      listTopics: (options?: { timeout?: number }) =>
        admin.get()?.listTopics(options) ?? Promise.reject(new NotConnectedError()),
    },
    brokersListening: () => anyBrokerListening(brokers, 500),
    topic: config.KAFKA_TOPIC,
    timeoutMs: config.KAFKA_TIMEOUT_MS,
    corsOrigins: config.CORS_ORIGINS,
  });
  return {
    app,
    ready: producer.done,
    close: async () => {
      await producer
        .get()
        ?.flush({ timeout: config.KAFKA_TIMEOUT_MS })
        .catch(() => {});
      await Promise.allSettled([producer.stop(), admin.stop()]);
    },
  };
});
