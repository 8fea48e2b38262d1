// Paging a user's history newest first: the query parameters and a cursor that encodes the last
// (timestamp, id) seen, so the next page starts strictly after it (stable under inserts). Every
// string of the cursor's pattern is a position (the OpenAPI document promises no more than that).
import * as v from "valibot";

/**
 * A whole-number query parameter: the string as sent, then the number it stands for. The OpenAPI
 * document shows the number (JSON Schema of the output: integer, minimum, maximum, default).
 */
const queryInt = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return v.pipe(
    v.optional(v.string(), String(fallback)),
    v.regex(/^\d{1,7}$/, message),
    v.transform(Number),
    v.number(),
    v.integer(message),
    v.minValue(min, message),
    v.maxValue(max, message),
    v.metadata({ default: fallback }),
  );
};

/** `<epoch ms>.<base64url of the id>`; 15 digits stay inside the range of a Date. */
const CURSOR_PATTERN = /^(-?[0-9]{1,15})\.([A-Za-z0-9_-]{1,200})$/;

export const HistoryQuerySchema = v.strictObject({
  limit: v.pipe(queryInt(1, 500, 50), v.description("Purchases per page.")),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(CURSOR_PATTERN, "must be a cursor from next_cursor"),
      v.description("The `next_cursor` of the previous page; omit it for the first page."),
    ),
  ),
});

/** The /api routes: just a limit, default 100. */
export const ApiQuerySchema = v.strictObject({
  limit: v.pipe(queryInt(1, 1000, 100), v.description("Most purchases to return.")),
});

export interface Cursor {
  timestamp: Date;
  id: string;
}

export function encodeCursor({ timestamp, id }: Cursor): string {
  return `${timestamp.getTime()}.${Buffer.from(id).toString("base64url")}`;
}

/** The position a cursor names; undefined when it does not have the cursor's pattern. */
export function decodeCursor(cursor: string): Cursor | undefined {
  const m = CURSOR_PATTERN.exec(cursor);
  if (!m) return undefined;
  return { timestamp: new Date(Number(m[1])), id: Buffer.from(m[2] ?? "", "base64url").toString("utf8") };
}
