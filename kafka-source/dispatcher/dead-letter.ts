// Dead-letter sinks. `kafka:<topic>` stands in for the manifest's KafkaSink: the event is produced as a
// binary-mode Kafka CloudEvent (ce_ headers, raw value, the original record key) by an idempotent
// producer with acks=all. An http(s) URL gets the event POSTed like the sink, same retry policy.
// A failed dead-letter is retried until it works or the record is given up (shutdown, revocation):
// an event that is neither delivered nor dead-lettered is never committed.

import { setTimeout as sleep } from "node:timers/promises";
import type { Producer } from "../../functions/shared/kafka.ts";
import type { Logger } from "../../functions/shared/logging.ts";
import { errorFields } from "../../functions/shared/logging.ts";
import { toKafkaBinary } from "./binding.ts";
import { deliver, type SinkOptions } from "./delivery.ts";
import type { KafkaRecord, MappedEvent } from "./mapping.ts";

export interface DeadLetterSink {
  /** Where dead letters go, for logs. */
  describe: string;
  /** Resolves once the sink has the event; rejects otherwise. */
  send(event: MappedEvent, record: KafkaRecord, cancel: AbortSignal): Promise<void>;
}

export function kafkaDeadLetter(producer: Producer, topic: string): DeadLetterSink {
  return {
    describe: `kafka:${topic}`,
    async send(event, record) {
      const message = toKafkaBinary(event, record.key);
      await producer.send({ topic, messages: [{ ...message, key: message.key ?? null }] });
    },
  };
}

export function httpDeadLetter(opts: SinkOptions): DeadLetterSink {
  return {
    describe: opts.url,
    async send(event, _record, cancel) {
      const outcome = await deliver(event, opts, cancel);
      if (outcome.kind === "delivered") return;
      if (outcome.kind === "cancelled") throw new Error("cancelled");
      const { status, error } = outcome.failure;
      throw new Error(`dead-letter sink answered ${status ?? error}`);
    },
  };
}

/** Retries `sink.send` with capped exponential waits; false when cancelled before it succeeded. */
export async function deadLetterUntilDone(
  sink: DeadLetterSink,
  event: MappedEvent,
  record: KafkaRecord,
  cancel: AbortSignal,
  log: Logger,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sink.send(event, record, cancel);
      return true;
    } catch (err) {
      if (cancel.aborted) return false;
      log.error("dead-lettering failed, retrying", {
        deadLetterSink: sink.describe,
        attempt,
        ...errorFields(err),
      });
    }
    try {
      await sleep(Math.min(200 * 2 ** attempt, 10_000), undefined, { signal: cancel });
    } catch {
      return false;
    }
  }
}
