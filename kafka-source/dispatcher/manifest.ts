// Reads the KafkaSource manifest (sources.knative.dev/v1, or v1beta1) the cluster uses and turns it into the
// dispatcher's config, with the local overrides from the environment that main.ts documents.
// Defaults are KafkaSource's: initialOffset latest, ordering ordered, no retries, no backoff delay,
// a 600 s per-attempt timeout (eventing-kafka-broker WebClientCloudEventSender.DEFAULT_TIMEOUT_MS).
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import type { Level } from "../../functions/shared/logging.ts";
import { parseDuration } from "./duration.ts";
import { type Manifest, ManifestSchema } from "./schema.ts";

export type DeadLetterTarget = { kind: "kafka"; topic: string } | { kind: "http"; url: string };
export interface DispatcherConfig {
  manifestPath: string;
  source: { namespace: string; name: string };
  group: string;
  topics: string[];
  bootstrapServers: string[];
  initialOffset: "earliest" | "latest";
  ordering: "ordered" | "unordered";
  consumers: number;
  maxInFlight: number;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
  maxPollIntervalMs: number;
  /** librdkafka debug contexts, or undefined. */
  rdkafkaDebug: string | undefined;
  delivery: {
    retry: number;
    backoffPolicy: "linear" | "exponential";
    backoffDelayMs: number;
    timeoutMs: number;
  };
  sink: string;
  deadLetter: DeadLetterTarget | undefined;
  ceOverrides: Record<string, string>;
  port: number;
  logLevel: Level;
}

export class ManifestError extends Error {}
const DEFAULT_MANIFEST = "kafka-source/kafka-source.yaml";
type Env = Record<string, string | undefined>;

/** Reads and resolves the manifest named by KAFKA_SOURCE_MANIFEST (default kafka-source/kafka-source.yaml). */
export function loadConfig(env: Env = process.env, read = (p: string) => readFileSync(p, "utf8")) {
  const path = env.KAFKA_SOURCE_MANIFEST || DEFAULT_MANIFEST;
  let yaml: string;
  try {
    yaml = read(path);
  } catch (err) {
    throw new ManifestError(`cannot read KafkaSource manifest ${path}: ${(err as Error).message}`);
  }
  return resolveConfig(yaml, env, path);
}

/** Pure: manifest text + environment -> config. Throws ManifestError naming the bad field or variable. */
export function resolveConfig(yaml: string, env: Env, path = DEFAULT_MANIFEST): DispatcherConfig {
  let doc: unknown;
  try {
    doc = parseYaml(yaml);
  } catch (err) {
    throw new ManifestError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = v.safeParse(ManifestSchema, doc);
  if (!parsed.success) {
    const [issue] = parsed.issues;
    const at = issue.path?.map((p) => String(p.key)).join(".") || "(document)";
    throw new ManifestError(`${path}: ${at}: ${issue.message}`);
  }
  const m = parsed.output;
  const { spec } = m;
  const delivery = spec.delivery;
  const fail = (name: string, msg: string): never => {
    throw new ManifestError(`invalid ${name}=${JSON.stringify(env[name])}: ${msg}`);
  };
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = env[name]?.trim();
    if (!value) return fallback;
    return allowed.includes(value as T) ? (value as T) : fail(name, `must be one of ${allowed.join(", ")}`);
  };
  const int = (name: string, fallback: number, min: number) => {
    const value = env[name]?.trim();
    if (!value) return fallback;
    return /^\d+$/.test(value) && Number(value) >= min
      ? Number(value)
      : fail(name, `must be a whole number >= ${min}`);
  };
  const list = (name: string, fallback: string[]) => {
    const items = (env[name] ?? "").split(",").map((s) => s.trim());
    return items.some(Boolean) ? items.filter(Boolean) : fallback;
  };

  const sink = env.KAFKA_SOURCE_SINK_URL?.trim() || absoluteUri(spec.sink.uri);
  if (!sink) {
    throw new ManifestError(
      `${path}: spec.sink is a ${spec.sink.ref?.kind} ref with no local address: set KAFKA_SOURCE_SINK_URL`,
    );
  }
  if (!isHttpUrl(sink)) fail("KAFKA_SOURCE_SINK_URL", "must be an http(s) URL");
  const sessionTimeoutMs = int("KAFKA_SOURCE_SESSION_TIMEOUT_MS", 10_000, 1000);
  // librdkafka's default, as the Java consumer's; librdkafka refuses one below the session timeout.
  const maxPollIntervalMs = int("KAFKA_SOURCE_MAX_POLL_INTERVAL_MS", 300_000, sessionTimeoutMs);

  return {
    manifestPath: path,
    source: { namespace: m.metadata.namespace, name: m.metadata.name },
    // Knative generates a group id when none is set; locally a stable name keeps restarts resumable.
    group:
      env.KAFKA_SOURCE_GROUP?.trim() ||
      spec.consumerGroup ||
      `kafkasource-${m.metadata.namespace}-${m.metadata.name}`,
    topics: list("KAFKA_SOURCE_TOPICS", spec.topics),
    bootstrapServers: list("KAFKA_BOOTSTRAP_SERVERS", spec.bootstrapServers),
    initialOffset: pick("KAFKA_SOURCE_INITIAL_OFFSET", ["earliest", "latest"], spec.initialOffset),
    ordering: pick("KAFKA_SOURCE_ORDERING", ["ordered", "unordered"], spec.ordering),
    consumers: spec.consumers,
    maxInFlight: int("KAFKA_SOURCE_MAX_IN_FLIGHT", 50, 1),
    commitIntervalMs: int("KAFKA_SOURCE_COMMIT_INTERVAL_MS", 200, 10),
    sessionTimeoutMs,
    maxPollIntervalMs,
    rdkafkaDebug: env.KAFKA_SOURCE_RDKAFKA_DEBUG?.trim() || undefined,
    delivery: {
      retry: delivery.retry,
      // Knative's DeliverySpec defaults backoffPolicy to exponential.
      backoffPolicy: delivery.backoffPolicy ?? "exponential",
      backoffDelayMs: delivery.backoffDelay ? parseDuration(delivery.backoffDelay) : 0,
      timeoutMs: delivery.timeout ? parseDuration(delivery.timeout) : 600_000,
    },
    sink,
    deadLetter: deadLetterOf(spec.delivery.deadLetterSink, env, path, fail),
    ceOverrides: spec.ceOverrides?.extensions ?? {},
    port: int("PORT", 8106, 0),
    logLevel: pick("LOG_LEVEL", ["debug", "info", "warn", "error", "silent"], "info"),
  };
}

function deadLetterOf(
  dls: Manifest["spec"]["delivery"]["deadLetterSink"],
  env: Env,
  path: string,
  fail: (name: string, msg: string) => never,
): DeadLetterTarget | undefined {
  const override = env.KAFKA_SOURCE_DLQ?.trim();
  if (override === "none") return undefined;
  if (override) {
    if (override.startsWith("kafka:") && /^[A-Za-z0-9._-]{1,249}$/.test(override.slice(6))) {
      return { kind: "kafka", topic: override.slice(6) };
    }
    return isHttpUrl(override)
      ? { kind: "http", url: override }
      : fail("KAFKA_SOURCE_DLQ", "must be kafka:<topic>, an http(s) URL, or none");
  }
  if (!dls) return undefined;
  const uri = absoluteUri(dls.uri);
  if (uri) return { kind: "http", url: uri };
  // A KafkaSink dead-letter sink produces to its topic; locally we produce there directly.
  if (dls.ref?.kind === "KafkaSink")
    return { kind: "kafka", topic: env.KAFKA_DLQ_TOPIC?.trim() || dls.ref.name };
  throw new ManifestError(
    `${path}: spec.delivery.deadLetterSink is a ${dls.ref?.kind} ref with no local address: set KAFKA_SOURCE_DLQ`,
  );
}

const isHttpUrl = (s: string) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s);
const absoluteUri = (uri: string | undefined) => (uri && isHttpUrl(uri) ? uri : undefined);
