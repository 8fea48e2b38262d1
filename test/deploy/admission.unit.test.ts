// Knative's own admission checks, offline (scripts/admission): every Knative Service of every
// kustomize entry point passes knative.dev/serving v0.50.0's SetDefaults then Validate, as the
// webhook runs them, and the KafkaSource the rules eventing-kafka-broker's webhooks apply. Broken
// copies are refused with upstream's own message.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { admit, checkerPath, refusal } from "./admission.ts";
import {
  find,
  hasKubectl,
  knativeServices,
  kustomizations,
  kustomizeBuild,
  loadObjects,
  type Obj,
} from "./manifests.ts";

const objects = loadObjects();
const service = (name: string) => {
  const s = knativeServices(objects).find((d) => d.obj.metadata.name === name)?.obj;
  assert.ok(s, name);
  return structuredClone(s);
};
const source = () => {
  const s = find(objects, "sources.knative.dev/v1", "KafkaSource", "purchases-source");
  assert.ok(s);
  return structuredClone(s);
};
const revisionAnnotations = (s: Obj) => s.spec.template.metadata.annotations as Record<string, string>;
const container = (s: Obj) => s.spec.template.spec.containers[0] as Obj;

before(() => {
  checkerPath(); // a cold cache builds it here, once, with a progress line
});

describe("Knative admission (scripts/admission)", () => {
  test("When every kustomize entry point is rendered, then its Knative Services and KafkaSource are admitted", {
    skip: !hasKubectl() && "kubectl (with built-in kustomize) not installed",
  }, () => {
    const dirs = kustomizations().map((d) => d.file.replace(/\/kustomization\.yaml$/, ""));
    // knative/monitoring holds only the Prometheus Operator's objects (test/deploy/monitoring.unit.test.ts).
    for (const dir of dirs.filter((d) => d !== "knative/monitoring")) {
      const verdicts = admit(kustomizeBuild(dir));
      const refused = verdicts.filter((v) => v.verdict === "refused");
      assert.deepEqual(refused, [], dir);
      const admitted = verdicts.filter((v) => v.verdict === "admitted").map((v) => v.kind);
      if (dir.startsWith("knative")) assert.equal(admitted.filter((k) => k === "Service").length, 6, dir);
      assert.equal(admitted.filter((k) => k === "KafkaSource").length, 1, dir);
    }
  });

  test("When a Service's min-scale is above its max-scale, then it is refused with the webhook's message", () => {
    const s = service("buy");
    revisionAnnotations(s)["autoscaling.knative.dev/min-scale"] = "9";
    assert.match(refusal(s), /max-scale=5 is less than min-scale=9: .*autoscaling\.knative\.dev\/max-scale/);
  });

  test("When a Service's target is 0, then it is refused with the webhook's message", () => {
    const s = service("items");
    revisionAnnotations(s)["autoscaling.knative.dev/target"] = "0";
    assert.match(refusal(s), /target 0 should be at least 0\.01: .*autoscaling\.knative\.dev\/target/);
  });

  test("When a Service names an unknown Knative autoscaling class, then it is refused with the webhook's message", () => {
    const s = service("web");
    revisionAnnotations(s)["autoscaling.knative.dev/class"] = "fast.autoscaling.knative.dev";
    assert.match(
      refusal(s),
      /invalid value: fast\.autoscaling\.knative\.dev: spec\.template\.metadata\.annotations\.autoscaling\.knative\.dev\/class/,
    );
  });

  test("When a Service's container port is one Knative reserves, then it is refused with the webhook's message", () => {
    // The function listens on $PORT, which Knative sets from containerPort; 8012 is queue-proxy's.
    const s = service("user-purchases");
    container(s).ports[0].containerPort = 8012;
    assert.match(
      refusal(s),
      /8012 is a reserved port: spec\.template\.spec\.containers\[0\]\.ports\.containerPort/,
    );
    const named = service("user-purchases");
    container(named).ports[0].name = "http";
    assert.match(refusal(named), /Port name http is not allowed/);
  });

  test("When a Service's container has no image, then it is refused with the webhook's message", () => {
    const s = service("customer-management");
    delete container(s).image;
    assert.match(refusal(s), /missing field\(s\): spec\.template\.spec\.containers\[0\]\.image/);
  });

  test("When a Service's timeout exceeds the cluster's maximum or a field is unknown, then it is refused", () => {
    const s = service("purchase-persist");
    s.spec.template.spec.timeoutSeconds = 6000;
    assert.match(refusal(s), /expected 0 <= 6000 <= 600: spec\.template\.spec\.timeoutSeconds/);
    const typo = service("buy");
    container(typo).readinessProbe.perodSeconds = 5;
    assert.match(refusal(typo), /unknown field "perodSeconds"/);
  });

  test("When the KafkaSource's ordering or initialOffset is not one upstream knows, then it is refused", () => {
    const s = source();
    s.spec.ordering = "sideways";
    s.spec.initialOffset = "newest";
    const message = refusal(s);
    assert.match(message, /invalid value: sideways: spec\.ordering/);
    assert.match(message, /invalid value: newest: spec\.initialOffset/);
  });

  test("When the KafkaSource's delivery durations are not ISO-8601 or the timeout is zero, then it is refused", () => {
    const s = source();
    s.spec.delivery.backoffDelay = "200ms";
    s.spec.delivery.timeout = "PT0S";
    const message = refusal(s);
    assert.match(message, /invalid value: 200ms: spec\.delivery\.backoffDelay/);
    assert.match(message, /invalid value: PT0S: spec\.delivery\.timeout/);
    const retryAfter = source();
    retryAfter.spec.delivery.retryAfterMax = "PT1S";
    assert.match(refusal(retryAfter), /must not set the field\(s\): spec\.delivery\.retryAfterMax/);
  });

  test("When the KafkaSource asks for 0 consumers or a field is unknown, then it is refused", () => {
    const s = source();
    s.spec.consumers = 0;
    assert.match(refusal(s), /expected 1 <= 0 <= 2147483647: spec\.consumers/);
    const typo = source();
    typo.spec.consumerGroupId = "x";
    assert.match(refusal(typo), /unknown field "consumerGroupId"/);
  });

  test("When the KafkaSource's KEDA annotations are not integers or min-scale is above max-scale, then it is refused", () => {
    const s = source();
    s.metadata.annotations["autoscaling.eventing.knative.dev/lag-threshold"] = "fifty";
    s.metadata.annotations["autoscaling.eventing.knative.dev/min-scale"] = "6";
    const message = refusal(s);
    assert.match(
      message,
      /Expected value for annotation: autoscaling\.eventing\.knative\.dev\/lag-threshold should be integer but got fifty/,
    );
    assert.match(message, /MinReplicaCount=6 must be less than MaxReplicaCount=5/);
    const other = source();
    other.metadata.annotations["autoscaling.eventing.knative.dev/class"] = "hpa.autoscaling.knative.dev";
    assert.match(refusal(other), /invalid value: hpa\.autoscaling\.knative\.dev/);
  });

  test("When the KafkaSource is written as v1beta1, then it is checked by the same rules", () => {
    const s = source();
    s.apiVersion = "sources.knative.dev/v1beta1";
    assert.deepEqual(
      admit([s]).map((v) => v.verdict),
      ["admitted"],
    );
    s.spec.ordering = "sideways";
    assert.match(refusal(s), /invalid value: sideways: spec\.ordering/);
  });
});
