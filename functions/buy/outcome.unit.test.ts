import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { NotConnectedError } from "../shared/kafka.ts";
import { TimeoutError } from "../shared/timeout.ts";
import { certainlyNotWritten, deliveryTimeoutMs, GateClosedError } from "./outcome.ts";

const kafkaError = (code: number) => new KafkaJS.KafkaJSError("x", { code });
const codes = KafkaJS.ErrorCodes;

describe("produce outcome", () => {
  test("When the record never entered the client, then it is certainly not written", () => {
    for (const err of [
      new NotConnectedError(),
      new GateClosedError("stuck"),
      kafkaError(codes.ERR__QUEUE_FULL),
      kafkaError(codes.ERR__STATE),
    ])
      assert.equal(certainlyNotWritten(err), true, String(err));
  });

  test("When the record timed out or failed after it was handed over, then the outcome is unknown", () => {
    for (const err of [
      kafkaError(codes.ERR__MSG_TIMED_OUT),
      kafkaError(codes.ERR__TIMED_OUT),
      kafkaError(codes.ERR__TRANSPORT),
      kafkaError(codes.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND),
      new TimeoutError("timed out after 5000 ms"),
      new Error("anything else"),
      undefined,
    ])
      assert.equal(certainlyNotWritten(err), false, String(err));
  });

  test("When the request deadline is given, then the client's message timeout ends before it", () => {
    assert.equal(deliveryTimeoutMs(5000), 4000);
    assert.equal(deliveryTimeoutMs(2000), 1600);
    assert.equal(deliveryTimeoutMs(100), 50);
    assert.equal(deliveryTimeoutMs(120_000), 119_000);
  });
});
