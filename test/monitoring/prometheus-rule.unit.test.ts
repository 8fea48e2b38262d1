// The alert and recording rules of knative/monitoring/prometheus-rule.yaml under promtool: they
// check, and each alert passes its unit tests (prometheus-rule.test.yaml: firing and not firing).
// The PrometheusRule's spec.groups is the rule file, exactly as the local Prometheus loads it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "yaml";
import { ruleFile } from "../../harness/prometheus.ts";
import { ROOT } from "../../harness/root.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `promtool <args>` in a folder holding the rule file (`rules`) and the unit tests. */
function promtool(args: string[], rules = ruleFile()) {
  const dir = mkdtempSync(join(tmpdir(), "rules-"));
  dirs.push(dir);
  writeFileSync(join(dir, "rules.yaml"), rules);
  copyFileSync(
    join(ROOT, "test/monitoring/prometheus-rule.test.yaml"),
    join(dir, "prometheus-rule.test.yaml"),
  );
  const run = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (run.error)
    throw new Error(`cannot run promtool (scripts/install-system.sh installs it): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const ALERTS = [
  "PurchasesHigh5xxShare",
  "PurchaseEventsDeadLettered",
  "PurchasePipelineStuck",
  "PurchasesConsumerLagHigh",
  "PurchasePersistRefusing",
  "PurchaseSenderRefused",
];

describe("monitoring: alert and recording rules (promtool)", () => {
  test("When promtool checks the PrometheusRule's groups, then they are valid rules", () => {
    const { status, output } = promtool(["check", "rules", "rules.yaml"]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS: 10 rules found/);
  });

  test("When the unit tests run, then each alert fires and stays quiet where it should", () => {
    const { status, output } = promtool(["test", "rules", "prometheus-rule.test.yaml"]);
    assert.equal(status, 0, output);
  });

  test("When the unit tests are read, then every alert has a firing and a not-firing case", () => {
    type Case = { alertname: string; exp_alerts: unknown[] };
    const tests = parse(readFileSync(join(ROOT, "test/monitoring/prometheus-rule.test.yaml"), "utf8"))
      .tests as {
      alert_rule_test: Case[];
    }[];
    const cases = tests.flatMap((t) => t.alert_rule_test);
    const defined = [...ruleFile().matchAll(/alert: (\w+)/g)].map((m) => m[1]);
    assert.deepEqual(defined.sort(), [...ALERTS].sort());
    for (const alert of ALERTS) {
      const mine = cases.filter((c) => c.alertname === alert);
      assert.ok(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} has no firing case`,
      );
      assert.ok(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} has no quiet case`,
      );
    }
  });

  test("When a threshold or a duration is changed, then the unit tests fail (they are not vacuous)", () => {
    for (const [from, to] of [
      ["ratio_rate5m > 0.01", "ratio_rate5m > 0.1"],
      ["for: 5m", "for: 15m"],
      ["(kafka_consumergroup_lag_sum) > 1000", "(kafka_consumergroup_lag_sum) > 100"],
      ['reason!="overloaded"', 'reason!="none"'],
      ["or on () vector(0)", "or on () vector(1)"],
      ['handler="/", status="5xx"', 'handler="/", status="4xx"'],
    ] as const) {
      const rules = ruleFile();
      assert.ok(rules.includes(from), `the rules no longer contain ${from}`);
      const { status } = promtool(["test", "rules", "prometheus-rule.test.yaml"], rules.replace(from, to));
      assert.notEqual(status, 0, `the tests still pass with ${to}`);
    }
  });
});
