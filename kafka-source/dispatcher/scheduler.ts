// Pure state: which fetched record may be sent next, and what each partition may commit.
// - ordered (KafkaSource's default): at most one record in flight per partition, so a partition's
//   events reach the sink one after another, in offset order (OrderedConsumerVerticle);
// - unordered: up to `maxInFlight` records in flight for the whole consumer, from any partitions
//   (UnorderedConsumerVerticle bounds in-flight records by max.poll.records, default 50).
// Both modes also cap the consumer at `maxInFlight`. Fetched records wait in a queue per partition;
// the dispatcher stops polling while `buffered` (fetched, not started) is at its limit.
// A fetch position that moves back (librdkafka reset an out-of-range offset after the topic was
// deleted and recreated, or after log truncation) starts the partition's offset tracking afresh.
import { OffsetTracker } from "./offsets.ts";
import { partitionCancel } from "./retry.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface PartitionState<R> {
  tp: TopicPartition;
  queue: R[];
  inFlight: number;
  /** The current position's tracker; replaced when the fetch position moves back. */
  tracker: OffsetTracker;
  /** Aborted when the partition is revoked or the dispatcher stops: no further retries. */
  cancel: AbortController;
}

export interface SchedulerOptions {
  ordering: "ordered" | "unordered";
  maxInFlight: number;
}

export const tpKey = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;

/** What enqueue did with a record: buffered, buffered on a restarted position, or dropped (not assigned). */
export type Enqueued = "queued" | "restarted" | "unassigned";

export interface ReadyCommit<R> {
  state: PartitionState<R>;
  tracker: OffsetTracker;
  offset: number;
}

export class Scheduler<R extends TopicPartitionOffset> {
  readonly #parts = new Map<string, PartitionState<R>>();
  /** The tracker each buffered or in-flight record counts against (older positions' included). */
  readonly #trackerOf = new WeakMap<R, OffsetTracker>();
  readonly #opts: SchedulerOptions;
  #inFlight = 0;
  #cursor = 0;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  get inFlight() {
    return this.#inFlight;
  }

  /** Fetched records not started yet, over all assigned partitions. */
  get buffered() {
    let n = 0;
    for (const state of this.#parts.values()) n += state.queue.length;
    return n;
  }

  get partitions(): PartitionState<R>[] {
    return [...this.#parts.values()];
  }

  assign(tps: TopicPartition[]): void {
    for (const tp of tps) {
      if (this.#parts.has(tpKey(tp))) continue;
      const state = {
        tp,
        queue: [],
        inFlight: 0,
        tracker: new OffsetTracker(),
        cancel: partitionCancel(),
      };
      this.#parts.set(tpKey(tp), state);
    }
  }

  /** Stops scheduling these partitions and drops what they buffered; returns their states. */
  revoke(tps: TopicPartition[]): PartitionState<R>[] {
    const revoked: PartitionState<R>[] = [];
    for (const tp of tps) {
      const state = this.#parts.get(tpKey(tp));
      if (!state) continue;
      this.#parts.delete(tpKey(tp));
      state.queue.length = 0;
      revoked.push(state);
    }
    return revoked;
  }

  /**
   * Buffers a fetched record ("unassigned": dropped). An offset at or below one already received
   * means the fetch position moved back: a new tracker takes over, so the new position's records
   * are delivered and committed (even below the old commit point); records of the old position
   * still queued or in flight complete against the old tracker, which is no longer committed.
   */
  enqueue(record: R): Enqueued {
    const state = this.#parts.get(tpKey(record));
    if (!state) return "unassigned";
    let result: Enqueued = "queued";
    if (!state.tracker.received(record.offset)) {
      state.tracker = new OffsetTracker();
      state.tracker.received(record.offset);
      result = "restarted";
    }
    this.#trackerOf.set(record, state.tracker);
    state.queue.push(record);
    return result;
  }

  /** The next record allowed to start, round-robin over partitions, or undefined. */
  next(): { record: R; state: PartitionState<R> } | undefined {
    if (this.#inFlight >= this.#opts.maxInFlight) return undefined;
    const states = this.partitions;
    for (let i = 0; i < states.length; i++) {
      const state = states[(this.#cursor + i) % states.length] as PartitionState<R>;
      if (state.queue.length === 0) continue;
      if (this.#opts.ordering === "ordered" && state.inFlight > 0) continue;
      this.#cursor = (this.#cursor + i + 1) % states.length;
      state.inFlight++;
      this.#inFlight++;
      return { record: state.queue.shift() as R, state };
    }
    return undefined;
  }

  /** A started record ended: `done` when delivered or dead-lettered (then it may be committed). */
  finish(state: PartitionState<R>, record: R, done: boolean): void {
    state.inFlight--;
    this.#inFlight--;
    const tracker = this.#trackerOf.get(record) ?? state.tracker;
    this.#trackerOf.delete(record);
    if (done) tracker.done(record.offset);
  }

  /**
   * Offsets ready to commit (ahead of the last commit) for the given states (default: all assigned),
   * with the tracker they came from: markCommitted goes there, not to a tracker that replaced it.
   */
  commits(states: PartitionState<R>[] = this.partitions): ReadyCommit<R>[] {
    const out: ReadyCommit<R>[] = [];
    for (const state of states) {
      const offset = state.tracker.toCommit();
      if (offset !== undefined) out.push({ state, tracker: state.tracker, offset });
    }
    return out;
  }

  /** Drops every buffered record (shutdown): only what is in flight may still complete. */
  clearQueues(): void {
    for (const state of this.#parts.values()) state.queue.length = 0;
  }
}
