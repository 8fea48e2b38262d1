import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GateClosedError } from "./outcome.ts";
import { createProduceGate } from "./produce-gate.ts";

/** A produce that settles when the test says so. */
function pendingSend() {
  let settle: { resolve: (v: string) => void; reject: (e: Error) => void } | undefined;
  const promise = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return { send: () => promise, ...(settle as NonNullable<typeof settle>) };
}

describe("produce gate", () => {
  test("When an acknowledgement is overdue, then new produces are refused without being started, and taken again once it arrives", async () => {
    let clock = 0;
    const gate = createProduceGate({ stallMs: 100, now: () => clock });
    const first = pendingSend();
    const running = gate.run(first.send);
    clock = 50;
    assert.equal(gate.refusal(), undefined, "not overdue yet");
    clock = 101;
    let started = false;
    await assert.rejects(
      gate.run(async () => {
        started = true;
        return "x";
      }),
      GateClosedError,
    );
    assert.equal(started, false);
    first.resolve("ok");
    assert.equal(await running, "ok");
    assert.equal(await gate.run(async () => "next"), "next");
  });

  test("When a produce failed, then one produce at a time is tried until one succeeds", async () => {
    const gate = createProduceGate({ stallMs: 1000, now: () => 0 });
    await assert.rejects(gate.run(() => Promise.reject(new Error("timed out"))));
    const probe = pendingSend();
    const probing = gate.run(probe.send);
    await assert.rejects(
      gate.run(async () => "second"),
      GateClosedError,
    );
    probe.resolve("ok");
    await probing;
    const both = await Promise.all([gate.run(async () => "a"), gate.run(async () => "b")]);
    assert.deepEqual(both, ["a", "b"]);
    assert.equal(gate.pending, 0);
  });

  test("When a produce failed and no broker accepts connections, then produces are refused without being started", async () => {
    let listening = false;
    const gate = createProduceGate({ stallMs: 1000, now: () => 0, reachable: async () => listening });
    await assert.rejects(gate.run(() => Promise.reject(new Error("timed out"))));
    await assert.rejects(
      gate.run(async () => "refused"),
      /no Kafka broker accepts connections/,
    );
    listening = true;
    assert.equal(await gate.run(async () => "back"), "back");
  });
});
