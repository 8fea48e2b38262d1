// Factories on @confluentinc/kafka-javascript (librdkafka) through its KafkaJS-style API.
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import type { Variables } from "./config.ts";
import { createLogger, type Logger } from "./logging.ts";
import { withTimeout } from "./timeout.ts";

export type Kafka = KafkaJS.Kafka;
export type Producer = KafkaJS.Producer;
export type Admin = KafkaJS.Admin;

export function createKafka(
  config: Pick<Variables, "KAFKA_BOOTSTRAP_SERVERS">,
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
 * How often a producer asks for the cluster's metadata unprompted. librdkafka's default (300 s) left
 * buy writing to 3 of 6 partitions for minutes after partitions were added (issue 24). At 10 s a
 * new partition takes purchases within ~10 s; the cost is one small metadata request per producer
 * every 10 s (a few hundred bytes), nothing beside a produce rate of hundreds per second.
 */
export const METADATA_REFRESH_MS = 10_000;

/**
 * Idempotent producer, acks=all: a send resolves only once every in-sync replica has the record.
 * `timeoutMs` bounds a send (message.timeout.ms); librdkafka retries inside that bound and
 * reconnects on its own when the broker comes back.
 */
export function createProducer(
  kafka: Kafka,
  {
    timeoutMs,
    lingerMs = 1,
    metadataRefreshMs = METADATA_REFRESH_MS,
  }: { timeoutMs: number; lingerMs?: number; metadataRefreshMs?: number },
) {
  return kafka.producer({
    kafkaJS: { idempotent: true, acks: -1 },
    "message.timeout.ms": timeoutMs,
    "linger.ms": lingerMs,
    "socket.connection.setup.timeout.ms": Math.min(timeoutMs, 10_000),
    "topic.metadata.refresh.interval.ms": metadataRefreshMs,
  });
}

/**
 * In a long-lived process, use only the admin calls that need no group coordinator (listTopics,
 * createTopics, fetchTopicOffsets, listGroups): describeGroups and fetchOffsets crash the process
 * when the broker restarts (functions/customer-management/lag.ts says how, and what to use instead).
 */
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
export async function kafkaReachable(admin: Pick<Admin, "listTopics">, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(admin.listTopics({ timeout: timeoutMs }), timeoutMs + 100);
    return true;
  } catch {
    return false;
  }
}

/** True when a bootstrap broker accepts a TCP connection within `timeoutMs`. */
export async function anyBrokerListening(brokers: string[], timeoutMs = 1000): Promise<boolean> {
  const attempts = brokers.map(
    (hostPort) =>
      new Promise<boolean>((resolve) => {
        const i = hostPort.lastIndexOf(":");
        const socket = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) });
        const done = (ok: boolean) => {
          socket.destroy();
          resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
      }),
  );
  return (await Promise.all(attempts)).some(Boolean);
}

interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Keeps one connected client, connecting in the background so a function can serve (and answer
 * 503) while Kafka is down. Two properties of the librdkafka-based client shape this:
 * - a client whose connect() failed cannot connect again, so each attempt uses a fresh one;
 * - a pending connect() against an unreachable broker blocks process exit for up to 30 s
 *   (a metadata request on libuv's thread pool), so we only call connect() once a broker
 *   accepts TCP, which keeps SIGTERM prompt while Kafka is down.
 */
export function connectInBackground<T extends Connectable>(
  create: () => T,
  brokers: string[],
  onError: (err: unknown, attempt: number) => void,
  intervalMs = 2000,
) {
  let stopped = false;
  let current: T | undefined;
  const done = (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      if (!(await anyBrokerListening(brokers))) {
        if (attempt === 1 || attempt % 15 === 0)
          onError(new Error(`no broker reachable at ${brokers}`), attempt);
        await sleep(intervalMs, undefined, { ref: false });
        continue;
      }
      const client = create();
      try {
        await client.connect();
        if (stopped) await client.disconnect();
        else current = client;
        return;
      } catch (err) {
        onError(err, attempt);
        await client.disconnect().catch(() => {});
        await sleep(intervalMs, undefined, { ref: false });
      }
    }
  })();
  return {
    done,
    /** The connected client, or undefined while (re)connecting. */
    get: () => current,
    stop: async () => {
      stopped = true;
      await current?.disconnect();
    },
  };
}

export class NotConnectedError extends Error {
  constructor() {
    super("not connected to Kafka yet");
  }
}
