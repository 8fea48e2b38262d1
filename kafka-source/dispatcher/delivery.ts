// HTTP delivery of one event to a sink: binary content mode, one event per POST, the per-attempt
// timeout, and KafkaSource's retry policy (see retry.ts). I/O lives here; the policy is pure.

import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { urlToHttpOptions } from "node:url";
import { requestOf } from "./http-request.ts";
import type { MappedEvent } from "./mapping.ts";
import { backoffMs, ERROR_DATA_MAX_BYTES, type Failure, isRetryableStatus } from "./retry.ts";
import type { TokenSource } from "./token.ts";

export interface SinkOptions {
  url: string;
  retry: number;
  backoffPolicy: "linear" | "exponential";
  backoffDelayMs: number;
  timeoutMs: number;
  namespace: string;
  /** Called before each retry (1-based), for logs and metrics. */
  onRetry?: (retry: number, failure: Failure, delayMs: number) => void;
  /**
   * Headers that HTTP cannot carry are dropped (a bad name) or percent-encoded (a bad value) instead
   * of failing the event: for the dead-letter sink, whose event failed already, so that it arrives.
   */
  lenient?: boolean;
  /** Sender identity: each attempt carries `Authorization: Bearer` with a token from here. */
  credentials?: TokenSource;
}

export type DeliveryOutcome =
  | { kind: "delivered"; status: number; attempts: number }
  /** `attempts` 0: the event cannot be written as an HTTP request at all (see requestOf). */
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
  const sink = sinkOf(opts.url);
  const built = requestOf(event, sink.options, opts);
  if ("unsendable" in built) return { kind: "failed", failure: { error: built.unsendable }, attempts: 0 };
  const { request, body } = built;
  let renewed = false;
  for (let retry = 0, attempts = 1; ; attempts++) {
    const auth = opts.credentials && (await tokenFor(opts.credentials));
    const result: Attempt =
      auth && "error" in auth
        ? auth
        : await postOnce(sink, withToken(request, auth?.token), body, opts.timeoutMs);
    if ("status" in result && result.status >= 200 && result.status < 300) {
      return { kind: "delivered", status: result.status, attempts };
    }
    if ("unsendable" in result) return { kind: "failed", failure: { error: result.unsendable }, attempts };
    // RFC 6750 section 3.1: a 401 says the token is not (or no longer) good. A cached one is dropped
    // and the event sent again at once with a new one, outside the retry policy; a 401 to a token
    // fetched just now is the sink's answer to us, not to a stale token: it fails like any 4xx.
    if ("status" in result && result.status === 401 && auth?.token && !auth.fresh && !renewed) {
      opts.credentials?.invalidate(auth.token);
      renewed = true;
      continue;
    }
    if (cancel.aborted) return { kind: "cancelled", attempts };
    const failure = toFailure(result);
    const retryable = failure.status === undefined || isRetryableStatus(failure.status);
    if (!retryable || retry >= opts.retry) return { kind: "failed", failure, attempts };
    retry++;
    const delay = backoffMs(opts.backoffPolicy, opts.backoffDelayMs, retry);
    opts.onRetry?.(retry, failure, delay);
    try {
      await sleep(delay, undefined, { signal: cancel });
    } catch {
      return { kind: "cancelled", attempts };
    }
  }
}

/**
 * A token for one attempt. The token endpoint unreachable is an attempt without an answer, like a
 * refused connection: retried on the same schedule, so an issuer outage shorter than the retry
 * window (docs/kafka-source.md) dead-letters nothing.
 */
async function tokenFor(
  credentials: TokenSource,
): Promise<{ token: string; fresh: boolean } | { error: string; token?: undefined }> {
  try {
    return await credentials.get();
  } catch (err) {
    return { error: `no token for the sink: ${(err as Error).message}` };
  }
}

const withToken = (request: http.RequestOptions, token: string | undefined): http.RequestOptions =>
  token === undefined
    ? request
    : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };

// The response itself rather than its headers: Node builds `res.headers` only when it is read, and
// only a failed answer needs them (error extensions of a dead letter).
type Attempt =
  | { status: number; response: http.IncomingMessage; body: Buffer }
  | { error: string }
  | { unsendable: string };

/** An answer as a Failure: its headers as strings (repeated ones joined), only for answers that failed. */
function toFailure(attempt: Exclude<Attempt, { unsendable: string }>): Failure {
  if (!("status" in attempt)) return attempt;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(attempt.response.headers))
    headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
  return { status: attempt.status, headers, body: attempt.body };
}

// node:http on one keep-alive agent per protocol rather than fetch: undici was 22% of the dispatcher's
// CPU profile at 50 events in flight, and the pipeline went from 698 to 1,011 events/s with this
// (`npm run bench -- --only persist`). Redirects are answers, not hops: a 3xx is a non-retryable
// failure, as in the Vert.x sender (node:http does not follow them).
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

interface Sink {
  client: typeof http | typeof https;
  /** The URL as request options (protocol, host, port, path), with the method and the agent. */
  options: http.RequestOptions;
}

// A dispatcher posts to one sink (and a dead-letter sink): its URL is parsed once, not per attempt.
const sinks = new Map<string, Sink>();

function sinkOf(url: string): Sink {
  let sink = sinks.get(url);
  if (!sink) {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    sink = {
      client: secure ? https : http,
      options: { ...urlToHttpOptions(target), method: "POST", agent: agents[secure ? "https:" : "http:"] },
    };
    if (sinks.size >= 100) sinks.clear();
    sinks.set(url, sink);
  }
  return sink;
}

function postOnce(
  sink: Sink,
  request: http.RequestOptions,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (attempt: () => Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt());
    };
    let req: http.ClientRequest;
    try {
      req = sink.client.request(request, onResponse);
    } catch (err) {
      // requestOf checked the headers; whatever else http.request refuses synchronously would be
      // refused again on every attempt: permanent.
      const { code, message } = err as NodeJS.ErrnoException;
      return resolve({ unsendable: `http.request refused it: ${message}${code ? ` (${code})` : ""}` });
    }
    function onResponse(res: http.IncomingMessage) {
      // The first ERROR_DATA_MAX_BYTES are kept (for the dead letter); past 64 KiB the response is
      // dropped rather than drained.
      const chunks: Buffer[] = [];
      let kept = 0;
      let seen = 0;
      const answer = (): Attempt => ({
        status: res.statusCode ?? 0,
        response: res,
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
          finish(answer);
          res.destroy();
        }
      });
      res.on("end", () => finish(answer));
      res.on("close", () => finish(res.complete ? answer : () => ({ error: "the response was cut short" })));
    }
    timer = setTimeout(() => {
      finish(() => ({ error: `timed out after ${timeoutMs} ms` }));
      req.destroy();
    }, timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      finish(() => ({
        error: err.code && !err.message.includes(err.code) ? `${err.message}: ${err.code}` : err.message,
      }));
    });
    req.end(body);
  });
}
