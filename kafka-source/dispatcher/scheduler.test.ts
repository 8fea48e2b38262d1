import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Scheduler } from "./scheduler.ts";

const rec = (partition: number, offset: number) => ({ topic: "t", partition, offset });
const tps = [0, 1].map((partition) => ({ topic: "t", partition }));

type Rec = ReturnType<typeof rec>;
function startAll(s: Scheduler<Rec>) {
  const started = [];
  for (let n = s.next(); n; n = s.next()) started.push(n);
  return started;
}
function finish(s: Scheduler<Rec>, started: ReturnType<Scheduler<Rec>["next"]>, done = true) {
  assert.ok(started, "a record was started");
  s.finish(started.state, started.record, done);
}

describe("scheduler", () => {
  test("When ordered, then a partition never has two records in flight", () => {
    const s = new Scheduler<Rec>({ ordering: "ordered", maxInFlight: 50 });
    s.assign(tps);
    for (let o = 0; o < 5; o++) for (const p of [0, 1]) s.enqueue(rec(p, o));
    const first = startAll(s);
    assert.deepEqual(
      first.map((n) => n.record),
      [rec(0, 0), rec(1, 0)],
    );
    finish(s, first[0]);
    assert.deepEqual(
      startAll(s).map((n) => n.record),
      [rec(0, 1)],
      "only partition 0 frees a slot, with its next offset",
    );
  });

  test("When unordered, then up to maxInFlight records of one partition are in flight at once", () => {
    const s = new Scheduler<Rec>({ ordering: "unordered", maxInFlight: 3 });
    s.assign(tps);
    for (let o = 0; o < 5; o++) s.enqueue(rec(0, o));
    assert.equal(startAll(s).length, 3);
    assert.equal(s.inFlight, 3);
  });

  test("When records are fetched and started, then buffered counts only those not started yet", () => {
    const s = new Scheduler<Rec>({ ordering: "ordered", maxInFlight: 4 });
    s.assign(tps);
    for (let o = 0; o < 4; o++) s.enqueue(rec(0, o));
    s.enqueue(rec(1, 0));
    assert.equal(s.buffered, 5);
    startAll(s);
    assert.equal(s.buffered, 3, "one per partition started");
  });

  test("When a partition is revoked, then its buffer is dropped and its records are no longer accepted", () => {
    const s = new Scheduler<Rec>({ ordering: "unordered", maxInFlight: 10 });
    s.assign(tps);
    s.enqueue(rec(1, 0));
    s.enqueue(rec(1, 1));
    const [revoked] = s.revoke(tps.slice(1));
    assert.equal(revoked?.queue.length, 0);
    assert.equal(s.enqueue(rec(1, 2)), false);
    assert.equal(s.next(), undefined);
  });

  test("When records complete, then commits offer each partition's contiguous progress", () => {
    const s = new Scheduler<Rec>({ ordering: "unordered", maxInFlight: 10 });
    s.assign(tps);
    for (let o = 0; o < 3; o++) s.enqueue(rec(0, o));
    const [a, b, c] = startAll(s);
    finish(s, c);
    finish(s, a);
    finish(s, b, false);
    assert.deepEqual(
      s.commits().map(({ state, offset }) => [state.tp.partition, offset]),
      [[0, 1]],
      "offset 1 was not done, so only offset 0 is covered",
    );
  });
});
