// The purchase: input rules, the event data (the plain purchase JSON) and the stored document.
// Schemas are exported for the functions, the tests and the web page.
import * as v from "valibot";

/** CloudEvent type of a purchase made through POST /buy (reverse-DNS, versioned). */
export const PURCHASE_EVENT_TYPE = "org.example.purchases.purchase.created.v1";

// Cc (control) and Cf-format characters like U+2028/U+2029/bidi overrides have no place in a name.
const CONTROL_CHARS = String.raw`\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069`;
const CONTROL = new RegExp(`[${CONTROL_CHARS}]`, "u");
// What String.prototype.trim removes: ECMA-262 WhiteSpace and LineTerminator.
const TRIMMED = String.raw`\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;

// "." and ".." are dot segments (RFC 3986 §5.2.4): a URL path normalises them away, so such a user
// could never be read at /getAllUserBuys/{user_id}.
export const UserIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^(?!\.\.?$)[A-Za-z0-9_.:-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 _ . : -, not . or .."),
  v.description("1-64 characters of A-Z a-z 0-9 _ . : - (not `.` or `..`)."),
  v.examples(["alice"]),
);

/**
 * A username: 1-64 characters once trimmed, none of them CONTROL. One regular expression says
 * exactly that, so the OpenAPI document (a JSON Schema `pattern`, which counts code points like the
 * `u` flag) accepts what the handler accepts: optional whitespace, then an edge character (neither
 * whitespace nor control), then up to 62 non-control characters and another edge, then whitespace.
 */
export const USERNAME_PATTERN = new RegExp(
  `^[${TRIMMED}]*[^${CONTROL_CHARS}${TRIMMED}](?:[^${CONTROL_CHARS}]{0,62}[^${CONTROL_CHARS}${TRIMMED}])?[${TRIMMED}]*$`,
  "u",
);

/** Why a string is not a username, in words (the pattern above decides whether it is one). */
function usernameProblem(input: unknown) {
  const name = String(input).trim();
  if (CONTROL.test(name)) return "must not contain control characters";
  if (name.length === 0) return "must not be empty";
  if ([...name].length > 64) return "must be at most 64 characters";
  return "must be 1-64 characters after trimming, without control characters";
}

export const UsernameSchema = v.pipe(
  v.string("must be a string"),
  v.regex(USERNAME_PATTERN, (issue) => usernameProblem(issue.input)),
  v.description("1-64 characters once trimmed (it is stored trimmed), none of them control characters."),
  v.examples(["Alice"]),
  v.transform((s) => s.trim()),
);

export const BuyRequestSchema = v.strictObject(
  { username: UsernameSchema, user_id: UserIdSchema },
  (issue) => `unknown field ${JSON.stringify(issue.input)}`,
);

/**
 * POST /buy's body when tokens are verified: the buyer is the token's user, so both fields are
 * optional; a `user_id` other than the caller's (or `me`) is refused with 403, a `username` is
 * ignored (the token's name is used).
 */
export const AuthenticatedBuyRequestSchema = v.strictObject(
  {
    username: v.optional(UsernameSchema),
    user_id: v.optional(
      v.pipe(
        UserIdSchema,
        v.description("Optional: the caller's own user id (or `me`); any other is refused with 403."),
      ),
    ),
  },
  (issue) => `unknown field ${JSON.stringify(issue.input)}`,
);

const PriceSchema = v.pipe(
  v.number("must be a number"),
  v.finite("must be finite"),
  v.minValue(0, "must not be negative"),
  v.maxValue(1_000_000, "must be at most 1000000"),
  v.check((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, "must have at most 2 decimals"),
);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the date part of an RFC 3339 timestamp is a day of the calendar (RFC 3339 §5.7: the day
 * must exist in its month and year). valibot's isoTimestamp checks the shape only, and Date rolls an
 * impossible day over (2026-02-30 becomes 2026-03-02). Written here because it is six lines: no
 * date library is in the project, and Temporal (which refuses such a date) is not in Node 20.
 */
export function isCalendarDate(timestamp: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(timestamp);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

const TimestampSchema = v.pipe(
  v.string("must be a string"),
  v.isoTimestamp("must be an ISO 8601 timestamp with a time zone"),
  v.check(isCalendarDate, "must be a day of the calendar (no February 30)"),
  v.transform((s) => new Date(s)),
  v.check((d) => !Number.isNaN(d.getTime()), "must be a valid date"),
);

/** Event data: {username, user_id, item_name, price, timestamp}, plus the id when buy made it. */
export const PurchaseDataSchema = v.object({
  id: v.optional(
    v.pipe(v.string("must be a string"), v.regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be a plain id")),
  ),
  username: UsernameSchema,
  user_id: UserIdSchema,
  item_name: v.pipe(
    v.string("must be a string"),
    v.trim(),
    v.minLength(1, "must not be empty"),
    v.maxLength(128),
  ),
  price: PriceSchema,
  timestamp: TimestampSchema,
});

/** What the buy function produces (timestamp as an ISO string, id always set). */
export interface Purchase {
  id: string;
  username: string;
  user_id: string;
  item_name: string;
  price: number;
  timestamp: string;
}

/** Stored document. Money is also kept in integer cents so sums never drift. */
export interface PurchaseDoc {
  _id: string;
  username: string;
  user_id: string;
  item_name: string;
  price: number;
  price_cents: number;
  timestamp: Date;
  created_at: Date;
  event_id: string;
  event_source: string;
  /** A wrapped plain record's time (the Kafka record timestamp): part of its identity. */
  event_time?: Date;
}

export const toCents = (price: number) => Math.round(price * 100);
export const fromCents = (cents: number) => cents / 100;

/** The API shape of a stored purchase. */
export function toApi(doc: PurchaseDoc) {
  return {
    id: doc._id,
    username: doc.username,
    user_id: doc.user_id,
    item_name: doc.item_name,
    price: doc.price,
    timestamp: doc.timestamp.toISOString(),
    created_at: doc.created_at.toISOString(),
  };
}
