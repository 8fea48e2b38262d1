// The dispatch loop: poll -> buffer per partition -> send (ordered/unordered) -> dead-letter on failure
// -> commit contiguous completed offsets every `commitIntervalMs`, on revocation and at shutdown.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../functions/shared/logging.ts";
import { errorFields } from "../../functions/shared/logging.ts";
import type { SourceConsumer } from "./consumer.ts";
import { type DeadLetterSink, deadLetterUntilDone } from "./dead-letter.ts";
import { type DeliveryOutcome, deliver, type SinkOptions } from "./delivery.ts";
import type { DispatcherConfig } from "./manifest.ts";
import { fallbackEvent, type KafkaRecord, type MappedEvent, toCloudEvent } from "./mapping.ts";
import type { DispatcherMetrics } from "./metrics.ts";
import { errorExtensions } from "./retry.ts";
import { type PartitionState, type Scheduler, type TopicPartition, tpKey } from "./scheduler.ts";
import type { TokenSource } from "./token.ts";

export interface DispatcherDeps {
  config: DispatcherConfig;
  /** Sender identity: the sink's token (token.ts), when config.oidc is set. */
  credentials?: TokenSource;
  scheduler: Scheduler<KafkaRecord>;
  consumer: SourceConsumer;
  deadLetter: DeadLetterSink | undefined;
  metrics: DispatcherMetrics;
  log: Logger;
}

export function createDispatcher({
  config,
  credentials,
  scheduler,
  consumer,
  deadLetter,
  metrics,
  log,
}: DispatcherDeps) {
  let stopping = false;
  let commits = Promise.resolve();
  const sink: SinkOptions = {
    url: config.sink,
    ...config.delivery,
    namespace: config.source.namespace,
    ...(credentials ? { credentials } : {}),
    onRetry: (retry, failure, delayMs) => {
      metrics.retried.inc();
      log.debug("retrying delivery", { retry, delayMs, status: failure.status, error: failure.error });
    },
  };

  /**
   * Delivers one record; true when it may be committed (delivered, dead-lettered, or dropped). A
   * record that cannot be sent at all (its mapping throws, or its event cannot be written as HTTP:
   * deliver's requestOf) fails permanently like a 400: dead-lettered at once, with the reason.
   */
  async function dispatch(record: KafkaRecord, cancel: AbortSignal): Promise<boolean> {
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    const started = performance.now();
    let event: MappedEvent;
    let outcome: DeliveryOutcome;
    try {
      event = toCloudEvent(record, config.source, config.ceOverrides);
      outcome = await deliver(event, sink, cancel);
    } catch (err) {
      // Neither mapping.ts nor deliver() is meant to throw for any record (deliver's requestOf is
      // where an unsendable event is told apart); should one still do, the record moves on.
      event = fallbackEvent(record, config.source);
      const error = `it cannot be sent: ${(err as Error).message}`;
      outcome = { kind: "failed", failure: { error }, attempts: 0 };
    }
    metrics.latency.observe({ outcome: outcome.kind }, (performance.now() - started) / 1000);
    if (outcome.kind === "delivered") metrics.dispatched.inc();
    if (outcome.kind !== "failed") return outcome.kind === "delivered";
    const id = event.attributes.id;
    const { status } = outcome.failure;
    // Without an answer, the reason names the record: a dead letter read alone says what failed.
    const failure =
      status === undefined
        ? { error: `record ${record.topic}/${record.partition}@${record.offset}: ${outcome.failure.error}` }
        : outcome.failure;
    const { error } = failure;
    if (!deadLetter) {
      // KafkaSource commits a failed event when there is no dead-letter sink: it is lost.
      metrics.dropped.inc();
      log.error("event dropped: delivery failed and no dead-letter sink is set", {
        ...where,
        id,
        status,
        error,
      });
      return true;
    }
    const letter = { record, event, failure: errorExtensions(config.sink, failure) };
    if (!(await deadLetterUntilDone(deadLetter, letter, cancel, log))) return false;
    metrics.deadLettered.inc();
    log.warn("event dead-lettered", {
      ...where,
      id,
      status,
      error,
      attempts: outcome.attempts,
      to: deadLetter.describe,
    });
    return true;
  }

  function pump() {
    if (stopping) return;
    for (let next = scheduler.next(); next; next = scheduler.next()) void run(next.record, next.state);
  }

  async function run(record: KafkaRecord, state: PartitionState<KafkaRecord>) {
    let done = false;
    try {
      done = await dispatch(record, state.cancel.signal);
    } catch (err) {
      const { topic, partition, offset } = record;
      log.error("dispatch failed unexpectedly; the record stays uncommitted", {
        topic,
        partition,
        offset,
        ...errorFields(err),
      });
    } finally {
      scheduler.finish(state, record, done);
      pump();
      progressed();
    }
  }

  // Backpressure as in UnorderedConsumerVerticle: no poll while the buffer is full. A finished
  // delivery (or a short timeout, to notice stop()) wakes the poll loop.
  let progressed = () => {};
  const progress = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      progressed = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /**
   * Commits what is committable, one commit at a time. Only what the broker confirms is marked
   * committed; the rest is committed again on the next tick. The same failure is a warning once.
   */
  let committing = false;
  let lastCommitError = "";
  function commit(states?: PartitionState<KafkaRecord>[]) {
    commits = commits.then(async () => {
      const ready = scheduler.commits(states);
      if (ready.length === 0) return;
      committing = true;
      const key = ({ state, offset }: (typeof ready)[number]) => `${tpKey(state.tp)}@${offset}`;
      try {
        const stored = await consumer.commit(ready.map(({ state, offset }) => ({ ...state.tp, offset })));
        const confirmed = new Set(stored.map((o) => `${tpKey(o)}@${o.offset}`));
        for (const r of ready) if (confirmed.has(key(r))) r.tracker.markCommitted(r.offset);
        const refused = ready.filter((r) => !confirmed.has(key(r)));
        if (refused.length === 0) {
          lastCommitError = "";
          log.debug("committed", { offsets: ready.map(key) });
          return;
        }
        throw new Error(`the broker did not store ${refused.map(key).join(", ")}`);
      } catch (err) {
        const message = (err as Error).message;
        (message === lastCommitError ? log.debug : log.warn)("commit failed; retried", errorFields(err));
        lastCommitError = message;
      } finally {
        committing = false;
      }
    });
    return commits;
  }
  // The periodic commit skips a tick while one is still waiting for the broker (an outage).
  const tick = () => {
    if (!committing) void commit();
  };

  /** Waits until none of `states` has a delivery in flight, at most `ms`. */
  async function idle(states: PartitionState<KafkaRecord>[], ms: number) {
    const end = Date.now() + ms;
    while (states.some((s) => s.inFlight > 0) && Date.now() < end) await sleep(20);
  }
  // A cancelled delivery still finishes its current attempt, bounded by the per-attempt timeout.
  const drainMs = config.delivery.timeoutMs + 1000;

  async function revoked(tps: TopicPartition[], lost: boolean) {
    const states = scheduler.revoke(tps);
    for (const s of states) s.cancel.abort();
    if (tps.length)
      log.info("partitions revoked", { partitions: tps.map((tp) => `${tp.topic}/${tp.partition}`), lost });
    if (lost) return; // Someone else owns them already: a commit would be rejected.
    // A revocation during close() (leave() ran out of time): stop() has drained and committed,
    // and the binding refuses commits from here on.
    if (consumer.closing) return;
    await idle(states, drainMs);
    await commit(states);
  }

  function assigned(tps: TopicPartition[]) {
    scheduler.assign(tps);
    if (tps.length)
      log.info("partitions assigned", { partitions: tps.map((tp) => `${tp.topic}/${tp.partition}`) });
  }

  // With the buffer full the loop waits for room instead of polling. A buffer that stays full (a sink
  // outage: every delivery retrying) must not stop polls for long: librdkafka drops a member that has
  // not polled for max.poll.interval.ms, and a rebalance waits for each member's next poll. So after
  // `holdAfterMs` fetching is paused and polls go on (each waits up to 100 ms for records that do not
  // come); room in the buffer resumes fetching.
  const holdAfterMs = Math.min(5000, config.maxPollIntervalMs / 4);

  function hold() {
    if (consumer.hold())
      log.info("fetching paused: the buffer stayed full; polling on to keep the partitions", {
        buffered: scheduler.buffered,
        inFlight: scheduler.inFlight,
      });
  }
  function release() {
    if (consumer.release()) log.info("fetching resumed", { buffered: scheduler.buffered });
  }

  async function pollLoop() {
    let lastError = "";
    let lastPoll = Date.now();
    while (!stopping) {
      const full = scheduler.buffered >= config.maxInFlight;
      if (full && !consumer.held && Date.now() - lastPoll < holdAfterMs) {
        await progress(100);
        continue;
      }
      try {
        if (full) hold();
        else release();
        const records = await consumer.poll(config.maxInFlight);
        lastPoll = Date.now();
        for (const r of records) {
          const enqueued = scheduler.enqueue(r);
          const where = { topic: r.topic, partition: r.partition, offset: r.offset };
          if (enqueued === "unassigned") log.debug("record of an unassigned partition skipped", where);
          // librdkafka reset an out-of-range position by initialOffset (auto.offset.reset), e.g.
          // after the topic was deleted and recreated: the partition's commits start over from here.
          if (enqueued === "restarted")
            log.warn("fetch position moved back; tracking the partition afresh", where);
        }
        lastError = "";
      } catch (err) {
        // e.g. a topic that does not exist yet: warn once, then quietly retry.
        const message = (err as Error).message;
        (message === lastError ? log.debug : log.warn)("poll failed", errorFields(err));
        lastError = message;
        await sleep(500);
      }
      pump();
    }
  }

  let loop: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    rebalance: { assigned, revoked },
    start() {
      loop = pollLoop();
      timer = setInterval(tick, config.commitIntervalMs);
    },
    get running() {
      return loop !== undefined && !stopping;
    },
    /** Stops fetching, lets in-flight deliveries finish (no new retries), commits, leaves the group. */
    async stop() {
      stopping = true;
      await loop;
      clearInterval(timer);
      scheduler.clearQueues();
      for (const s of scheduler.partitions) s.cancel.abort();
      await idle(scheduler.partitions, drainMs);
      await commit();
      // Out of the group before the connection closes (consumer.ts, leave()). 5 s keeps the whole
      // stop (drain: timeout + 1 s, a commit check: at most 5 s) inside main.ts's limit, timeout + 15 s.
      await consumer.leave(5000);
      await consumer.close();
    },
  };
}
