// The Kafka side: librdkafka's KafkaConsumer (the non-KafkaJS API of @confluentinc/kafka-javascript),
// because the dispatcher needs what the KafkaJS layer hides: explicit polls (so it can stop polling
// when its buffer is full), commits of chosen offsets, and a rebalance callback that can finish work
// before partitions go. With a rebalance_cb function librdkafka waits for our (incremental)
// unassign, so revoked partitions are committed first, like KafkaSource's PartitionRevokedHandler.
// Not polling bounds memory while the buffer is full; pause/resume is kept for a buffer that stays
// full (a sink outage): each resume costs a fetch.wait.max.ms round trip and, in our tests, rapid
// pause/resume cycles could wedge librdkafka's consume call, so the dispatcher holds fetching only
// after the buffer has been full for a while, and then polls on (see dispatcher.ts).
import { RdKafka } from "@confluentinc/kafka-javascript";
import type { Logger } from "../../functions/shared/logging.ts";
import { errorFields } from "../../functions/shared/logging.ts";
import type { KafkaRecord } from "./mapping.ts";
import { type TopicPartition, type TopicPartitionOffset, tpKey } from "./scheduler.ts";

export interface ConsumerOptions {
  bootstrapServers: string[];
  group: string;
  topics: string[];
  initialOffset: "earliest" | "latest";
  sessionTimeoutMs: number;
  /** A member that has not polled for this long is dropped from the group. */
  maxPollIntervalMs: number;
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

/** How long a commit's confirmation (an OffsetFetch from the coordinator) may take. */
const COMMIT_CHECK_TIMEOUT_MS = 5000;

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
    "max.poll.interval.ms": opts.maxPollIntervalMs,
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
  // Fetching is held (every assigned partition paused) while the dispatcher has no room for records.
  let held = false;
  // Every partition paused and not resumed since. librdkafka keeps a partition's pause across its
  // revocation, so release() resumes these and not only the current assignment: a partition revoked
  // while held and assigned back after the release would stay paused for good, its records unread.
  const paused = new Map<string, TopicPartition>();
  const pause = (list: TopicPartition[]) => {
    consumer.pause(list);
    for (const tp of list) paused.set(tpKey(tp), tp);
  };
  // Set once close() starts: the binding then refuses assign calls ("KafkaConsumer is disconnected")
  // and commits; a revocation still due (leave() ran out of time) comes from librdkafka's close.
  let closing = false;
  // This runs from the binding's event dispatch, outside any promise: an exception here would end
  // the process while close() waits in librdkafka for this very callback, and the exit then hangs
  // on that wait (seen when a SIGTERM met a rebalance). So nothing may escape it.
  function onRebalance(err: { code: number }, assignment: TopicPartition[]) {
    try {
      if (err.code === RdKafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) assign(assignment);
      else revoke(assignment);
    } catch (e) {
      (closing ? log.debug : log.error)("rebalance callback failed", { code: err.code, ...errorFields(e) });
    }
  }
  const incremental = () => consumer.rebalanceProtocol() !== "EAGER";
  function assign(assignment: TopicPartition[]) {
    // The scheduler first: a record fetched before it knows the partition would be skipped.
    handlers.assigned(tps(assignment));
    if (incremental()) consumer.incrementalAssign(assignment);
    else consumer.assign(assignment);
    if (held) {
      try {
        pause(tps(assignment));
      } catch (e) {
        log.warn("pausing newly assigned partitions failed", errorFields(e));
      }
    }
  }
  function revoke(assignment: TopicPartition[]) {
    let lost = false;
    try {
      lost = consumer.assignmentLost();
    } catch {}
    void handlers
      .revoked(tps(assignment), lost)
      .catch((e) => log.error("revoking partitions failed", errorFields(e)))
      .finally(() => {
        try {
          if (incremental()) consumer.incrementalUnassign(assignment);
          else consumer.unassign();
        } catch (e) {
          // While closing the protocol reads NONE and a plain unassign ends the rebalance. Otherwise
          // it would also drop partitions this consumer keeps, so it is not tried.
          if (!closing) return log.error("giving up revoked partitions failed", errorFields(e));
          try {
            consumer.unassign();
          } catch (again) {
            log.debug("unassigning while closing failed", errorFields(again));
          }
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
    /**
     * Commits, then asks the coordinator what it stored: commitCb only says the commit was queued
     * (librdkafka's commitAsync), and a commit the broker refused or never got must be sent again.
     * Resolves with the offsets the broker holds, rejects when it cannot tell.
     */
    async commit(offsets: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
      await new Promise<void>((resolve, reject) =>
        consumer.commitCb(offsets, (err) => (err ? reject(err) : resolve())),
      );
      const stored = await new Promise<TopicPartitionOffset[]>((resolve, reject) =>
        consumer.committed(tps(offsets), COMMIT_CHECK_TIMEOUT_MS, (err, list) =>
          err ? reject(err) : resolve(list as TopicPartitionOffset[]),
        ),
      );
      return offsets.filter((o) =>
        stored.some((s) => s.topic === o.topic && s.partition === o.partition && s.offset >= o.offset),
      );
    },
    get held() {
      return held;
    },
    /** close() has begun: the binding refuses commits and assign calls. */
    get closing() {
      return closing;
    },
    /** Pauses every assigned partition (and those assigned later); polls still serve the group. */
    hold(): boolean {
      if (held) return false;
      held = true;
      pause(tps(consumer.assignments()));
      return true;
    },
    /** Resumes fetching from each partition's next unread offset. */
    release(): boolean {
      if (!held) return false;
      held = false;
      consumer.resume([...paused.values()]);
      paused.clear();
      return true;
    },
    /**
     * Leaves the group while still connected and polling, so that every rebalance callback on the
     * way (the revocation of all partitions, and an assignment still under way from a rebalance
     * this consumer was in) is answered normally. Once close() has begun the binding refuses
     * assign calls, while librdkafka's close waits for an answer to such an assignment: a SIGTERM
     * during a rebalance then hung. Resolves when nothing is assigned any more, or after `ms`.
     */
    async leave(ms: number) {
      consumer.unsubscribe();
      const end = Date.now() + ms;
      do {
        // A record this returns is dropped: the dispatcher has stopped and commits none of it.
        await new Promise<void>((resolve) => consumer.consume(1, () => resolve()));
      } while (consumer.assignments().length > 0 && Date.now() < end);
    },
    /** Closes the connection (after leave(): there is no group left to leave). */
    close: () => {
      closing = true;
      return new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    },
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
