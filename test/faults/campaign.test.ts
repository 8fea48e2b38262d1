// The short fault campaign inside npm test: the same faults as `npm run test:faults` (persist
// SIGKILLed twice, the broker restarted, poison records written, the database stopped, buy SIGTERMed
// under load), with
// 1200 purchases and a 3 s database outage, so that it fits in about 90 s. The broker and the database
// it takes down are its own (harness/private-stack.ts), so it runs beside the other stack files.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCampaign } from "../../harness/faults/campaign.ts";
import { defaultSchedule } from "../../harness/faults/faults.ts";
import { formatReport } from "../../harness/faults/report.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { ROOT } from "../../harness/root.ts";

await usePrivateStack("campaign", ["kafka", "mongo"]);

describe("fault campaign (short)", () => {
  test("When 1200 purchases flow while persist, the broker, the database and buy fail, then every 202 is stored exactly once", async (t) => {
    const started = Date.now();
    const report = await runCampaign({
      purchases: 1200,
      concurrency: 24,
      rate: 30,
      dbOutageMs: 3000,
      requestTimeoutMs: 8000,
      kafkaTimeoutMs: 3000,
      maxAttempts: 12,
      recoverTimeoutMs: 60_000,
      // Every component's output, for a look at a failed run (the broker's: .local/logs/private/).
      logDir: `${ROOT}/test-results/faults/campaign`,
    });
    t.diagnostic(`campaign took ${((Date.now() - started) / 1000).toFixed(1)}s`);
    for (const line of formatReport(report).split("\n")) t.diagnostic(line);
    for (const check of report.checks) {
      await t.test(check.name, () => assert.ok(check.ok, check.detail));
    }
    assert.equal(report.faults.length, defaultSchedule().length, "every fault was injected");
    assert.ok(report.accepted > 0);
  });
});
