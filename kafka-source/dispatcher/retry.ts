// Pure delivery policy, as eventing-kafka-broker's WebClientCloudEventSender and RecordDispatcherImpl
// implement the Knative eventing data-plane spec ("Event Acknowledgement and Delivery Retry").
import { setMaxListeners } from "node:events";

/** Retried: 5xx, 404 (endpoint not there yet), 408, 409 (processing in progress), 429 (overloaded). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/**
 * Delay before retry number `retry` (1 for the first retry): WebClientCloudEventSender.computeRetryPolicy
 * calls it with retryCounter + 1, so linear waits delay*1, delay*2, … and exponential waits
 * delay*2, delay*4, … (delay * 2^retry, rounded). No backoffDelay means no wait.
 */
export function backoffMs(policy: "linear" | "exponential", delayMs: number, retry: number): number {
  if (delayMs <= 0) return 0;
  return policy === "linear" ? delayMs * retry : delayMs * Math.round(2 ** retry);
}

/**
 * How long a retryable failure keeps being retried: the sum of every backoff wait before the last
 * attempt (the attempts' own durations come on top). An outage shorter than this dead-letters
 * nothing; a 5xx-poison event reaches the dead-letter sink after at least this long.
 */
export function retryWindowMs(policy: "linear" | "exponential", delayMs: number, retries: number): number {
  let total = 0;
  for (let n = 1; n <= retries; n++) total += backoffMs(policy, delayMs, n);
  return total;
}

/** What went wrong with the last attempt: a response (status, headers, start of body) or no response. */
export interface Failure {
  status?: number | undefined;
  headers?: Record<string, string> | undefined;
  body?: Buffer | undefined;
  error?: string | undefined;
}

export const ERROR_DATA_MAX_BYTES = 1024;
const ERROR_HEADER_PREFIX = "kne-";

/**
 * RecordDispatcherImpl.errorTransform: the extensions a dead-lettered event gains. Without a response
 * knativeerrordest and (ours, not upstream's) the reason as knativeerrordata; with one also knativeerrorcode, knativeerrordata (base64 of at most 1024
 * bytes of the body) and one extension per `kne-<name>` response header.
 */
export function errorExtensions(destination: string, failure: Failure): Record<string, string> {
  const ext: Record<string, string> = { knativeerrordest: destination };
  if (failure.status === undefined) {
    // No answer (timeouts, refused connections, an event HTTP cannot carry): knativeerrordata says
    // why instead of what the sink answered, so that a dead letter explains itself.
    if (failure.error)
      ext.knativeerrordata = Buffer.from(failure.error).subarray(0, ERROR_DATA_MAX_BYTES).toString("base64");
    return ext;
  }
  ext.knativeerrorcode = String(failure.status);
  for (const [name, value] of Object.entries(failure.headers ?? {})) {
    if (!name.toLowerCase().startsWith(ERROR_HEADER_PREFIX)) continue;
    const extName = name
      .slice(ERROR_HEADER_PREFIX.length)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "");
    if (extName) ext[extName] = value;
  }
  if (failure.body && failure.body.length > 0) {
    ext.knativeerrordata = failure.body.subarray(0, ERROR_DATA_MAX_BYTES).toString("base64");
  }
  return ext;
}

/**
 * A partition's cancel. Its signal is shared by all the partition's deliveries in flight, which wait
 * out their back-off on it (node:timers/promises' setTimeout with `signal`): during an outage up to
 * KAFKA_SOURCE_MAX_IN_FLIGHT of them at once, each listener removed when its wait ends, which is
 * not the leak Node's MaxListenersExceededWarning guesses at past 10.
 */
export function partitionCancel(): AbortController {
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal);
  return cancel;
}
