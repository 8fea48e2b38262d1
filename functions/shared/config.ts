// One schema over the environment for every function. A function reads the whole config but uses
// only its part; defaults are the local stack's. Bad values stop the process at start-up.
import * as v from "valibot";

const int = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.trim(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const url = (fallback: string) =>
  v.pipe(v.optional(v.string(), fallback), v.trim(), v.url("must be an absolute URL"));

const list = (fallback: string) =>
  v.pipe(
    v.optional(v.string(), fallback),
    v.transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  );

const name = (fallback: string) =>
  v.pipe(
    v.optional(v.string(), fallback),
    v.trim(),
    v.regex(/^[A-Za-z0-9._-]{1,249}$/, "must be 1-249 characters of [A-Za-z0-9._-]"),
  );

export const ConfigSchema = v.object({
  KAFKA_BOOTSTRAP_SERVERS: v.pipe(
    list("localhost:9092"),
    v.minLength(1, "must list at least one host:port"),
    v.check(
      (hosts) => hosts.every((h) => /^[^\s:]+:\d+$/.test(h)),
      "must be a comma-separated list of host:port",
    ),
  ),
  KAFKA_TOPIC: name("purchases"),
  KAFKA_DLQ_TOPIC: name("purchases-dlq"),
  KAFKA_GROUP_ID: name("customer-management-group"),
  KAFKA_TIMEOUT_MS: int(5000, 100, 120_000),
  MONGODB_URI: v.pipe(
    v.optional(v.string(), "mongodb://localhost:27017/purchases"),
    v.trim(),
    v.regex(/^mongodb(\+srv)?:\/\/\S+$/, "must be a mongodb:// or mongodb+srv:// URI"),
  ),
  MONGODB_TIMEOUT_MS: int(3000, 100, 120_000),
  CUSTOMER_MANAGEMENT_API_URL: url("http://localhost:8104"),
  // Longer than MONGODB_TIMEOUT_MS, so the management API's own 503 arrives before we give up.
  UPSTREAM_TIMEOUT_MS: int(5000, 100, 120_000),
  CORS_ORIGINS: list("http://localhost:8080,http://127.0.0.1:8080"),
  PORT: int(8080, 0, 65535),
  LOG_LEVEL: v.picklist(
    ["debug", "info", "warn", "error", "silent"],
    "must be one of debug, info, warn, error, silent",
  ),
  PERSIST_BATCH_SIZE: int(500, 1, 10_000),
  PERSIST_BATCH_WAIT_MS: int(5, 0, 1000),
  PERSIST_MAX_PENDING: int(5000, 1, 1_000_000),
  SHUTDOWN_TIMEOUT_MS: int(25_000, 0, 600_000),
  // How long a starting function waits for its clients (Kafka producer, database) before it exits.
  STARTUP_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  K_SERVICE: v.optional(v.string()),
  K_REVISION: v.optional(v.string()),
});

export type Config = v.InferOutput<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment (or a plain object in tests); throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input = { ...env, LOG_LEVEL: (env.LOG_LEVEL ?? "info").toLowerCase() };
  const result = v.safeParse(ConfigSchema, input);
  if (result.success) return result.output;
  const [issue] = result.issues;
  const key = issue.path?.[0]?.key ?? "environment";
  throw new ConfigError(`invalid ${String(key)}=${JSON.stringify(issue.input)}: ${issue.message}`);
}
