// Paging a user's history newest first: the query parameters and an opaque cursor that encodes the
// last (timestamp, id) seen, so the next page starts strictly after it (stable under inserts).
import * as v from "valibot";

const digits = (min: number, max: number, fallback: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.regex(/^\d{1,7}$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  );

export const limitParam = digits;

export const HistoryQuerySchema = v.object({
  limit: digits(1, 500, 50),
  cursor: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,300}$/, "must be a cursor from next_cursor")),
  ),
});

export interface Cursor {
  timestamp: Date;
  id: string;
}

export function encodeCursor({ timestamp, id }: Cursor): string {
  return Buffer.from(JSON.stringify([timestamp.getTime(), id])).toString("base64url");
}

/** The cursor's position, or undefined when it is not one we made. */
export function decodeCursor(cursor: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [ms, id] = value;
    if (!Number.isSafeInteger(ms) || typeof id !== "string" || id.length === 0 || id.length > 128)
      return undefined;
    return { timestamp: new Date(ms), id };
  } catch {
    return undefined;
  }
}
