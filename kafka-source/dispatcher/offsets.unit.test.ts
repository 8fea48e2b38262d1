import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OffsetTracker } from "./offsets.ts";

describe("offset tracker", () => {
  test("When records complete out of order, then only the contiguous completed run is committable", () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12, 13]) t.received(o);
    assert.equal(t.committable, undefined);
    t.done(12);
    assert.equal(t.committable, undefined, "10 and 11 are not done");
    t.done(10);
    assert.equal(t.committable, 11, "10 done: commit 11 (the next offset to read)");
    t.done(13);
    assert.equal(t.committable, 11, "11 still blocks 12 and 13");
    t.done(11);
    assert.equal(t.committable, 14);
    assert.equal(t.pending, 0);
  });

  test("When the log has gaps (compaction, transaction markers), then they do not block the commit", () => {
    const t = new OffsetTracker();
    for (const o of [5, 9, 20]) t.received(o);
    t.done(20);
    t.done(5);
    assert.equal(t.committable, 6);
    t.done(9);
    assert.equal(t.committable, 21);
  });

  test("When an offset was committed, then toCommit offers only later progress", () => {
    const t = new OffsetTracker();
    t.received(0);
    t.received(1);
    t.done(0);
    assert.equal(t.toCommit(), 1);
    t.markCommitted(1);
    assert.equal(t.toCommit(), undefined);
    t.done(1);
    assert.equal(t.toCommit(), 2);
  });

  test("When an offset is received again or completed twice, then it is ignored", () => {
    const t = new OffsetTracker();
    assert.equal(t.received(3), true);
    assert.equal(t.received(3), false);
    assert.equal(t.received(2), false);
    assert.equal(t.done(3), true);
    assert.equal(t.done(3), false);
    assert.equal(t.done(99), false);
  });
});
