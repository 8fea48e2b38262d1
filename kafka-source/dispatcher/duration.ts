// ISO-8601 durations as Knative's DeliverySpec uses them (`backoffDelay: PT0.2S`, `timeout: PT10S`).
// Knative parses them with a period library that accepts weeks, days and the time part; years and
// months have no fixed length, so they are rejected here rather than guessed.

const PATTERN =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

/** Milliseconds of an ISO-8601 duration such as `PT0.2S` or `P1DT2H`; throws on anything else. */
export function parseDuration(text: string): number {
  const m = PATTERN.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === "P" || /T$/i.test(text.trim())) {
    throw new RangeError(`${JSON.stringify(text)} is not an ISO-8601 duration like PT0.2S or PT10S`);
  }
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * (UNIT_MS[i] as number);
  }
  return Math.round(ms);
}
