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
    assert.equal(s.enqueue(rec(1, 2)), "unassigned");
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

  test("When the fetch position moves back (topic recreated), then the new records are delivered and committed from the new position", () => {
    const s = new Scheduler<Rec>({ ordering: "unordered", maxInFlight: 10 });
    s.assign(tps);
    for (let o = 10; o < 13; o++) s.enqueue(rec(0, o));
    const old = startAll(s);
    finish(s, old[0]);
    finish(s, old[1]);
    const [ready] = s.commits();
    assert.equal(ready?.offset, 12);
    ready?.tracker.markCommitted(12);
    // The topic is recreated; librdkafka resets to the earliest offset: 0, 1 arrive.
    assert.equal(s.enqueue(rec(0, 0)), "restarted");
    assert.equal(s.enqueue(rec(0, 1)), "queued");
    const fresh = startAll(s);
    assert.deepEqual(
      fresh.map((n) => n.record.offset),
      [0, 1],
      "the new position's records are started, not skipped as re-fetches",
    );
    finish(s, old[2]); // the old position's last record ends late: it must not count for offset 12 now
    finish(s, fresh[0]);
    assert.deepEqual(
      s.commits().map(({ offset }) => offset),
      [1],
      "the commit point starts over below the old one",
    );
    finish(s, fresh[1]);
    assert.deepEqual(
      s.commits().map(({ offset }) => offset),
      [2],
    );
  });

  test("When a commit of the old position completes after a restart, then it does not hold back the new position", () => {
    const s = new Scheduler<Rec>({ ordering: "unordered", maxInFlight: 10 });
    s.assign(tps);
    s.enqueue(rec(0, 20));
    finish(s, startAll(s)[0]);
    const [pending] = s.commits(); // a commit of offset 21 is on its way
    s.enqueue(rec(0, 0));
    finish(s, startAll(s)[0]);
    pending?.tracker.markCommitted(21);
    assert.deepEqual(
      s.commits().map(({ offset }) => offset),
      [1],
    );
  });
});
