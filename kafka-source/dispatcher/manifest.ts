// Reads the KafkaSource manifest (sources.knative.dev/v1, or v1beta1) the cluster uses and turns it into the
// dispatcher's config, with the local overrides from the environment that main.ts documents.
// Defaults are KafkaSource's: initialOffset latest, ordering ordered, no retries, no backoff delay,
// a 600 s per-attempt timeout (eventing-kafka-broker WebClientCloudEventSender.DEFAULT_TIMEOUT_MS).
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import {
  ConfigError,
  type EnvVars,
  fields,
  isHttpUrl,
  kinds,
  parseEnv,
} from "../../functions/shared/config.ts";
import type { Level } from "../../functions/shared/logging.ts";
import { parseDuration } from "./duration.ts";
import { type Manifest, ManifestSchema } from "./schema.ts";
import type { OidcClient } from "./token.ts";

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
  /** spec.sink.audience: the `aud` of the sender token, when the sink has one. */
  sinkAudience: string | undefined;
  /** Sender identity: where the sink's token comes from (KAFKA_SOURCE_OIDC_*); none, no token is sent. */
  oidc: OidcClient | undefined;
  deadLetter: DeadLetterTarget | undefined;
  ceOverrides: Record<string, string>;
  port: number;
  logLevel: Level;
  /** K_REVISION: the metrics' revision label. */
  revision?: string;
}

export class ManifestError extends ConfigError {}
export const DEFAULT_MANIFEST = "kafka-source/kafka-source.yaml";

/**
 * The variables the dispatcher reads (main.ts says what each does). Unset or blank, the manifest's
 * value (or KafkaSource's default) holds.
 */
export const DispatcherEnvSchema = v.object({
  KAFKA_SOURCE_MANIFEST: v.optional(kinds.text(), DEFAULT_MANIFEST),
  KAFKA_BOOTSTRAP_SERVERS: v.optional(v.unwrap(fields.KAFKA_BOOTSTRAP_SERVERS)),
  KAFKA_SOURCE_TOPICS: v.optional(v.pipe(kinds.list(), v.minLength(1, "must list at least one topic"))),
  KAFKA_SOURCE_GROUP: v.optional(kinds.name()),
  KAFKA_SOURCE_SINK_URL: v.optional(kinds.httpUrl()),
  KAFKA_SOURCE_DLQ: v.optional(
    v.pipe(
      kinds.text(),
      v.check(
        (s) => s === "none" || /^kafka:[A-Za-z0-9._-]{1,249}$/.test(s) || isHttpUrl(s),
        "must be kafka:<topic>, an http(s) URL, or none",
      ),
    ),
  ),
  KAFKA_DLQ_TOPIC: v.optional(v.unwrap(fields.KAFKA_DLQ_TOPIC)),
  KAFKA_SOURCE_ORDERING: v.optional(kinds.oneOf(["ordered", "unordered"])),
  KAFKA_SOURCE_INITIAL_OFFSET: v.optional(kinds.oneOf(["earliest", "latest"])),
  KAFKA_SOURCE_MAX_IN_FLIGHT: v.optional(kinds.wholeNumber(1, 100_000), "50"),
  KAFKA_SOURCE_COMMIT_INTERVAL_MS: v.optional(kinds.wholeNumber(10, 3_600_000), "200"),
  KAFKA_SOURCE_SESSION_TIMEOUT_MS: v.optional(kinds.wholeNumber(1000, 3_600_000), "10000"),
  // librdkafka's default, as the Java consumer's; librdkafka refuses one below the session timeout.
  KAFKA_SOURCE_MAX_POLL_INTERVAL_MS: v.optional(kinds.wholeNumber(1000, 86_400_000), "300000"),
  KAFKA_SOURCE_RDKAFKA_DEBUG: v.optional(kinds.text()),
  // Sender identity, locally: the client-credentials grant stands in for the cluster's service-account
  // token (all three, or none).
  KAFKA_SOURCE_OIDC_TOKEN_URL: v.optional(kinds.httpUrl()),
  KAFKA_SOURCE_OIDC_CLIENT_ID: v.optional(kinds.text()),
  KAFKA_SOURCE_OIDC_CLIENT_SECRET: v.optional(kinds.text()),
  PORT: v.optional(v.unwrap(fields.PORT), "8106"),
  LOG_LEVEL: fields.LOG_LEVEL,
  K_REVISION: fields.K_REVISION,
});

/** Blank counts as unset: an override left empty in a shell keeps the manifest's value. */
const parseDispatcherEnv = (env: EnvVars) =>
  parseEnv(DispatcherEnvSchema, Object.fromEntries(Object.entries(env).filter(([, x]) => x?.trim())));

/** Reads and resolves the manifest named by KAFKA_SOURCE_MANIFEST (default kafka-source/kafka-source.yaml). */
export function loadDispatcherConfig(
  env: EnvVars = process.env,
  read = (p: string) => readFileSync(p, "utf8"),
) {
  const path = parseDispatcherEnv(env).KAFKA_SOURCE_MANIFEST;
  let yaml: string;
  try {
    yaml = read(path);
  } catch (err) {
    throw new ManifestError(`cannot read KafkaSource manifest ${path}: ${(err as Error).message}`);
  }
  return resolveConfig(yaml, env, path);
}

/** Pure: manifest text + environment -> config. Throws a ConfigError naming the bad field or variable. */
export function resolveConfig(yaml: string, rawEnv: EnvVars, path = DEFAULT_MANIFEST): DispatcherConfig {
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
  const env = parseDispatcherEnv(rawEnv);
  const m = parsed.output;
  const { spec } = m;
  const delivery = spec.delivery;

  const sink = env.KAFKA_SOURCE_SINK_URL || absoluteUri(spec.sink.uri);
  if (!sink) {
    throw new ManifestError(
      `${path}: spec.sink is a ${spec.sink.ref?.kind} ref with no local address: set KAFKA_SOURCE_SINK_URL`,
    );
  }
  if (env.KAFKA_SOURCE_MAX_POLL_INTERVAL_MS < env.KAFKA_SOURCE_SESSION_TIMEOUT_MS) {
    throw new ManifestError(
      `invalid KAFKA_SOURCE_MAX_POLL_INTERVAL_MS="${env.KAFKA_SOURCE_MAX_POLL_INTERVAL_MS}": must be at least KAFKA_SOURCE_SESSION_TIMEOUT_MS (${env.KAFKA_SOURCE_SESSION_TIMEOUT_MS})`,
    );
  }

  return {
    manifestPath: path,
    source: { namespace: m.metadata.namespace, name: m.metadata.name },
    // Knative generates a group id when none is set; locally a stable name keeps restarts resumable.
    group:
      env.KAFKA_SOURCE_GROUP ||
      spec.consumerGroup ||
      `kafkasource-${m.metadata.namespace}-${m.metadata.name}`,
    topics: env.KAFKA_SOURCE_TOPICS ?? spec.topics,
    bootstrapServers: env.KAFKA_BOOTSTRAP_SERVERS ?? spec.bootstrapServers,
    initialOffset: env.KAFKA_SOURCE_INITIAL_OFFSET ?? spec.initialOffset,
    ordering: env.KAFKA_SOURCE_ORDERING ?? spec.ordering,
    consumers: spec.consumers,
    maxInFlight: env.KAFKA_SOURCE_MAX_IN_FLIGHT,
    commitIntervalMs: env.KAFKA_SOURCE_COMMIT_INTERVAL_MS,
    sessionTimeoutMs: env.KAFKA_SOURCE_SESSION_TIMEOUT_MS,
    maxPollIntervalMs: env.KAFKA_SOURCE_MAX_POLL_INTERVAL_MS,
    rdkafkaDebug: env.KAFKA_SOURCE_RDKAFKA_DEBUG,
    delivery: {
      retry: delivery.retry,
      // Knative's DeliverySpec defaults backoffPolicy to exponential.
      backoffPolicy: delivery.backoffPolicy ?? "exponential",
      backoffDelayMs: delivery.backoffDelay ? parseDuration(delivery.backoffDelay) : 0,
      timeoutMs: delivery.timeout ? parseDuration(delivery.timeout) : 600_000,
    },
    sink,
    sinkAudience: spec.sink.audience,
    oidc: oidcOf(env, spec.sink.audience, path),
    deadLetter: deadLetterOf(spec.delivery.deadLetterSink, env, path),
    ceOverrides: spec.ceOverrides?.extensions ?? {},
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    revision: env.K_REVISION,
  };
}

/** The token endpoint and client, all three variables or none, and only for a sink with an audience. */
function oidcOf(
  env: v.InferOutput<typeof DispatcherEnvSchema>,
  audience: string | undefined,
  path: string,
): OidcClient | undefined {
  const vars = {
    KAFKA_SOURCE_OIDC_TOKEN_URL: env.KAFKA_SOURCE_OIDC_TOKEN_URL,
    KAFKA_SOURCE_OIDC_CLIENT_ID: env.KAFKA_SOURCE_OIDC_CLIENT_ID,
    KAFKA_SOURCE_OIDC_CLIENT_SECRET: env.KAFKA_SOURCE_OIDC_CLIENT_SECRET,
  };
  const unset = Object.entries(vars).filter(([, x]) => !x);
  if (unset.length === 3) return undefined;
  if (unset.length > 0)
    throw new ConfigError(
      `missing ${unset.map(([k]) => k).join(", ")}: the sender token needs KAFKA_SOURCE_OIDC_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET together`,
    );
  // As upstream: a token goes only to a sink that has an audience; a client set for a sink without
  // one is a mistake (nothing would be sent), not a default.
  if (!audience)
    throw new ManifestError(
      `${path}: spec.sink.audience is not set, but KAFKA_SOURCE_OIDC_* are: a sender token needs the sink's audience`,
    );
  return {
    tokenUrl: vars.KAFKA_SOURCE_OIDC_TOKEN_URL as string,
    clientId: vars.KAFKA_SOURCE_OIDC_CLIENT_ID as string,
    clientSecret: vars.KAFKA_SOURCE_OIDC_CLIENT_SECRET as string,
  };
}

function deadLetterOf(
  dls: Manifest["spec"]["delivery"]["deadLetterSink"],
  env: v.InferOutput<typeof DispatcherEnvSchema>,
  path: string,
): DeadLetterTarget | undefined {
  const override = env.KAFKA_SOURCE_DLQ;
  if (override === "none") return undefined;
  if (override?.startsWith("kafka:")) return { kind: "kafka", topic: override.slice(6) };
  if (override) return { kind: "http", url: override };
  if (!dls) return undefined;
  const uri = absoluteUri(dls.uri);
  if (uri) return { kind: "http", url: uri };
  // A KafkaSink dead-letter sink produces to its topic; locally we produce there directly.
  if (dls.ref?.kind === "KafkaSink") return { kind: "kafka", topic: env.KAFKA_DLQ_TOPIC || dls.ref.name };
  throw new ManifestError(
    `${path}: spec.delivery.deadLetterSink is a ${dls.ref?.kind} ref with no local address: set KAFKA_SOURCE_DLQ`,
  );
}

const absoluteUri = (uri: string | undefined) => (uri && isHttpUrl(uri) ? uri : undefined);
