// One error catalog and one onError mapper for everything that answers HTTP (functions, gateway).
// Every error response is JSON {error, message, details?}; unknown errors are logged and answer a
// bare 500 with no stack trace.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { errorFields, type Logger } from "./logging.ts";

const RETRY = { "Retry-After": "1" };
/** The realm every bearer challenge names (RFC 6750 section 3). */
export const BEARER_CHALLENGE = 'Bearer realm="purchases"';

interface CatalogEntry {
  status: ContentfulStatusCode;
  /** What the code means, for the API's users: the OpenAPI descriptions and the table of docs/api.md. */
  meaning: string;
  /** Headers every answer with this code carries. */
  headers?: Record<string, string>;
}

/**
 * Every error code the system answers, once, with its status and meaning. AppError takes only these
 * codes; the OpenAPI documents describe errors from here, and test/docs/error-table.unit.test.ts holds
 * the error table of docs/api.md#errors to it.
 */
export const ERROR_CATALOG = {
  validation_failed: {
    status: 400,
    meaning: "A path, query, header or body field is invalid; `details` names each.",
  },
  invalid_json: {
    status: 400,
    meaning: "The body is not valid JSON: bad syntax, bytes that are not UTF-8, an unpaired surrogate.",
  },
  incomplete_body: { status: 400, meaning: "The request body was cut short." },
  invalid_event: {
    status: 400,
    meaning:
      "Not one valid CloudEvent: a missing or bad attribute, an attribute header sent twice, `data` with `data_base64`, a batch.",
  },
  invalid_data: {
    status: 400,
    meaning: "The event's purchase is invalid: a wrong type, a negative price, a day that does not exist.",
  },
  bad_request: { status: 400, meaning: "Another malformed request." },
  // Authentication and authorization (RFC 6750 section 3.1; functions/shared/auth). The challenge
  // of the 401s and the 403 for a scope carries the RFC's error code; the answer with no token
  // carries none, as the RFC says.
  missing_token: {
    status: 401,
    meaning: 'No bearer token; `WWW-Authenticate: Bearer realm="purchases"` says how to send one.',
    headers: { "WWW-Authenticate": BEARER_CHALLENGE },
  },
  invalid_token: {
    status: 401,
    meaning:
      "The bearer token is malformed, expired or not yet valid, badly signed, signed by an unknown key, from another issuer, for another audience, or not an access token.",
    headers: { "WWW-Authenticate": `${BEARER_CHALLENGE}, error="invalid_token"` },
  },
  insufficient_scope: {
    status: 403,
    meaning: "The token lacks the scope the operation needs; `WWW-Authenticate` names it.",
    headers: { "WWW-Authenticate": `${BEARER_CHALLENGE}, error="insufficient_scope"` },
  },
  forbidden: { status: 403, meaning: "The data belongs to another user than the token's." },
  not_found: { status: 404, meaning: "No route for this method and path." },
  method_not_allowed: {
    status: 405,
    meaning: "The path exists under other methods; the `Allow` header lists them.",
  },
  // The rest of the body is left unread, so the connection cannot carry another request: say so
  // (RFC 9112 §9.6), or a client reusing it gets its next request cut off.
  payload_too_large: {
    status: 413,
    meaning: "The body is over the size limit.",
    headers: { Connection: "close" },
  },
  unsupported_media_type: { status: 415, meaning: "The Content-Type is not the one the operation takes." },
  // 422, not 409: the KafkaSource retries 409 (KNATIVE.md) and a conflict never heals by itself;
  // not 400 either, which says the event is malformed when it is well-formed but contradicts a
  // stored purchase. Both 400 and 422 go straight to the dead-letter sink.
  identity_conflict: {
    status: 422,
    meaning: "A different purchase already holds the event's identity; `details` lists what differs.",
  },
  internal: { status: 500, meaning: "An unexpected error; it is logged, the answer has no details." },
  bad_gateway: {
    status: 502,
    meaning: "The service behind this one is unreachable or answered something unexpected.",
  },
  kafka_unavailable: {
    status: 503,
    meaning: "Kafka did not acknowledge in time; retry (with the same `Idempotency-Key`).",
    headers: RETRY,
  },
  database_unavailable: {
    status: 503,
    meaning: "The database did not answer or acknowledge; retry.",
    headers: RETRY,
  },
  overloaded: { status: 503, meaning: "Too many writes are pending; retry.", headers: RETRY },
  service_unavailable: {
    status: 503,
    meaning:
      "The function behind this path is not reachable right now (restarting, scaling from zero); retry.",
    headers: RETRY,
  },
  identity_provider_unavailable: {
    status: 503,
    meaning: "The token's signing key is not cached and the identity provider cannot be reached; retry.",
    headers: RETRY,
  },
  gateway_timeout: { status: 504, meaning: "The service behind this one did not answer in time." },
  // Not 503: a 503 says "not done, retry", and a client retrying a purchase that was made buys twice.
  outcome_unknown: {
    status: 504,
    meaning:
      "Kafka did not confirm the purchase in time and it may have been made: retry with the same `Idempotency-Key` (the same purchase), or look it up before buying again.",
    headers: RETRY,
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly details?: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    const entry: CatalogEntry = ERROR_CATALOG[code];
    this.status = entry.status;
    this.details = opts.details;
    this.headers = opts.headers ? { ...entry.headers, ...opts.headers } : (entry.headers ?? {});
  }
}

export const Errors = {
  validation: (message: string, details?: unknown) => new AppError("validation_failed", message, { details }),
  invalidJson: (message: string) => new AppError("invalid_json", message),
  unsupportedMediaType: (expected: string) =>
    new AppError("unsupported_media_type", `Content-Type must be ${expected}`),
  payloadTooLarge: (maxBytes: number) =>
    new AppError("payload_too_large", `request body is larger than ${maxBytes} bytes`),
  notFound: (message = "no such route") => new AppError("not_found", message),
  identityConflict: (message: string, details?: unknown) =>
    new AppError("identity_conflict", message, { details }),
  kafkaUnavailable: (message: string) => new AppError("kafka_unavailable", message),
  databaseUnavailable: (message: string) => new AppError("database_unavailable", message),
  overloaded: (message: string) => new AppError("overloaded", message),
  badGateway: (message: string) => new AppError("bad_gateway", message),
  gatewayTimeout: (message: string) => new AppError("gateway_timeout", message),
};

type Issues = [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]];

/** Valibot issues as `details`: one entry per problem with a dotted field path. */
export function issueDetails(issues: Issues) {
  return issues.map((issue) => ({ field: v.getDotPath(issue) ?? "(body)", message: issue.message }));
}

/** Parses input with a schema or throws a 400 naming every bad field. */
export function parseOr400<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what = "request",
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const details = issueDetails(result.issues);
  const first = details[0];
  const message = first ? `${what}: ${first.field}: ${first.message}` : `invalid ${what}`;
  throw Errors.validation(message, details);
}

/** The JSON answer of an AppError, with its status and headers. */
export function errorResponse(c: Context, err: AppError) {
  const body = {
    error: err.code,
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
  };
  return c.json(body, err.status, err.headers);
}

/** Hono's own 4xx exceptions, by status; any other 4xx of Hono's answers 400 bad_request. */
const codeByStatus: Partial<Record<number, ErrorCode>> = {
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function onError(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof AppError) return errorResponse(c, err);
    if (err instanceof HTTPException && err.status < 500) {
      const code = codeByStatus[err.status] ?? "bad_request";
      return errorResponse(c, new AppError(code, err.message || code.replaceAll("_", " ")));
    }
    logger.error("unhandled error", { ...errorFields(err), path: c.req.path, requestId: c.get("requestId") });
    return errorResponse(c, new AppError("internal", "internal error"));
  };
}

export const notFound: NotFoundHandler = (c) =>
  errorResponse(c, Errors.notFound(`no route for ${c.req.method} ${c.req.path}`));
