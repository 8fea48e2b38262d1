// Local KafkaSource dispatcher: reads kafka-source/kafka-source.yaml (the manifest the cluster uses)
// and does what eventing-kafka-broker's dispatcher does for it: every record of spec.topics becomes a
// CloudEvent POSTed in binary mode to the sink, with spec.delivery's retries, backoff, timeout and
// dead-letter sink, and offsets committed only behind completed records (at-least-once).
//
//   node kafka-source/dispatcher/main.ts
//
// Environment: the table of docs/configuration.md (the rows "Read by" dispatcher), checked by
// manifest.ts DispatcherEnvSchema; all optional except a sink URL when spec.sink is a ref, as in our
// manifest. Blank means unset.
// SIGTERM/SIGINT: stop fetching, finish the deliveries in flight (no new retries; each bounded by
// the delivery timeout), commit, leave the group, exit 0.

import { ConfigError } from "../../functions/shared/config.ts";
import { exitNow } from "../../functions/shared/exit.ts";
import { createLogger, errorFields } from "../../functions/shared/logging.ts";
import { type DispatcherConfig, loadDispatcherConfig } from "./manifest.ts";
import { startKafkaSource } from "./start.ts";

const boot = createLogger("info", { service: "kafka-source" });
let config: DispatcherConfig;
try {
  config = loadDispatcherConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) boot.error(err.message);
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
      exitNow();
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

/** The effective config for the start-up log, without credentials in URLs nor the client secret. */
function redacted(c: DispatcherConfig) {
  const clean = (url: string) => url.replace(/\/\/[^/@]*@/, "//***@");
  const dlq =
    c.deadLetter?.kind === "http" ? clean(c.deadLetter.url) : c.deadLetter && `kafka:${c.deadLetter.topic}`;
  const oidc = c.oidc ? { tokenUrl: clean(c.oidc.tokenUrl), clientId: c.oidc.clientId } : "none";
  return { ...c, sink: clean(c.sink), deadLetter: dlq ?? "none", oidc };
}
