// Dead-letter sinks. `kafka:<topic>` stands in for the manifest's KafkaSink: the original record
// (key, value bytes, headers) with the event's identity and the failure as ce_ headers
// (dead-letter-record.ts), by an idempotent producer with acks=all. An http(s) URL gets the event
// with the failure extensions POSTed like the sink, same retry policy, its headers made sendable.
// A failed dead-letter is retried until it works or the record is given up (shutdown, revocation):
// an event that is neither delivered nor dead-lettered is never committed.

import { setTimeout as sleep } from "node:timers/promises";
import type { Producer } from "../../functions/shared/kafka.ts";
import type { Logger } from "../../functions/shared/logging.ts";
import { errorFields } from "../../functions/shared/logging.ts";
import { toDeadLetterRecord, toProducerHeaders } from "./dead-letter-record.ts";
import { deliver, type SinkOptions } from "./delivery.ts";
import type { KafkaRecord, MappedEvent } from "./mapping.ts";

/** What failed: the record, the event made of it, and the knativeerror* extensions (errorExtensions). */
export interface DeadLetter {
  record: KafkaRecord;
  event: MappedEvent;
  failure: Record<string, string>;
}

export interface DeadLetterSink {
  /** Where dead letters go, for logs. */
  describe: string;
  /** Resolves once the sink has the dead letter; rejects otherwise. */
  send(letter: DeadLetter, cancel: AbortSignal): Promise<void>;
}

export function kafkaDeadLetter(producer: Producer, topic: string): DeadLetterSink {
  return {
    describe: `kafka:${topic}`,
    async send({ record, event, failure }) {
      const letter = toDeadLetterRecord(record, event, failure);
      const headers = toProducerHeaders(letter.headers);
      await producer.send({ topic, messages: [{ key: letter.key ?? null, value: letter.value, headers }] });
    },
  };
}

export function httpDeadLetter(opts: SinkOptions): DeadLetterSink {
  const lenient = { ...opts, lenient: true };
  return {
    describe: opts.url,
    async send({ event, failure }, cancel) {
      const dead = { ...event, attributes: { ...event.attributes, ...failure } };
      const outcome = await deliver(dead, lenient, cancel);
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
  letter: DeadLetter,
  cancel: AbortSignal,
  log: Logger,
): Promise<boolean> {
  const { topic, partition, offset } = letter.record;
  for (let attempt = 1; ; attempt++) {
    try {
      await sink.send(letter, cancel);
      return true;
    } catch (err) {
      if (cancel.aborted) return false;
      log.error("dead-lettering failed, retrying", {
        topic,
        partition,
        offset,
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
