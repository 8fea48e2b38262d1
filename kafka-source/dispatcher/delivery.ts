// HTTP delivery of one event to a sink: binary content mode, one event per POST, the per-attempt
// timeout, and KafkaSource's retry policy (see retry.ts). I/O lives here; the policy is pure.
import http from "node:http";
import https from "node:https";
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

export type DeliveryOutcome =
  | { kind: "delivered"; status: number; attempts: number }
  | { kind: "failed"; failure: Failure; attempts: number }
  | { kind: "cancelled"; attempts: number };

/**
 * Sends until a 2xx, a non-retryable answer, or `retry` retries are used up. `cancel` stops retrying
 * (shutdown, partition revoked): the attempt under way still runs to its answer or its timeout, but a
 * cancelled delivery that did not succeed reports "cancelled" so the record is neither committed nor
 * dead-lettered.
 */
export async function deliver(
  event: MappedEvent,
  opts: SinkOptions,
  cancel: AbortSignal,
): Promise<DeliveryOutcome> {
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

// node:http on one keep-alive agent per protocol rather than fetch: undici was 22% of the dispatcher's
// CPU profile at 50 events in flight, and the pipeline went from 698 to 1,011 events/s with this
// (`npm run bench -- --only persist`). Redirects are answers, not hops: a 3xx is a non-retryable
// failure, as in the Vert.x sender (node:http does not follow them).
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

function postOnce(
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    const agent = target.protocol === "https:" ? agents["https:"] : agents["http:"];
    const length = String(body?.length ?? 0);
    const req = client.request(
      target,
      { method: "POST", agent, headers: { ...headers, "content-length": length } },
      (res) => {
        // The first ERROR_DATA_MAX_BYTES are kept (for the dead letter); past 64 KiB the response is
        // dropped rather than drained.
        const chunks: Buffer[] = [];
        let kept = 0;
        let seen = 0;
        const answer = (): Attempt => ({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
          ),
          body: Buffer.concat(chunks, kept),
        });
        res.on("data", (chunk: Buffer) => {
          seen += chunk.length;
          if (kept < ERROR_DATA_MAX_BYTES) {
            const part = chunk.subarray(0, ERROR_DATA_MAX_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (seen > 64 * 1024) {
            finish(answer());
            res.destroy();
          }
        });
        res.on("end", () => finish(answer()));
        res.on("close", () => finish(res.complete ? answer() : { error: "the response was cut short" }));
      },
    );
    timer = setTimeout(() => {
      finish({ error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      finish({
        error: err.code && !err.message.includes(err.code) ? `${err.message}: ${err.code}` : err.message,
      });
    });
    req.end(body);
  });
}
