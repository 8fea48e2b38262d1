import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
} from "mongodb";
import { AppError } from "./errors.ts";
import { isStoreUnavailable, storeCall } from "./store-failure.ts";
import { TimeoutError } from "./timeout.ts";

const server = (code: number, errmsg: string, errorLabels: string[] = []) =>
  new MongoServerError({ ok: 0, code, errmsg, errorLabels });

describe("isStoreUnavailable", () => {
  test("When a replica set steps down or shuts down (by code), then it is a store failure", () => {
    for (const [code, name] of [
      [10107, "NotWritablePrimary"],
      [11602, "InterruptedDueToReplStateChange"],
      [189, "PrimarySteppedDown"],
      [91, "ShutdownInProgress"],
      [11600, "InterruptedAtShutdown"],
      [13436, "NotPrimaryOrSecondary"],
      [50, "MaxTimeMSExpired"],
    ] as const)
      assert.equal(isStoreUnavailable(server(code, name)), true, name);
  });

  test("When the server labels an error retryable or resets the pool, then it is a store failure", () => {
    assert.equal(isStoreUnavailable(server(2, "whatever", ["RetryableWriteError"])), true);
    assert.equal(isStoreUnavailable(server(2, "whatever", ["ResetPool"])), true);
  });

  test("When the driver cannot reach the server or times out, then it is a store failure", () => {
    assert.equal(isStoreUnavailable(new MongoNetworkError("connection reset")), true);
    assert.equal(isStoreUnavailable(new MongoNetworkTimeoutError("socket timeout")), true);
    assert.equal(isStoreUnavailable(new MongoOperationTimeoutError("timed out")), true);
    assert.equal(isStoreUnavailable(new TimeoutError("timed out after 10 ms")), true);
    const selection = new MongoServerSelectionError("no server", {
      type: "Unknown",
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 10_000,
      localThresholdMS: 15,
      setName: null,
      maxElectionId: null,
      maxSetVersion: null,
      commonWireVersion: 0,
      logicalSessionTimeoutMinutes: null,
    } as never);
    assert.equal(isStoreUnavailable(selection), true);
  });

  test("When FerretDB passes PostgreSQL's connection failures on as code 1, then it is a store failure", () => {
    for (const message of [
      "[msg_find.go:344] failed to connect to `user=postgres database=postgres`: dial error: connect: connection refused",
      "FATAL: terminating connection due to administrator command (SQLSTATE 57P01)",
      "FATAL: the database system is starting up (SQLSTATE 57P03)",
      "conn closed",
    ])
      assert.equal(isStoreUnavailable(server(1, message)), true, message);
  });

  test("When an error is the request's or a real internal error, then it is not a store failure", () => {
    assert.equal(isStoreUnavailable(server(11000, "E11000 duplicate key error")), false);
    assert.equal(isStoreUnavailable(server(1, "invalid key: a nil pointer")), false);
    assert.equal(isStoreUnavailable(server(2, "BadValue")), false);
    assert.equal(isStoreUnavailable(new Error("conn closed")), false);
    assert.equal(isStoreUnavailable(undefined), false);
  });

  test("When a batch fails as a whole, then what stopped it decides", () => {
    // What the driver throws when a connection is lost mid-batch: no per-document errors, the
    // network error as its cause.
    const whole = (cause: Error) => {
      const err = new MongoBulkWriteError(
        { message: cause.message, code: undefined as never, writeErrors: [] },
        { insertedCount: 0 } as never,
      );
      Object.defineProperty(err, "cause", { value: cause });
      return err;
    };
    assert.equal(isStoreUnavailable(whole(new MongoNetworkTimeoutError("connection 3 timed out"))), true);
    assert.equal(isStoreUnavailable(whole(new Error("not a store failure"))), false);
  });
});

describe("storeCall", () => {
  test("When the store never answers, then a 503 database_unavailable comes within the bound", async () => {
    const t0 = performance.now();
    const err = await storeCall(() => new Promise(() => {}), 50).catch((e: unknown) => e);
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 503);
    assert.equal(err.code, "database_unavailable");
    assert.equal(err.headers["Retry-After"], "1");
    // Loosely: the bound is 50 ms; a second, independent deadline far above it.
    assert.ok(performance.now() - t0 < 5_000);
  });

  test("When the driver gives up on the signal, then it is the 503 too", async () => {
    const err = await storeCall(
      (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new MongoOperationTimeoutError("timed out"))),
        ),
      20,
    ).catch((e: unknown) => e);
    assert.ok(err instanceof AppError && err.status === 503);
  });

  test("When the work fails otherwise, then its error is rethrown as it is", async () => {
    const bad = server(11000, "E11000 duplicate key error");
    await assert.rejects(
      storeCall(() => Promise.reject(bad), 1000),
      (e) => e === bad,
    );
  });
});
