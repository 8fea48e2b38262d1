// Pure: a mapped event -> the HTTP request that carries it (binary mode, headers checked), or why
// it cannot be one.
import type http from "node:http";
import { validateHeaderName, validateHeaderValue } from "node:http";
import { percentEncode, toHttpBinary } from "./binding.ts";
import type { SinkOptions } from "./delivery.ts";
import type { MappedEvent } from "./mapping.ts";

/**
 * The one place that decides whether an event can go out as an HTTP request, before any attempt:
 * binding.ts writes it in binary mode (the SDK's checks), then each header must be what node:http
 * accepts (an RFC 9110 token as its name, no control characters in its value), the checks
 * http.request would otherwise throw from (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR). Attribute names
 * and datacontenttype come from any producer, so such an event is no rare bug but input: it is a
 * permanent failure, dead-lettered at once, never retried and never left uncommitted.
 */
export function requestOf(
  event: MappedEvent,
  base: http.RequestOptions,
  opts: Pick<SinkOptions, "namespace" | "lenient">,
): { request: http.RequestOptions; body: Buffer | undefined } | { unsendable: string } {
  let message: ReturnType<typeof toHttpBinary>;
  try {
    message = toHttpBinary(event);
  } catch (err) {
    return { unsendable: `its CloudEvent cannot be written in binary mode: ${(err as Error).message}` };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    const problem = headerProblem(name, value);
    if (!problem) headers[name] = value;
    else if (!opts.lenient) return { unsendable: `it cannot be sent as HTTP: ${problem}` };
    else if (!problem.startsWith("name")) headers[name] = percentEncode(value);
  }
  // The request's headers are built once per event, every attempt sends the same. eventing-kafka-
  // broker sends `prefer` and `kn-namespace` on every dispatch as well.
  Object.assign(headers, {
    prefer: "reply",
    "kn-namespace": opts.namespace,
    "content-length": String(message.body?.length ?? 0),
  });
  return { request: { ...base, headers }, body: message.body };
}

/** What node:http refuses in a header ("name ..." or "value ..."), or undefined when it is fine. */
function headerProblem(name: string, value: string): string | undefined {
  const shown = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  try {
    validateHeaderName(name);
  } catch (err) {
    return `name ${shown(name)} is no HTTP token (${(err as NodeJS.ErrnoException).code})`;
  }
  try {
    validateHeaderValue(name, value);
  } catch (err) {
    return `value of header ${shown(name)} has a character HTTP cannot carry (${(err as NodeJS.ErrnoException).code})`;
  }
  return undefined;
}
