// HTTP delivery of one event to a sink: binary content mode, one event per POST, the per-attempt
// timeout, and KafkaSource's retry policy (see retry.ts). I/O lives here; the policy is pure.
import { toHttpBinary } from "./binding.ts";
import type { MappedEvent } from "./mapping.ts";
import { backoffMs, ERROR_DATA_MAX_BYTES, type Failure, isRetryableStatus, sleep } from "./retry.ts";

export interface SinkOptions {
  url: string;
  retry: number;
  backoffPolicy: "linear" | "exponential";
  backoffDelayMs: number;
  timeoutMs: number;
  namespace: string;
  /** Called before each retry (1-based), for logs and metrics. */
  onRetry?: (retry: number, failure: Failure, delayMs: number) => void;
}

export type Outcome =
  | { kind: "delivered"; status: number; attempts: number }
  | { kind: "failed"; failure: Failure; attempts: number }
  | { kind: "cancelled"; attempts: number };

/**
 * Sends until a 2xx, a non-retryable answer, or `retry` retries are used up. `cancel` stops retrying
 * (shutdown, partition revoked): the attempt under way still runs to its answer or its timeout, but a
 * cancelled delivery that did not succeed reports "cancelled" so the record is neither committed nor
 * dead-lettered.
 */
export async function deliver(event: MappedEvent, opts: SinkOptions, cancel: AbortSignal): Promise<Outcome> {
  const { headers, body } = toHttpBinary(event);
  // eventing-kafka-broker sends these two on every dispatch as well.
  const request = { ...headers, prefer: "reply", "kn-namespace": opts.namespace };
  for (let retry = 0; ; retry++) {
    const attempts = retry + 1;
    const result = await postOnce(opts.url, request, body, opts.timeoutMs);
    if ("status" in result && result.status >= 200 && result.status < 300) {
      return { kind: "delivered", status: result.status, attempts };
    }
    if (cancel.aborted) return { kind: "cancelled", attempts };
    const failure = result as Failure;
    const retryable = failure.status === undefined || isRetryableStatus(failure.status);
    if (!retryable || retry >= opts.retry) return { kind: "failed", failure, attempts };
    const delay = backoffMs(opts.backoffPolicy, opts.backoffDelayMs, retry + 1);
    opts.onRetry?.(retry + 1, failure, delay);
    try {
      await sleep(delay, cancel);
    } catch {
      return { kind: "cancelled", attempts };
    }
  }
}

type Attempt = { status: number; headers: Record<string, string>; body: Buffer } | { error: string };

async function postOnce(
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<Attempt> {
  try {
    // Redirects are answers, not hops: a 3xx is a non-retryable failure, as in the Vert.x sender.
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: body ? new Uint8Array(body) : null,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: await readStart(res, ERROR_DATA_MAX_BYTES),
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError") return { error: `timed out after ${timeoutMs} ms` };
    return { error: [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(": ") };
  }
}

/** The first `max` bytes of the body; the rest is drained (bounded) so the connection can be reused. */
async function readStart(res: Response, max: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += value.byteLength;
    if (kept < max) {
      const part = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, max - kept));
      chunks.push(Buffer.from(part));
      kept += part.length;
    }
    if (seen > 64 * 1024) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}
