import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { AppError, Errors } from "./errors.ts";

// JSON text is UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not replaced with U+FFFD. A leading
// BOM is ignored, as that section allows.
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/**
 * False when a string of a JSON value, or a key, holds an unpaired surrogate (a "\ud800" escape):
 * not a character, and I-JSON (RFC 7493 §2.1) forbids it. String.prototype.isWellFormed checks
 * that. Iterative: any depth.
 */
export function wellFormed(value: unknown): boolean {
  const pending = [value];
  while (pending.length > 0) {
    const x = pending.pop();
    if (typeof x === "string" && !x.isWellFormed()) return false;
    if (x === null || typeof x !== "object") continue;
    for (const [key, item] of Object.entries(x)) {
      if (!key.isWellFormed()) return false;
      pending.push(item);
    }
  }
  return true;
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The request body, 413 beyond maxBytes. Served by @hono/node-server, it is read straight from Node's
 * request: Hono's bodyLimit plus the WHATWG Request and stream built for it cost ~0.2 ms of CPU per
 * request, a third of /buy's (measured with `npm run bench -- --cpu-prof`). Without a Node request
 * (app.request in tests) the standard body is read, with the same limit.
 */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  if (Number(c.req.header("Content-Length")) > maxBytes) throw Errors.payloadTooLarge(maxBytes);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw Errors.payloadTooLarge(maxBytes);
    return bytes;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: AppError) => {
      incoming.off("data", onData).off("end", onEnd).off("aborted", onAborted).off("error", onAborted);
      if (!err) return resolve(Buffer.concat(chunks, size));
      // The rest is read and dropped, so the error response still goes out on this connection.
      incoming.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) done(Errors.payloadTooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onAborted = () => done(new AppError("incomplete_body", "the request body was cut short"));
    incoming.on("data", onData).on("end", onEnd).on("aborted", onAborted).on("error", onAborted);
  });
}

/** Reads a JSON request body: 415 for another content type, 413 beyond maxBytes, 400 for malformed JSON. */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw Errors.unsupportedMediaType("application/json");
  const text = decodeUtf8(await readBody(c, maxBytes));
  if (text === undefined) throw Errors.invalidJson("body is not valid UTF-8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw Errors.invalidJson(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (!wellFormed(value))
    throw Errors.invalidJson("body is not valid JSON: a string holds an unpaired surrogate");
  return value;
}
