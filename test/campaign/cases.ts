// Malformed requests for every HTTP endpoint, generated from a seed so a failure reproduces
// (BAD_INPUT_SEED=<n> npm test -- test/campaign/bad-input.test.ts). Each case must be refused with a
// JSON 4xx and change nothing. Requests go to the gateway for public paths, straight to the function
// for the others; bodies are bytes, so no client adds a Content-Type or fixes an encoding.

export type Target =
  | "gateway"
  | "buy"
  | "items"
  | "user-purchases"
  | "customer-management"
  | "purchase-persist";

export interface Case {
  /** Groups cases in the report, e.g. "POST /buy". */
  endpoint: string;
  name: string;
  target: Target;
  method: string;
  /** Path and query exactly as sent (already percent-encoded where meant). */
  path: string;
  headers?: Record<string, string>;
  /** Headers exactly as sent, a name possibly twice (fetch would join repeats into one). */
  rawHeaders?: [string, string][];
  body?: Uint8Array;
  /** The error code it must be refused with, where one is certain. */
  error?: string;
  /**
   * false: sent without the campaign's token. Otherwise a protected route gets a valid one (mallory's,
   * or the service's for customer-management), so that the input, not the caller, is what is refused.
   */
  auth?: false;
}

/** mulberry32: a tiny seeded PRNG, enough to pick values reproducibly. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
    text: (n: number, alphabet = "abcdefghijklmnopqrstuvwxyz") =>
      Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
  };
}
export type Rng = ReturnType<typeof seeded>;

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const json = (v: unknown) => utf8(JSON.stringify(v));
export const concat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
export function utf16(s: string, bigEndian = false) {
  const le = Buffer.from(s, "utf16le");
  if (bigEndian) le.swap16();
  return concat(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe], le);
}
export const BOM = [0xef, 0xbb, 0xbf];

/** Values of the wrong type, MongoDB query operators among them, for a field that wants a string. */
export const NOT_STRINGS: readonly unknown[] = [
  null,
  0,
  12.5,
  true,
  [],
  ["mallory"],
  {},
  { $gt: "" },
  { $ne: null },
  { $regex: ".*" },
  { $where: "sleep(1000) || true" },
  { $in: ["a", "b"] },
  { $exists: true },
];

/** Path segments that are not a user id (percent-encoded as sent). */
export function badUserIds(rng: Rng) {
  return [
    encodeURIComponent('{"$gt":""}'),
    "%24gt",
    "%24where",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "%FF%FE",
    "%C0%AE%C0%AE",
    encodeURIComponent("ünïcode"),
    "mal%20lory",
    "a".repeat(65),
    rng.text(10_000),
    `${rng.text(8)}%0A${rng.text(4)}`,
  ];
}

/** Query strings that are not a valid limit/cursor for the history routes. */
export function badHistoryQueries(rng: Rng) {
  const cursor = (v: string) => `cursor=${Buffer.from(v).toString("base64url")}`;
  return [
    "limit=0",
    "limit=-1",
    "limit=501",
    "limit=1e309",
    "limit=1e3",
    "limit=0x10",
    "limit=",
    `limit=${rng.text(5)}`,
    "limit[]=1",
    "limit=%00",
    "limit=10%00",
    `limit=${encodeURIComponent('{"$gt":0}')}`,
    "limit=99999999999",
    `cursor=${rng.text(12, "!*'();:@&=+$,/?#[]")}`,
    "cursor=%00",
    "cursor=",
    `cursor=${"x".repeat(301)}`,
    cursor('{"$gt":""}'),
    cursor('[1e400,"x"]'),
    cursor('[1,{"$gt":""}]'),
    cursor('["1","x"]'),
    cursor(`[1,"${"x".repeat(129)}"]`),
    `cursor[$gt]=`,
    // The cursor's own form is <epoch ms>.<base64url id>: near misses of it.
    "cursor=1234567890123456.eA",
    "cursor=1.",
    "cursor=.eA",
    "cursor=1.e%24A",
    "cursor=1.eA.eA",
    "cursor=0x1.eA",
    `cursor=1.${"A".repeat(201)}`,
  ];
}

export function badApiLimits(rng: Rng) {
  return [
    "limit=0",
    "limit=1001",
    "limit=1e309",
    `limit=${rng.text(3)}`,
    "limit[]=1",
    "limit=%00",
    "limit=-5",
  ];
}
