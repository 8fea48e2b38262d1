// What a failed produce says about the purchase: certainly not written (503 kafka_unavailable), or
// unknown (504 outcome_unknown). librdkafka knows, per message, whether a failed one was "not
// persisted" or "possibly persisted" (rd_kafka_message_status(), INTRODUCTION.md "Message
// persistence status"), but @confluentinc/kafka-javascript 1.10.1 does not pass it on: its delivery
// report (src/callbacks.cc, DeliveryReport) carries the error code only, in both its APIs, and it
// has no purge(). A message that timed out while queued and one that timed out in flight (which
// the broker may still write, as issue 24 saw after a SIGSTOP) both fail with ERR__MSG_TIMED_OUT.
// So only failures before the client took the record are certain; every other one is unknown.
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { NotConnectedError } from "../shared/kafka.ts";

const codes = KafkaJS.ErrorCodes;

/** Codes that produce() raises before the record enters the client's queue, or that fail it there. */
const NEVER_SENT = new Set<number>([
  codes.ERR__QUEUE_FULL,
  codes.ERR__STATE, // "Cannot send without awaiting connect()"
  codes.ERR__INVALID_ARG,
  codes.ERR_MSG_SIZE_TOO_LARGE,
  codes.ERR__UNKNOWN_TOPIC, // not in the cluster's metadata: never sent anywhere
  codes.ERR__UNKNOWN_PARTITION,
]);

/** True when the record certainly never reached a broker; false when it may have been written. */
export function certainlyNotWritten(err: unknown): boolean {
  if (err instanceof NotConnectedError || err instanceof GateClosedError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" && NEVER_SENT.has(code);
}

/**
 * librdkafka's message.timeout.ms for a request deadline of `deadlineMs`: shorter, so that the
 * client fails the record itself (and stops sending it) before the request gives up on it. The gap
 * is the time a delivery report takes from librdkafka's thread to the event loop, which on a
 * loaded machine reaches hundreds of ms: a fifth of the deadline, between 50 ms and 1 s.
 */
export function deliveryTimeoutMs(deadlineMs: number): number {
  return deadlineMs - Math.min(1000, Math.max(50, Math.round(deadlineMs / 5)));
}

/** A purchase buy did not hand to the client at all (./produce-gate.ts). */
export class GateClosedError extends Error {}
