import type { Context } from "hono";
import { Errors } from "./errors.ts";

/** Reads a JSON request body: 415 for another content type, 400 for malformed JSON. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) throw Errors.unsupportedMediaType("application/json");
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw Errors.invalidJson(`body is not valid JSON: ${(err as Error).message}`);
  }
}
