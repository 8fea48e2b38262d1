// Configuration from the environment. Each variable is defined once here (its check and its
// default, the local stack's); each process (every function, the web server, the gateway, the local
// dispatcher) parses only the variables it reads, with a schema built from these definitions, and
// every bad value fails the same way: one ConfigError naming the variable, at start-up.
import * as v from "valibot";

export type EnvVars = Record<string, string | undefined>;

export const isHttpUrl = (s: string) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s);

/** How a value is read and checked, for variables defined elsewhere (dispatcher, gateway, web). */
export const kinds = {
  wholeNumber: (min: number, max: number) =>
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(min, `must be at least ${min}`),
      v.maxValue(max, `must be at most ${max}`),
    ),
  url: () => v.pipe(v.string(), v.trim(), v.url("must be an absolute URL")),
  httpUrl: () => v.pipe(v.string(), v.trim(), v.check(isHttpUrl, "must be an http(s) URL")),
  /** A comma-separated list; blanks between commas are dropped. */
  list: () =>
    v.pipe(
      v.string(),
      v.transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ),
  /** A Kafka topic or group name. */
  name: () =>
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^[A-Za-z0-9._-]{1,249}$/, "must be 1-249 characters of [A-Za-z0-9._-]"),
    ),
  oneOf: <const T extends readonly [string, ...string[]]>(options: T) =>
    v.pipe(v.string(), v.trim(), v.picklist(options, `must be one of ${options.join(", ")}`)),
  text: () => v.pipe(v.string(), v.trim()),
};

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** The variables more than one process reads, each with its default. */
export const fields = {
  KAFKA_BOOTSTRAP_SERVERS: v.optional(
    v.pipe(
      kinds.list(),
      v.minLength(1, "must list at least one host:port"),
      v.check(
        (hosts) => hosts.every((h) => /^[^\s:]+:\d+$/.test(h)),
        "must be a comma-separated list of host:port",
      ),
    ),
    "localhost:9092",
  ),
  KAFKA_TOPIC: v.optional(kinds.name(), "purchases"),
  KAFKA_DLQ_TOPIC: v.optional(kinds.name(), "purchases-dlq"),
  KAFKA_GROUP_ID: v.optional(kinds.name(), "customer-management-group"),
  KAFKA_TIMEOUT_MS: v.optional(kinds.wholeNumber(100, 120_000), "5000"),
  MONGODB_URI: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^mongodb(\+srv)?:\/\/\S+$/, "must be a mongodb:// or mongodb+srv:// URI"),
    ),
    "mongodb://localhost:27017/purchases",
  ),
  MONGODB_TIMEOUT_MS: v.optional(kinds.wholeNumber(100, 120_000), "3000"),
  CUSTOMER_MANAGEMENT_API_URL: v.optional(kinds.url(), "http://localhost:8104"),
  // Longer than MONGODB_TIMEOUT_MS, so the management API's own 503 arrives before we give up.
  UPSTREAM_TIMEOUT_MS: v.optional(kinds.wholeNumber(100, 120_000), "5000"),
  CORS_ORIGINS: v.optional(kinds.list(), "http://localhost:8080,http://127.0.0.1:8080"),
  PORT: v.optional(kinds.wholeNumber(0, 65535), "8080"),
  LOG_LEVEL: v.optional(
    v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(LEVELS, `must be one of ${LEVELS.join(", ")}`)),
    "info",
  ),
  PERSIST_BATCH_SIZE: v.optional(kinds.wholeNumber(1, 10_000), "500"),
  PERSIST_BATCH_WAIT_MS: v.optional(kinds.wholeNumber(0, 1000), "5"),
  PERSIST_MAX_PENDING: v.optional(kinds.wholeNumber(1, 1_000_000), "5000"),
  SHUTDOWN_TIMEOUT_MS: v.optional(kinds.wholeNumber(0, 600_000), "25000"),
  // How long a starting function waits for its clients (Kafka producer, database) before it exits.
  STARTUP_TIMEOUT_MS: v.optional(kinds.wholeNumber(100, 3_600_000), "60000"),
  K_SERVICE: v.optional(v.string()),
  K_REVISION: v.optional(v.string()),
};

type Fields = typeof fields;
export type FieldName = keyof Fields;

/** Every shared variable: for the tools that start or talk to the whole system (run command, tests, bench). */
export const SystemConfigSchema = v.object(fields);
/** Each shared variable as parsed. */
export type Variables = v.InferOutput<typeof SystemConfigSchema>;

/** What runFunction reads for every function: its port, logs, metric labels and lifecycle bounds. */
const FUNCTION_FIELDS = [
  "PORT",
  "LOG_LEVEL",
  "SHUTDOWN_TIMEOUT_MS",
  "STARTUP_TIMEOUT_MS",
  "K_SERVICE",
  "K_REVISION",
] as const satisfies readonly FieldName[];
type FunctionField = (typeof FUNCTION_FIELDS)[number];
export type FunctionVariables = Pick<Variables, FunctionField>;

const pick = <K extends FieldName>(names: readonly K[]) =>
  Object.fromEntries(names.map((n) => [n, fields[n]])) as Pick<Fields, K>;

/**
 * A function's config schema: every function's variables plus the shared ones it names, plus any
 * of its own (`extra`, built from `kinds`).
 */
export function functionConfig<K extends FieldName, E extends v.ObjectEntries = Record<never, never>>(
  names: readonly K[],
  extra?: E,
) {
  return v.object({ ...pick<FunctionField | K>([...FUNCTION_FIELDS, ...names]), ...(extra ?? ({} as E)) });
}

export class ConfigError extends Error {}

/** Parses the environment (or a plain object in tests) with a schema; throws ConfigError naming the variable. */
export function parseEnv<S extends v.GenericSchema>(schema: S, env: EnvVars = process.env): v.InferOutput<S> {
  const result = v.safeParse(schema, env);
  if (result.success) return result.output;
  const [issue] = result.issues;
  const [key, ...inner] = (issue.path ?? []).map((p) => String(p.key));
  if (key === undefined) throw new ConfigError(`invalid environment: ${issue.message}`);
  const at = inner.length ? `${inner.join(".")}: ` : "";
  const value = env[key];
  if (value === undefined) throw new ConfigError(`missing ${key}`);
  throw new ConfigError(`invalid ${key}=${JSON.stringify(value)}: ${at}${issue.message}`);
}
