// Composition root: builds the real clients from the config, starts the dispatcher and the status
// server, and returns stop(). main.ts adds the environment and the signals around it.

import { setTimeout as sleep } from "node:timers/promises";
import {
  createAdmin,
  createKafka,
  createProducer,
  ensureTopic,
  type Producer,
} from "../../functions/shared/kafka.ts";
import { announceListening } from "../../functions/shared/listening.ts";
import { errorFields, type Logger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { createSourceConsumer } from "./consumer.ts";
import { type DeadLetterSink, httpDeadLetter, kafkaDeadLetter } from "./dead-letter.ts";
import { createDispatcher } from "./dispatcher.ts";
import type { DispatcherConfig } from "./manifest.ts";
import type { KafkaRecord } from "./mapping.ts";
import { createDispatcherMetrics, serveStatus } from "./metrics.ts";
import { Scheduler } from "./scheduler.ts";
import { clientCredentials } from "./token.ts";

export interface StartOptions {
  /** Aborting it gives up start-up retries (a signal while Kafka is unreachable). */
  abort?: AbortSignal;
}

export async function startKafkaSource(config: DispatcherConfig, log: Logger, opts: StartOptions = {}) {
  const { abort = new AbortController().signal } = opts;
  const registry = createRegistry({ service: "kafka-source", revision: config.revision });
  const scheduler = new Scheduler<KafkaRecord>({
    ordering: config.ordering,
    maxInFlight: config.maxInFlight,
  });
  const metrics = createDispatcherMetrics(registry, () => scheduler.inFlight);

  /** Retries a start-up step while Kafka is unreachable, every 2 s, until it works or `abort`. */
  const retrying = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (abort.aborted) throw err;
        log.warn(`${what} failed, retrying`, { attempt, ...errorFields(err) });
        await sleep(2000, undefined, { signal: abort });
      }
    }
  };

  let producer: Producer | undefined;
  let deadLetter: DeadLetterSink | undefined;
  const target = config.deadLetter;
  if (target?.kind === "kafka") {
    const kafka = createKafka({ KAFKA_BOOTSTRAP_SERVERS: config.bootstrapServers }, "kafka-source-dlq");
    await retrying("creating the dead-letter topic", async () => {
      const admin = createAdmin(kafka);
      await admin.connect();
      try {
        await ensureTopic(admin, { topic: target.topic });
      } finally {
        await admin.disconnect();
      }
    });
    const p = createProducer(kafka, { timeoutMs: 10_000 });
    await retrying("connecting the dead-letter producer", () => p.connect());
    producer = p;
    deadLetter = kafkaDeadLetter(p, target.topic);
  } else if (target?.kind === "http") {
    deadLetter = httpDeadLetter({ url: target.url, ...config.delivery, namespace: config.source.namespace });
  }

  // The consumer calls back into the dispatcher on rebalances; the dispatcher polls the consumer.
  let dispatcher: ReturnType<typeof createDispatcher> | undefined;
  const consumer = createSourceConsumer(
    { ...config, debug: config.rdkafkaDebug },
    {
      assigned: (tps) => dispatcher?.rebalance.assigned(tps),
      revoked: async (tps, lost) => dispatcher?.rebalance.revoked(tps, lost),
    },
    log,
  );
  // Sender identity: as the cluster's dispatcher, a token only for a sink with an audience.
  const credentials =
    config.oidc && config.sinkAudience
      ? clientCredentials(config.oidc, {
          audience: config.sinkAudience,
          timeoutMs: Math.min(config.delivery.timeoutMs, 30_000),
          log,
        })
      : undefined;
  if (config.sinkAudience && !credentials)
    log.info("spec.sink.audience is set but KAFKA_SOURCE_OIDC_* are not: events are sent without a token");
  dispatcher = createDispatcher({ config, credentials, scheduler, consumer, deadLetter, metrics, log });
  await retrying("connecting the consumer", () => consumer.connect());
  dispatcher.start();

  const status = await serveStatus(registry, () => dispatcher?.running ?? false, config.port);
  log.info("listening", { port: status.port, group: config.group, topics: config.topics });
  announceListening(status.port);

  return {
    port: status.port,
    async stop() {
      await dispatcher?.stop();
      await producer?.disconnect();
      await status.close();
    },
  };
}
