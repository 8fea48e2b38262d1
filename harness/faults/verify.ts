// Judges a finished campaign from its records alone: what the clients were told, what the database
// holds, what the dead-letter topic holds, and when each fault was over. Pure: no I/O.
import { ERROR_CATALOG, type ErrorCode } from "../../functions/shared/errors.ts";
import type { Injected } from "./faults.ts";
import type { Attempt, TrackedPurchase } from "./load.ts";
import type { Position } from "./poison.ts";

export interface StoredDoc {
  _id: string;
  event_source: string;
  event_id: string;
  created_at: Date;
}

export interface FaultReport {
  name: string;
  injectedAt: number;
  restoredAt: number;
  exitCode?: number | null;
  /** First 202 received after the component was back. */
  ingestResumedAt: number | null;
  /** First document written by the pipeline after the component was back. */
  storageResumedAt: number | null;
  /** When every purchase accepted before the fault was stored. */
  caughtUpAt: number | null;
  /** Injection to both ingest and storage working again. */
  recoverMs: number | null;
  /** Attempts not accepted during the fault (refused 503s and anything else). */
  refused: number;
  /** The same by answer: "503 kafka_unavailable", "503 service_unavailable", "timeout", "network". */
  refusedBy: Record<string, number>;
  /** History reads not answered 200 during the fault, by answer. */
  readsRefusedBy: Record<string, number>;
  recovered: boolean;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyInput {
  purchases: TrackedPurchase[];
  /** History reads made during the campaign ("accepted" = a 200). */
  reads?: Attempt[];
  docs: StoredDoc[];
  /** Campaign clock origin (Date.now() at start): created_at is converted onto it. */
  epoch: number;
  faults: (Injected & { name: string; recovered: boolean })[];
  dlqRecords: number;
  /** Where each dead letter came from on the topic (its knativekafkapartition/offset). */
  deadLetters?: Position[];
  drained: boolean;
  loadMs: number;
  requestTimeoutMs: number;
}

const tally = (keys: string[]) => {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
};
const min = (xs: number[]) => (xs.length ? Math.min(...xs) : null);

export function verify(input: VerifyInput) {
  const { purchases, epoch } = input;
  // Purchases a fault made with clients of its own are judged by that fault (Injected.checks).
  const owned = new Set(input.faults.flatMap((f) => f.ownIds ?? []));
  const docs = input.docs.filter((d) => !owned.has(d._id));
  const attempts = purchases.flatMap((p) => p.attempts);
  const accepted = purchases.filter((p) => p.acceptedId !== undefined);
  const acceptedIds = new Set(accepted.map((p) => p.acceptedId as string));
  const attemptedIds = new Set(purchases.map((p) => p.expectedId));
  const storedIds = new Set(docs.map((d) => d._id));
  const storedEvents = new Set(docs.map((d) => `${d.event_source}\n${d.event_id}`));
  const refused = attempts.flatMap((a) => (a.result.kind === "refused" ? [a.result] : []));
  const bad = attempts.flatMap((a) => (a.result.kind === "bad" ? [a.result] : []));
  const network = attempts.flatMap((a) => (a.result.kind === "network" ? [a.result] : []));
  const timeouts = attempts.filter((a) => a.result.kind === "timeout").length;
  const reads = input.reads ?? [];
  const readAnswers = tally(reads.map(answerOf));
  const readsBad = reads.filter((a) => a.result.kind === "bad" || a.result.kind === "network");
  const readTimeouts = reads.filter((a) => a.result.kind === "timeout").length;
  const missing = [...acceptedIds].filter((id) => !storedIds.has(id));
  const extra = [...storedIds].filter((id) => !attemptedIds.has(id));
  const wrongIds = accepted.filter((p) => p.acceptedId !== p.expectedId);
  const storedAt = new Map(docs.map((d) => [d._id, d.created_at.getTime() - epoch]));

  const faults: FaultReport[] = input.faults.map((f, i) => {
    const ingestResumedAt = min(
      accepted.flatMap((p) => ((p.acceptedAt as number) >= f.restoredAt ? [p.acceptedAt as number] : [])),
    );
    const storageResumedAt = min([...storedAt.values()].filter((t) => t >= f.restoredAt));
    const before = accepted.filter((p) => (p.acceptedAt as number) < f.injectedAt);
    const backlog = before.map((p) => storedAt.get(p.acceptedId as string) ?? Number.POSITIVE_INFINITY);
    const caughtUp = Math.max(f.injectedAt, ...backlog);
    const resumed =
      ingestResumedAt === null || storageResumedAt === null
        ? null
        : Math.max(ingestResumedAt, storageResumedAt);
    const next = input.faults[i + 1]?.injectedAt ?? Number.POSITIVE_INFINITY;
    const windowEnd = Math.min(next, (resumed ?? f.restoredAt) + input.requestTimeoutMs);
    const during = (a: Attempt) => a.endedAt >= f.injectedAt && a.startedAt <= windowEnd;
    return {
      name: f.name,
      injectedAt: f.injectedAt,
      restoredAt: f.restoredAt,
      ...(f.exitCode === undefined ? {} : { exitCode: f.exitCode }),
      ingestResumedAt,
      storageResumedAt,
      caughtUpAt: Number.isFinite(caughtUp) ? caughtUp : null,
      recoverMs: resumed === null ? null : resumed - f.injectedAt,
      refused: attempts.filter((a) => a.result.kind !== "accepted" && during(a)).length,
      refusedBy: tally(attempts.filter((a) => a.result.kind !== "accepted" && during(a)).map(answerOf)),
      readsRefusedBy: tally(reads.filter((a) => a.result.kind !== "accepted" && during(a)).map(answerOf)),
      recovered: f.recovered,
    };
  });
  const explained = faults.reduce((n, f) => n + f.refused, 0);
  // Poison records (poison.ts) must be dead-lettered, each by its position; nothing else may be.
  const at = (p: Position) => `${p.partition}@${p.offset}`;
  const poison = new Set(input.faults.flatMap((f) => f.poisoned ?? []).map(at));
  const lettered = new Set((input.deadLetters ?? []).map(at));
  const poisonMissed = [...poison].filter((p) => !lettered.has(p));
  const otherLetters = input.dlqRecords - (input.deadLetters ?? []).filter((p) => poison.has(at(p))).length;
  const notAccepted = attempts.length - accepted.length;

  const checks: Check[] = [
    check("every 202 is stored", missing.length === 0, `${missing.length} accepted but not stored`),
    check(
      "nothing extra is stored",
      extra.length === 0,
      `${extra.length} stored documents match no attempted purchase`,
    ),
    check(
      "no duplicates",
      docs.length === storedIds.size && docs.length === storedEvents.size,
      `${docs.length} documents, ${storedIds.size} distinct ids, ${storedEvents.size} distinct events`,
    ),
    check(
      "the id of a 202 is the one buy derives from the Idempotency-Key",
      wrongIds.length === 0 && acceptedIds.size === accepted.length,
      `${wrongIds.length} differ; ${acceptedIds.size} distinct ids in ${accepted.length} 202s`,
    ),
    check(
      "nothing but poison records is dead-lettered",
      otherLetters === 0,
      `${otherLetters} other dead letters (${input.dlqRecords} in all)`,
    ),
    check(
      "every poison record is dead-lettered and lag returned to 0",
      poisonMissed.length === 0 && (poison.size === 0 || input.drained),
      `${poison.size - poisonMissed.length} of ${poison.size} dead-lettered` +
        (poisonMissed.length ? ` (missing ${poisonMissed.slice(0, 5).join(", ")})` : "") +
        (input.drained ? "" : "; lag did not return to 0"),
    ),
    check(
      "every refusal is a JSON 503",
      bad.length === 0 && network.length === 0,
      `${bad.length} other answers (${JSON.stringify(tally(bad.map((b) => String(b.status))))}), ${network.length} network errors`,
    ),
    check(
      "a history read is a 200 or a JSON 503/504 within its bound",
      readsBad.length === 0,
      `${readsBad.length} of ${reads.length} reads otherwise (${JSON.stringify(tally(readsBad.map(answerOf)))})`,
    ),
    check(
      "no request hangs",
      timeouts === 0 && readTimeouts === 0,
      `${timeouts} purchases and ${readTimeouts} reads unanswered after ${input.requestTimeoutMs} ms`,
    ),
    check(
      "every fault recovered and the pipeline drained",
      faults.every((f) => f.recovered && f.recoverMs !== null) && input.drained,
      faults.map((f) => `${f.name}: ${f.recoverMs ?? "never"} ms`).join(", ") +
        (input.drained ? "" : "; the pipeline did not drain"),
    ),
    check(
      "a SIGTERMed function exits 0",
      faults.every((f) => f.exitCode === undefined || f.exitCode === 0),
      faults.flatMap((f) => (f.exitCode === undefined ? [] : [`${f.name}: exit ${f.exitCode}`])).join(", "),
    ),
    ...input.faults.flatMap((f) => f.checks ?? []),
  ];

  return {
    ok: checks.every((c) => c.ok),
    checks,
    purchases: purchases.length,
    accepted: accepted.length,
    neverAccepted: purchases.length - accepted.length,
    attempts: attempts.length,
    retried: purchases.filter((p) => p.attempts.length > 1).length,
    refused503: {
      total: refused.length,
      byError: tally(refused.map((r) => r.error)),
      withoutRetryAfter: refused.filter((r) => r.retryAfter === null).length,
    },
    otherAnswers: {
      total: bad.length,
      byStatus: tally(bad.map((b) => String(b.status))),
      samples: bad.slice(0, 5),
    },
    networkErrors: { total: network.length, byError: tally(network.map((n) => n.error)) },
    timeouts,
    unexplainedRefusals: Math.max(0, notAccepted - explained),
    stored: {
      documents: docs.length,
      distinctIds: storedIds.size,
      missing: missing.length,
      extra: extra.length,
      storedWithout202: [...storedIds].filter((id) => attemptedIds.has(id) && !acceptedIds.has(id)).length,
      duplicates: docs.length - storedIds.size,
    },
    reads: { total: reads.length, byAnswer: readAnswers },
    dlqRecords: input.dlqRecords,
    drained: input.drained,
    loadMs: input.loadMs,
    acceptedPerSecond: Math.round((accepted.length / input.loadMs) * 1000),
    faults,
  };
}

function answerOf({ result }: Attempt) {
  if (result.kind === "refused")
    return `${ERROR_CATALOG[result.error as ErrorCode]?.status ?? 503} ${result.error}`;
  if (result.kind === "bad") return String(result.status);
  return result.kind;
}

function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

export type CampaignReport = ReturnType<typeof verify> & {
  options?: unknown;
  topic?: string;
  database?: string;
};
