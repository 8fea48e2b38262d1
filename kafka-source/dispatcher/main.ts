// Local KafkaSource dispatcher: reads kafka-source/kafka-source.yaml (the manifest the cluster uses)
// and does what eventing-kafka-broker's dispatcher does for it: every record of spec.topics becomes a
// CloudEvent POSTed in binary mode to the sink, with spec.delivery's retries, backoff, timeout and
// dead-letter sink, and offsets committed only behind completed records (at-least-once).
//
//   node --import tsx kafka-source/dispatcher/main.ts
//
// Environment (all optional except a sink URL when spec.sink is a ref, as in our manifest):
//   KAFKA_SOURCE_MANIFEST        manifest path (default kafka-source/kafka-source.yaml)
//   KAFKA_BOOTSTRAP_SERVERS      comma list of host:port, replaces spec.bootstrapServers
//   KAFKA_SOURCE_TOPICS          comma list, replaces spec.topics
//   KAFKA_SOURCE_GROUP           replaces spec.consumerGroup
//   KAFKA_SOURCE_SINK_URL        the sink's URL (required unless spec.sink.uri is an absolute URL)
//   KAFKA_SOURCE_DLQ             kafka:<topic> | http(s)://… | none; default from
//                                spec.delivery.deadLetterSink: its uri, or for a KafkaSink ref
//                                kafka:$KAFKA_DLQ_TOPIC (default: the KafkaSink's name, purchases-dlq)
//   KAFKA_SOURCE_ORDERING        ordered | unordered, replaces spec.ordering
//   KAFKA_SOURCE_INITIAL_OFFSET  earliest | latest, replaces spec.initialOffset
//   KAFKA_SOURCE_MAX_IN_FLIGHT   deliveries in flight per consumer (default 50 = max.poll.records)
//   KAFKA_SOURCE_COMMIT_INTERVAL_MS  how often completed offsets are committed (default 200)
//   KAFKA_SOURCE_SESSION_TIMEOUT_MS  consumer group session timeout (default 10000)
//   KAFKA_SOURCE_MAX_POLL_INTERVAL_MS  max.poll.interval.ms (default 300000, at least the session timeout)
//   KAFKA_SOURCE_RDKAFKA_DEBUG   librdkafka debug contexts (e.g. consumer,fetch), logged at debug
//   LOG_LEVEL                    debug | info | warn | error | silent (default info)
//   PORT                         /metrics and /healthz (default 8106; 0 = any free port)
// SIGTERM/SIGINT: stop fetching, finish the deliveries in flight (no new retries; each bounded by
// the delivery timeout), commit, leave the group, exit 0.
import { createLogger, errorFields } from "../../functions/shared/logging.ts";
import { type DispatcherConfig, loadConfig, ManifestError } from "./manifest.ts";
import { startKafkaSource } from "./start.ts";

const boot = createLogger("info", { service: "kafka-source" });
let config: DispatcherConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ManifestError) boot.error(err.message);
  else boot.error("cannot load the configuration", errorFields(err));
  process.exit(1);
}
const log = createLogger(config.logLevel, { service: "kafka-source" });
log.info("starting", redacted(config));
if (config.consumers > 1) log.info("spec.consumers > 1: run more dispatcher processes to scale out locally");

const abort = new AbortController();
const started = startKafkaSource(config, log, { abort: abort.signal });
started.catch((err) => {
  if (abort.signal.aborted) process.exit(0);
  log.error("start-up failed", errorFields(err));
  process.exit(1);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    abort.abort();
    // Graceful stop is bounded by the delivery timeout; if the Kafka client hangs anyway, exit: what
    // was not committed is redelivered, so a hard exit loses nothing.
    const limitMs = config.delivery.timeoutMs + 15_000;
    setTimeout(() => {
      log.error("shutdown did not finish in time, exiting", { limitMs });
      process.exit(1);
    }, limitMs).unref();
    started
      .then((app) => app.stop())
      .then(
        () => {
          log.info("stopped");
          process.exit(0);
        },
        (err) => {
          log.error("shutdown failed", errorFields(err));
          process.exit(1);
        },
      );
  });
}

/** The effective config for the start-up log, without credentials in URLs. */
function redacted(c: DispatcherConfig) {
  const clean = (url: string) => url.replace(/\/\/[^/@]*@/, "//***@");
  const dlq =
    c.deadLetter?.kind === "http" ? clean(c.deadLetter.url) : c.deadLetter && `kafka:${c.deadLetter.topic}`;
  return { ...c, sink: clean(c.sink), deadLetter: dlq ?? "none" };
}
