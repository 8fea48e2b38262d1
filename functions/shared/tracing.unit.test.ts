// The caller's trace context that buy forwards with tracing off (W3C Trace Context 1, section 3).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { incomingTraceContext } from "./tracing.ts";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const STATE = "congo=t61rcWkgMzE,rojo@vendor=00f067aa0ba902b7";

describe("incomingTraceContext", () => {
  test("When traceparent and tracestate are valid, then both are forwarded unchanged", () => {
    assert.deepEqual(incomingTraceContext(PARENT, STATE), { traceparent: PARENT, tracestate: STATE });
    assert.deepEqual(incomingTraceContext(PARENT, undefined), { traceparent: PARENT });
    const future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds";
    assert.deepEqual(incomingTraceContext(future, undefined), { traceparent: future });
  });

  test("When traceparent is invalid, then nothing is forwarded, tracestate neither", () => {
    for (const bad of [
      undefined,
      "",
      "garbage",
      PARENT.toUpperCase(),
      PARENT.replace(/^00/, "ff"),
      `${PARENT}-extra`,
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`,
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
    ]) {
      assert.deepEqual(incomingTraceContext(bad, STATE), {}, String(bad));
    }
  });

  test("When only tracestate is invalid, then traceparent is forwarded alone", () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(",");
    assert.deepEqual(incomingTraceContext(PARENT, members(32)), {
      traceparent: PARENT,
      tracestate: members(32),
    });
    for (const bad of [
      "",
      "Upper=1",
      "k=v=w",
      "k=",
      "k=a,b",
      "k=\u0001",
      `k=${"v".repeat(257)}`,
      members(33),
    ]) {
      assert.deepEqual(incomingTraceContext(PARENT, bad), { traceparent: PARENT }, bad);
    }
  });
});
