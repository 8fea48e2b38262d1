// The Kafka side: librdkafka's KafkaConsumer (the non-KafkaJS API of @confluentinc/kafka-javascript),
// because the dispatcher needs what the KafkaJS layer hides: explicit polls (so it can stop polling
// when its buffer is full), commits of chosen offsets, and a rebalance callback that can finish work
// before partitions go. With a rebalance_cb function librdkafka waits for our (incremental)
// unassign, so revoked partitions are committed first, like KafkaSource's PartitionRevokedHandler.
// No pause/resume: each resume costs a fetch.wait.max.ms round trip and, in our tests, rapid
// pause/resume cycles could wedge librdkafka's consume call; not polling bounds memory instead.
import { RdKafka } from "@confluentinc/kafka-javascript";
import type { Logger } from "../../functions/shared/logging.ts";
import { errorFields } from "../../functions/shared/logging.ts";
import type { KafkaRecord } from "./mapping.ts";
import type { TopicPartition, TopicPartitionOffset } from "./scheduler.ts";

export interface ConsumerOptions {
  bootstrapServers: string[];
  group: string;
  topics: string[];
  initialOffset: "earliest" | "latest";
  sessionTimeoutMs: number;
  /** librdkafka debug contexts (e.g. "consumer,fetch"), logged at debug level. */
  debug?: string | undefined;
}

export interface RebalanceHandlers {
  assigned(tps: TopicPartition[]): void;
  /** Awaited before the partitions are given up: stop them and commit what is done. */
  revoked(tps: TopicPartition[], lost: boolean): Promise<void>;
}

// Methods the library has but its type declarations leave out.
type FullConsumer = RdKafka.KafkaConsumer & {
  commitCb(offsets: TopicPartitionOffset[], cb: (err: Error | null) => void): void;
  incrementalAssign(tps: TopicPartition[]): void;
  incrementalUnassign(tps: TopicPartition[]): void;
  rebalanceProtocol(): "COOPERATIVE" | "EAGER" | "NONE";
  assignmentLost(): boolean;
  setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void;
};

export function createSourceConsumer(opts: ConsumerOptions, handlers: RebalanceHandlers, log: Logger) {
  const consumer = new RdKafka.KafkaConsumer({
    "bootstrap.servers": opts.bootstrapServers.join(","),
    "group.id": opts.group,
    "client.id": "kafka-source-dispatcher",
    "enable.auto.commit": false,
    "enable.auto.offset.store": false,
    // initialOffset only applies when the group has no committed offset, as in KafkaSource.
    "auto.offset.reset": opts.initialOffset,
    "partition.assignment.strategy": "cooperative-sticky",
    "session.timeout.ms": opts.sessionTimeoutMs,
    "topic.metadata.refresh.interval.ms": 10_000,
    // What librdkafka prefetches while the dispatcher is not polling (its buffer is full).
    "queued.min.messages": 1000,
    "queued.max.messages.kbytes": 16_384,
    rebalance_cb: (err: { code: number }, assignment: TopicPartition[]) => onRebalance(err, assignment),
    ...(opts.debug ? { debug: opts.debug, event_cb: true } : {}),
  }) as FullConsumer;
  consumer.on("event.log", (e) => log.debug("librdkafka", { fac: e.fac, message: e.message }));
  // librdkafka reconnects by itself; the same error is a warning at most every 10 s.
  let last = { message: "", at: 0 };
  consumer.on("event.error", (err) => {
    const repeat = err.message === last.message && Date.now() - last.at < 10_000;
    if (!repeat) last = { message: err.message, at: Date.now() };
    (repeat ? log.debug : log.warn)("kafka consumer error", errorFields(err));
  });

  const tps = (list: TopicPartition[]) => list.map(({ topic, partition }) => ({ topic, partition }));
  function onRebalance(err: { code: number }, assignment: TopicPartition[]) {
    const incremental = consumer.rebalanceProtocol() !== "EAGER";
    if (err.code === RdKafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      handlers.assigned(tps(assignment));
      if (incremental) consumer.incrementalAssign(assignment);
      else consumer.assign(assignment);
      return;
    }
    let lost = false;
    try {
      lost = consumer.assignmentLost();
    } catch {}
    void handlers
      .revoked(tps(assignment), lost)
      .catch((e) => log.error("revoking partitions failed", errorFields(e)))
      .finally(() => {
        try {
          if (incremental) consumer.incrementalUnassign(assignment);
          else consumer.unassign();
        } catch {
          // While closing the protocol reads NONE; a plain unassign always ends the rebalance.
          consumer.unassign();
        }
      });
  }

  return {
    connect: () =>
      new Promise<void>((resolve, reject) => {
        consumer.connect({ timeout: 10_000 }, (err) => {
          if (err) return reject(err);
          consumer.setDefaultConsumeTimeout(100);
          consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
          consumer.subscribe(opts.topics);
          resolve();
        });
      }),
    /** One fetch: up to `max` records, waiting at most ~100 ms for the first. */
    poll: (max: number) =>
      new Promise<KafkaRecord[]>((resolve, reject) =>
        consumer.consume(max, (err, messages) => (err ? reject(err) : resolve(messages.map(toRecord)))),
      ),
    commit: (offsets: TopicPartitionOffset[]) =>
      new Promise<void>((resolve, reject) =>
        consumer.commitCb(offsets, (err) => (err ? reject(err) : resolve())),
      ),
    /** Leaves the group (the revoke callback runs once more) and closes the connection. */
    close: () => new Promise<void>((resolve) => consumer.disconnect(() => resolve())),
  };
}

export type SourceConsumer = ReturnType<typeof createSourceConsumer>;

export function toRecord(m: RdKafka.Message): KafkaRecord {
  const headers: Array<[string, Buffer]> = [];
  for (const h of m.headers ?? []) {
    for (const [name, value] of Object.entries(h)) headers.push([name, Buffer.from(value)]);
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key === null || m.key === undefined ? undefined : Buffer.from(m.key),
    value: m.value,
    headers,
  };
}
