// The campaign report as text: totals, one row per fault, and the checks.
import type { CampaignReport } from "./verify.ts";

const s = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "-" : `${(ms / 1000).toFixed(1)}s`;

function table(rows: string[][]) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const answers = (by: Record<string, number>) =>
  Object.entries(by)
    .map(([answer, n]) => `${n} × ${answer}`)
    .join(", ") || "0";

export function formatReport(r: CampaignReport): string {
  const refusedBy = Object.entries(r.refused503.byError)
    .map(([code, n]) => `${code} ${n}`)
    .join(", ");
  const lines = [
    `purchases ${r.purchases}: accepted (202) ${r.accepted}, never accepted ${r.neverAccepted}, ` +
      `retried ${r.retried}; ${r.attempts} requests in ${s(r.loadMs)} (${r.acceptedPerSecond} accepted/s)`,
    `refused with a JSON 503: ${r.refused503.total}${refusedBy ? ` (${refusedBy})` : ""}` +
      `${r.refused503.withoutRetryAfter ? `, ${r.refused503.withoutRetryAfter} without Retry-After` : ""}`,
    `other answers: ${r.otherAnswers.total} ${JSON.stringify(r.otherAnswers.byStatus)}; ` +
      `network errors: ${r.networkErrors.total}; unanswered (hangs): ${r.timeouts}; ` +
      `refusals outside any fault: ${r.unexplainedRefusals}`,
    `history reads: ${r.reads.total} (${answers(r.reads.byAnswer).replace("accepted", "200")})`,
    `stored ${r.stored.documents} (${r.stored.distinctIds} distinct ids): missing ${r.stored.missing}, ` +
      `extra ${r.stored.extra}, duplicates ${r.stored.duplicates}, stored after a refusal ${r.stored.storedWithout202}; ` +
      `dead letters ${r.dlqRecords}`,
    "",
    table([
      [
        "fault",
        "at",
        "back after",
        "ingest resumed",
        "storage resumed",
        "backlog stored",
        "recovered in",
        "purchases refused",
        "reads refused",
      ],
      ...r.faults.map((f) => [
        f.name + (f.exitCode === undefined ? "" : ` (exit ${f.exitCode})`),
        s(f.injectedAt),
        s(f.restoredAt - f.injectedAt),
        s(f.ingestResumedAt === null ? null : f.ingestResumedAt - f.injectedAt),
        s(f.storageResumedAt === null ? null : f.storageResumedAt - f.injectedAt),
        s(f.caughtUpAt === null ? null : f.caughtUpAt - f.injectedAt),
        s(f.recoverMs),
        answers(f.refusedBy),
        answers(f.readsRefusedBy),
      ]),
    ]),
    "",
    ...r.checks.map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
  ];
  return lines.join("\n");
}
