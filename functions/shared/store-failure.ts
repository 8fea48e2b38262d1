// What a store failure is, and its one answer: 503 database_unavailable with Retry-After, never a
// 500. A store failure is the database unreachable, not answering, or unable to take the operation
// right now, so that the same request succeeds later: a replica set electing a primary (cluster),
// PostgreSQL down, hung or restarting behind FerretDB (local stack). Classified by the driver's
// error classes, labels and codes; only FerretDB's pass-through of PostgreSQL's failures needs the
// message (below).
import type { ErrorHandler } from "hono";
import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from "mongodb";
import { AppError, Errors, errorResponse } from "./errors.ts";
import { TimeoutError, withTimeout } from "./timeout.ts";

/**
 * Server codes of a node that cannot serve now: the driver's retryable codes (retryable-writes
 * spec: not primary, stepping down, shutting down, unreachable), plus time limits and write concern
 * timeouts (an overloaded or partitioned replica set).
 */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernTimeout (WriteConcernFailed before 8.1)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the driver or server put on errors that a retry (later, or elsewhere) can overcome. */
const UNAVAILABLE_LABELS = [
  "RetryableWriteError",
  "ResetPool",
  "PoolRequestedRetry",
  "InterruptInUseConnections",
  "SystemOverloadedError",
  "RetryableError",
];

/**
 * FerretDB answers every PostgreSQL failure as code 1 (InternalError) with PostgreSQL's or pgx's
 * message, no label: "failed to connect to ... dial error" (down), "terminating connection due to
 * administrator command" (SQLSTATE 57P01, a fast shutdown), "the database system is starting up"
 * (57P03, restarting), a connection closed mid-query. Only the message tells these from a real
 * internal error, so code 1 is a store failure only when it reads as a lost connection.
 */
const FERRETDB_CONNECTION_LOST =
  /failed to connect|dial error|terminating connection|the database system is (starting up|shutting down|in recovery|not yet accepting)|conn(ection)? (closed|reset|refused)|unexpected EOF|broken pipe|context deadline exceeded|SQLSTATE (08|57P0)/i;

/** True when `err` (or what it wraps) says the store is unavailable right now. */
export function isStoreUnavailable(err: unknown, depth = 0): boolean {
  if (err instanceof TimeoutError || err instanceof MongoOperationTimeoutError) return true;
  if (!(err instanceof MongoError)) return false;
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoServerClosedError
  )
    return true;
  if (UNAVAILABLE_LABELS.some((l) => err.hasErrorLabel(l))) return true;
  const code = typeof err.code === "number" ? err.code : Number(err.code);
  if (UNAVAILABLE_CODES.has(code)) return true;
  if (
    err instanceof MongoWriteConcernError &&
    UNAVAILABLE_CODES.has(err.result?.writeConcernError?.code ?? 0)
  )
    return true;
  if (code === 1 && FERRETDB_CONNECTION_LOST.test(err.message)) return true;
  // A batch that failed as a whole (no per-document errors) wraps the failure that stopped it.
  if (err instanceof MongoBulkWriteError && [err.writeErrors].flat().length === 0 && depth < 3)
    return isStoreUnavailable(err.cause, depth + 1);
  return false;
}

export const storeUnavailable = () =>
  Errors.databaseUnavailable("the database is unreachable or did not answer in time; retry later");

/**
 * Runs one store call (or a few together) within `timeoutMs`, whatever the server does: the signal
 * lets the driver abandon the operation (it closes that connection), and the race answers even when
 * the driver waits where the signal is not looked at (a connection checkout from a pool whose
 * connections all hang). A store failure becomes the 503; any other error is rethrown as it is.
 */
export async function storeCall<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await withTimeout(work(AbortSignal.timeout(timeoutMs)), timeoutMs + 50);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isStoreUnavailable(err) || (err as Error)?.name === "TimeoutError") throw storeUnavailable();
    throw err;
  }
}

/** The error handler with store failures answered 503, whatever route met them. */
export function withStoreFailures(handler: ErrorHandler): ErrorHandler {
  return (err, c) => (isStoreUnavailable(err) ? errorResponse(c, storeUnavailable()) : handler(err, c));
}
