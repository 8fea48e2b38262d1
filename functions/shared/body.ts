import type { Context } from "hono";
import { Errors } from "./errors.ts";

// JSON text is UTF-8 (RFC 8259 §8.1): invalid bytes are refused, not replaced with U+FFFD. A leading
// BOM is ignored, as that section allows.
const UTF8 = new TextDecoder("utf-8", { fatal: true });
// An unpaired surrogate (a "\ud800" escape) is not a character; I-JSON (RFC 7493 §2.1) forbids it.
const LONE_SURROGATE = /\p{Cs}/u;

/** False when a string of a JSON value, or a key, holds an unpaired surrogate. Iterative: any depth. */
export function wellFormed(value: unknown): boolean {
  const pending = [value];
  while (pending.length > 0) {
    const x = pending.pop();
    if (typeof x === "string" && LONE_SURROGATE.test(x)) return false;
    if (x === null || typeof x !== "object") continue;
    for (const [key, item] of Object.entries(x)) {
      if (LONE_SURROGATE.test(key)) return false;
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

/** Reads a JSON request body: 415 for another content type, 400 for malformed JSON. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw Errors.unsupportedMediaType("application/json");
  const text = decodeUtf8(await c.req.arrayBuffer());
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
