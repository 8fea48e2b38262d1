// One error catalog and one onError mapper for every function.
// Every error response is JSON {error, message, details?}; unknown errors are logged and answer a
// bare 500 with no stack trace.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { errorFields, type Logger } from "./logging.ts";

export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const Errors = {
  validation: (message: string, details?: unknown) =>
    new AppError(400, "validation_failed", message, details),
  invalidJson: (message: string) => new AppError(400, "invalid_json", message),
  unsupportedMediaType: (expected: string) =>
    new AppError(415, "unsupported_media_type", `Content-Type must be ${expected}`),
  // The rest of the body is left unread, so the connection cannot carry another request: say so
  // (RFC 9112 §9.6), or a client reusing it gets its next request cut off.
  payloadTooLarge: (maxBytes: number) =>
    new AppError(413, "payload_too_large", `request body is larger than ${maxBytes} bytes`, undefined, {
      Connection: "close",
    }),
  notFound: (message = "no such route") => new AppError(404, "not_found", message),
  // 422, not 409: the KafkaSource retries 409 (kafka-source/README.md) and a conflict never heals by itself;
  // not 400 either, which says the event is malformed when it is well-formed but contradicts a
  // stored purchase. Both 400 and 422 go straight to the dead-letter sink.
  identityConflict: (message: string, details?: unknown) =>
    new AppError(422, "identity_conflict", message, details),
  kafkaUnavailable: (message: string) =>
    new AppError(503, "kafka_unavailable", message, undefined, { "Retry-After": "1" }),
  databaseUnavailable: (message: string) =>
    new AppError(503, "database_unavailable", message, undefined, { "Retry-After": "1" }),
  overloaded: (message: string) =>
    new AppError(503, "overloaded", message, undefined, { "Retry-After": "1" }),
  badGateway: (message: string) => new AppError(502, "bad_gateway", message),
  gatewayTimeout: (message: string) => new AppError(504, "gateway_timeout", message),
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

export function errorResponse(c: Context, err: AppError) {
  const body = {
    error: err.code,
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
  };
  return c.json(body, err.status, err.headers);
}

const codeByStatus: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_content",
};

export function onError(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof AppError) return errorResponse(c, err);
    if (err instanceof HTTPException && err.status < 500) {
      const code = codeByStatus[err.status] ?? "bad_request";
      return errorResponse(c, new AppError(err.status, code, err.message || code.replaceAll("_", " ")));
    }
    logger.error("unhandled error", { ...errorFields(err), path: c.req.path, requestId: c.get("requestId") });
    return c.json({ error: "internal", message: "internal error" }, 500);
  };
}

export const notFound: NotFoundHandler = (c) =>
  errorResponse(c, Errors.notFound(`no route for ${c.req.method} ${c.req.path}`));
