// The campaign's judge on made-up records: each check must be able to fail.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Attempt, AttemptResult, TrackedPurchase } from "../../harness/faults/load.ts";
import { type StoredDoc, verify } from "../../harness/faults/verify.ts";

const EPOCH = Date.UTC(2026, 10, 21);
const attempt = (startedAt: number, result: AttemptResult): Attempt => ({
  startedAt,
  endedAt: startedAt + 10,
  result,
});
const purchase = (index: number, attempts: Attempt[]): TrackedPurchase => {
  const accepted = attempts.find((a) => a.result.kind === "accepted");
  return {
    index,
    userId: "u",
    key: `k${index}`,
    expectedId: `id-${index}`,
    attempts,
    ...(accepted ? { acceptedAt: accepted.endedAt, acceptedId: `id-${index}` } : {}),
  };
};
const ok = (i: number, at: number) => purchase(i, [attempt(at, { kind: "accepted", id: `id-${i}` })]);
const doc = (id: string, at: number, eventId = id): StoredDoc => ({
  _id: id,
  event_source: "/buy",
  event_id: eventId,
  created_at: new Date(EPOCH + at),
});
const run = (
  purchases: TrackedPurchase[],
  docs: StoredDoc[],
  over: Partial<Parameters<typeof verify>[0]> = {},
) =>
  verify({
    purchases,
    docs,
    epoch: EPOCH,
    faults: [{ name: "SIGKILL purchase-persist", injectedAt: 1000, restoredAt: 3000, recovered: true }],
    dlqRecords: 0,
    drained: true,
    loadMs: 10_000,
    requestTimeoutMs: 5000,
    ...over,
  });
const failed = (r: ReturnType<typeof verify>) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe("campaign verdict", () => {
  const refusedThenOk = purchase(2, [
    attempt(1500, { kind: "refused", error: "kafka_unavailable", retryAfter: "1" }),
    attempt(3500, { kind: "accepted", id: "id-2" }),
  ]);
  const purchases = [ok(0, 500), ok(1, 900), refusedThenOk, ok(3, 3200)];
  const docs = [doc("id-0", 600), doc("id-1", 4000), doc("id-2", 3600), doc("id-3", 3300)];

  test("When every 202 is stored once and the fault recovered, then every check passes with its times", () => {
    const r = run(purchases, docs);
    assert.deepEqual(failed(r), []);
    const [f] = r.faults;
    assert.equal(f?.ingestResumedAt, 3210);
    assert.equal(f?.storageResumedAt, 3300);
    assert.equal(f?.caughtUpAt, 4000, "id-1 was accepted before the fault and stored at 4000");
    assert.equal(f?.recoverMs, 2300);
    assert.deepEqual(f?.refusedBy, { "503 kafka_unavailable": 1 });
    assert.equal(r.unexplainedRefusals, 0);
  });

  test("When a 202 is missing, a stranger is stored or an event is stored twice, then those checks fail", () => {
    const r = run(purchases, [...docs.slice(1), doc("stranger", 3400), doc("id-9", 3500, "id-1")]);
    assert.deepEqual(failed(r), ["every 202 is stored", "nothing extra is stored", "no duplicates"]);
  });

  test("When a request hangs, a 500 comes back, or a 502 comes back, then those checks fail", () => {
    const bad = purchase(4, [
      attempt(1100, { kind: "timeout" }),
      attempt(1200, { kind: "bad", status: 500, body: "{}" }),
      attempt(1300, { kind: "bad", status: 502, body: '{"error":"bad_gateway"}' }),
    ]);
    const r = run([...purchases, bad], docs);
    assert.deepEqual(failed(r), ["every refusal is a JSON 503", "no request hangs"]);
    assert.equal(r.neverAccepted, 1);
    assert.deepEqual(r.otherAnswers.byStatus, { 500: 1, 502: 1 });
  });

  test("When only a 502 comes back (a gateway that cannot reach its function), then the refusal check fails", () => {
    const bad = purchase(4, [attempt(1300, { kind: "bad", status: 502, body: '{"error":"bad_gateway"}' })]);
    assert.deepEqual(failed(run([...purchases, bad], docs)), ["every refusal is a JSON 503"]);
  });

  test("When dead letters exist, the pipeline did not drain or SIGTERM exited 1, then those checks fail", () => {
    const faults = [
      { name: "SIGTERM buy", injectedAt: 1000, restoredAt: 3000, exitCode: 1, recovered: true },
    ];
    const r = run(purchases, docs, { dlqRecords: 2, drained: false, faults });
    assert.deepEqual(failed(r), [
      "nothing but poison records is dead-lettered",
      "every fault recovered and the pipeline drained",
      "a SIGTERMed function exits 0",
    ]);
  });

  test("When poison records were written, then each must be dead-lettered, nothing else, and lag back to 0", () => {
    const poisoned = [
      { partition: 0, offset: 7 },
      { partition: 2, offset: 3 },
    ];
    const faults = [
      { name: "poison records", injectedAt: 1000, restoredAt: 1100, recovered: true, poisoned },
    ];
    const all = run(purchases, docs, { faults, dlqRecords: 2, deadLetters: poisoned });
    assert.deepEqual(failed(all), []);
    const one = run(purchases, docs, { faults, dlqRecords: 1, deadLetters: [{ partition: 0, offset: 7 }] });
    assert.deepEqual(failed(one), ["every poison record is dead-lettered and lag returned to 0"]);
    const extra = run(purchases, docs, {
      faults,
      dlqRecords: 3,
      deadLetters: [...poisoned, { partition: 1, offset: 0 }],
    });
    assert.deepEqual(failed(extra), ["nothing but poison records is dead-lettered"]);
    const stuck = run(purchases, docs, { faults, dlqRecords: 2, deadLetters: poisoned, drained: false });
    assert.ok(failed(stuck).includes("every poison record is dead-lettered and lag returned to 0"));
  });
});
