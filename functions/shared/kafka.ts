// Factories on @confluentinc/kafka-javascript (librdkafka) through its KafkaJS-style API.
import { KafkaJS } from "@confluentinc/kafka-javascript";
import type { Config } from "./config.ts";
import { createLogger, type Logger } from "./logging.ts";

export type Kafka = KafkaJS.Kafka;
export type Producer = KafkaJS.Producer;
export type Admin = KafkaJS.Admin;

export function createKafka(
  config: Pick<Config, "KAFKA_BOOTSTRAP_SERVERS">,
  clientId: string,
  logger: Logger = createLogger("silent"),
): Kafka {
  return new KafkaJS.Kafka({
    kafkaJS: { brokers: config.KAFKA_BOOTSTRAP_SERVERS, clientId, logger: kafkaLogger(logger) },
  });
}

/**
 * The client's log lines as our JSON lines: errors and warnings at warn, the rest at debug. While a
 * broker is down librdkafka repeats the same error every second or two; each distinct message is
 * logged at most once per 30 s.
 */
function kafkaLogger(logger: Logger): KafkaJS.Logger {
  const lastSeen = new Map<string, number>();
  const throttled = (level: "warn" | "debug") => (message: string) => {
    const now = Date.now();
    if (now - (lastSeen.get(message) ?? 0) < 30_000) return;
    lastSeen.set(message, now);
    if (lastSeen.size > 1000) lastSeen.clear();
    logger[level]("kafka client", { detail: message });
  };
  const adapter: KafkaJS.Logger = {
    error: throttled("warn"),
    warn: throttled("warn"),
    info: throttled("debug"),
    debug: () => {},
    namespace: () => adapter,
    setLogLevel: () => {},
  };
  return adapter;
}

/**
 * Idempotent producer, acks=all: a send resolves only once every in-sync replica has the record.
 * `timeoutMs` bounds a send (message.timeout.ms); librdkafka retries inside that bound and
 * reconnects on its own when the broker comes back.
 */
export function createProducer(
  kafka: Kafka,
  { timeoutMs, lingerMs = 1 }: { timeoutMs: number; lingerMs?: number },
) {
  return kafka.producer({
    kafkaJS: { idempotent: true, acks: -1 },
    "message.timeout.ms": timeoutMs,
    "linger.ms": lingerMs,
    "socket.connection.setup.timeout.ms": Math.min(timeoutMs, 10_000),
  });
}

export function createAdmin(kafka: Kafka): Admin {
  return kafka.admin();
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
}

/** Creates the topic when it does not exist; an existing topic is left as it is. */
export async function ensureTopic(admin: Admin, { topic, partitions = 3, replicationFactor = 1 }: TopicSpec) {
  const existing = await admin.listTopics({ timeout: 10_000 });
  if (existing.includes(topic)) return false;
  try {
    return await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }] });
  } catch (err) {
    // Another process created it between our list and create: that is the state we want.
    if ((err as { type?: string }).type === "TOPIC_ALREADY_EXISTS") return false;
    throw err;
  }
}

/** True when the cluster answers a metadata request within the bound. */
export async function kafkaReachable(admin: Admin, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(admin.listTopics({ timeout: timeoutMs }), timeoutMs + 100);
    return true;
  } catch {
    return false;
  }
}

export class TimeoutError extends Error {}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects in the background, retrying every `intervalMs` until it works or `stop()` is called. */
export function connectInBackground(
  client: { connect(): Promise<void> },
  onError: (err: unknown, attempt: number) => void,
  intervalMs = 2000,
) {
  let stopped = false;
  let connected = false;
  const done = (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await client.connect();
        connected = true;
        return;
      } catch (err) {
        onError(err, attempt);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    }
  })();
  return {
    done,
    connected: () => connected,
    stop: () => {
      stopped = true;
    },
  };
}
