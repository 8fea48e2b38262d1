// knative/monitoring: the PodMonitor and PrometheusRule validate with the Prometheus Operator's
// models, render with kustomize, select the functions' pods, and the rules read only metrics the
// code exports (or recording rules they define).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ROOT } from "../../harness/root.ts";
import { hasKubectl, knativeServices, kustomizeBuild, loadObjects, ofKind, where } from "./manifests.ts";

const objects = loadObjects();
const [monitor] = ofKind(objects, "monitoring.coreos.com/v1", "PodMonitor");
const [rule] = ofKind(objects, "monitoring.coreos.com/v1", "PrometheusRule");

/** Metric names the code registers (prom-client `name:` fields). */
function exportedMetrics(): Set<string> {
  const files = [
    "functions/shared/metrics.ts",
    "functions/buy/app.ts",
    "functions/purchase-persist/app.ts",
    "functions/purchase-persist/sender.ts",
    "functions/customer-management/lag.ts",
    "kafka-source/dispatcher/metrics.ts",
  ];
  const names = files.flatMap((f) =>
    [...readFileSync(join(ROOT, f), "utf8").matchAll(/name: "([a-z_]+)"/g)].map((m) => m[1] as string),
  );
  return new Set(names);
}

const FUNCTIONS = new Set([
  "sum",
  "max",
  "rate",
  "increase",
  "histogram_quantile",
  "vector",
  "by",
  "on",
  "and",
  "or",
  "unless",
]);

/** The series names an expression reads: label matchers, grouping labels and strings removed. */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/\b(by|on|without|ignoring)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "");
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((t) => !FUNCTIONS.has(t));
}

describe("deploy manifests: monitoring (Prometheus Operator)", () => {
  test("When the PodMonitor and the PrometheusRule are validated with @kubernetes-models/prometheus-operator, then both are valid", () => {
    assert.ok(monitor && rule, "knative/monitoring defines a PodMonitor and a PrometheusRule");
    assert.doesNotThrow(
      () => new PodMonitor(monitor.obj as ConstructorParameters<typeof PodMonitor>[0]).validate(),
      where(monitor),
    );
    assert.doesNotThrow(
      () => new PrometheusRule(rule.obj as ConstructorParameters<typeof PrometheusRule>[0]).validate(),
      where(rule),
    );
  });

  test("When a rule is malformed, then the models report it (they are not vacuous)", () => {
    assert.ok(rule);
    const bad = structuredClone(rule.obj);
    bad.spec.groups[0].rules = "not a list";
    assert.throws(() =>
      new PrometheusRule(bad as ConstructorParameters<typeof PrometheusRule>[0]).validate(),
    );
  });

  test("When the PodMonitor selects pods, then it selects every function's pods in their namespace on user-port", () => {
    assert.ok(monitor);
    const services = knativeServices(objects);
    assert.ok(services.length >= 6);
    for (const s of services) {
      assert.equal(s.obj.metadata.namespace, monitor.obj.metadata.namespace, where(s));
      const podLabels = s.obj.spec.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(monitor.obj.spec.selector.matchLabels as Record<string, string>)) {
        assert.equal(podLabels[k], v, `${where(s)}: pod label ${k}`);
      }
    }
    const [endpoint] = monitor.obj.spec.podMetricsEndpoints;
    assert.deepEqual([endpoint.port, endpoint.path, endpoint.honorLabels], ["user-port", "/metrics", true]);
    const targets = endpoint.relabelings.map((r: { targetLabel: string }) => r.targetLabel).sort();
    assert.deepEqual(targets, ["revision", "service"]);
  });

  test("When the rules read a series, then the code exports that metric or a rule records it", () => {
    assert.ok(rule);
    const exported = exportedMetrics();
    const rules = rule.obj.spec.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
      record?: string;
      expr: string;
    }[];
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const unknown = rules.flatMap((r) =>
      seriesNames(r.expr).filter(
        (name) =>
          !recorded.has(name) &&
          !exported.has(name.replace(/_(bucket|sum|count)$/, "")) &&
          !exported.has(name),
      ),
    );
    assert.deepEqual(unknown, []);
    assert.ok(exported.has("kafka_consumergroup_lag_sum") && exported.has("purchases_rejected_total"));
  });

  test("When knative/monitoring is built with kustomize, then it renders the PodMonitor and the PrometheusRule", {
    skip: !hasKubectl() && "kubectl (with built-in kustomize) not installed",
  }, () => {
    const built = kustomizeBuild("knative/monitoring").map(
      (o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
    );
    assert.deepEqual(built.sort(), ["PodMonitor purchases/purchases", "PrometheusRule purchases/purchases"]);
  });
});
