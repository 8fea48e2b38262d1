// The manifests are well-formed: YAML parses, each object matches the upstream schema of its
// kind (unknown fields included), the @kubernetes-models validators (current CRD models) accept
// them, and kustomize builds every entry point and overlay.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { describe, test } from "node:test";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import {
  type Doc,
  hasKubectl,
  knativeServices,
  kustomizations,
  kustomizeBuild,
  loadObjects,
  ofKind,
  parseFile,
  where,
  yamlFiles,
} from "./manifests.ts";
import { problems } from "./schemas.ts";

describe("deploy manifests: well-formed", () => {
  test("When every YAML file under knative/ and kafka-source/ is read, then each document parses", () => {
    const files = yamlFiles();
    assert.ok(files.length >= 10, `expected the manifests, found ${files.join(", ")}`);
    for (const file of files) assert.ok(parseFile(file).length > 0, `${file} has no document`);
  });

  test("When an object is checked against the schema of its kind, then it has no unknown or mistyped field", () => {
    const docs: Doc[] = [...loadObjects(), ...kustomizations()];
    const failures = docs.flatMap((d) => problems(d.obj).map((p) => `${where(d)}: ${p}`));
    assert.deepEqual(failures, []);
  });

  test("When a field is misspelt or unknown, then the strict schemas report it (they are not vacuous)", () => {
    const [ksvc] = knativeServices(loadObjects());
    assert.ok(ksvc);
    const bad = structuredClone(ksvc.obj);
    bad.spec.template.spec.containers[0].readinessProbe.httpGet.pth = "/readyz";
    bad.spec.template.spec.timeoutSecond = 60;
    bad.metadata.lables = {};
    const found = problems(bad).join("\n");
    for (const key of ["pth", "timeoutSecond", "lables"]) assert.match(found, new RegExp(key));

    const [source] = ofKind(loadObjects(), "sources.knative.dev/v1", "KafkaSource");
    assert.ok(source);
    const badSource = structuredClone(source.obj);
    badSource.spec.delivery.deadLetterSinkRef = badSource.spec.delivery.deadLetterSink;
    badSource.spec.consumerGroupId = "x";
    assert.match(
      problems(badSource).join("\n"),
      /deadLetterSinkRef[\s\S]*consumerGroupId|consumerGroupId[\s\S]*deadLetterSinkRef/,
    );

    const [route] = ofKind(loadObjects(), "gateway.networking.k8s.io/v1", "HTTPRoute");
    assert.ok(route);
    const badRoute = structuredClone(route.obj);
    badRoute.spec.rules[0].backendRef = badRoute.spec.rules[0].backendRefs;
    badRoute.spec.hostname = "localhost";
    assert.match(
      problems(badRoute).join("\n"),
      /backendRef\b[\s\S]*hostname\b|hostname\b[\s\S]*backendRef\b/,
    );

    const [policy] = ofKind(loadObjects(), "gateway.envoyproxy.io/v1alpha1", "SecurityPolicy");
    assert.ok(policy);
    const badPolicy = structuredClone(policy.obj);
    badPolicy.spec.jwt.providers[0].remoteJwks = badPolicy.spec.jwt.providers[0].remoteJWKS;
    delete badPolicy.spec.jwt.providers[0].remoteJWKS;
    badPolicy.spec.cors.allowOrigins.push("localhost:8080");
    const policyProblems = problems(badPolicy).join("\n");
    for (const p of [/remoteJwks/, /CORS origin/]) assert.match(policyProblems, p);
    const noKeys = structuredClone(policy.obj);
    delete noKeys.spec.jwt.providers[0].remoteJWKS;
    assert.match(problems(noKeys).join("\n"), /exactly one of remoteJWKS, localJWKS/);
  });

  test("When each Knative Service is validated with @kubernetes-models/knative, then it is valid", () => {
    const services = knativeServices(loadObjects());
    assert.ok(services.length >= 6, `only ${services.length} Knative Services`);
    for (const d of services) assert.doesNotThrow(() => new Service(d.obj).validate(), where(d));
  });

  test("When KEDA objects are defined, then they validate and none targets a Knative Service's pods", () => {
    // KEDA scales the KafkaSource's consumers through the source's annotations; a ScaledObject on a
    // Knative revision's Deployment would fight Knative's own autoscaler.
    const objects = loadObjects();
    const ksvcNames = new Set(knativeServices(objects).map((d) => d.obj.metadata.name));
    for (const d of ofKind(objects, "keda.sh/v1alpha1", "ScaledObject")) {
      assert.doesNotThrow(
        () => new ScaledObject(d.obj as ConstructorParameters<typeof ScaledObject>[0]).validate(),
        where(d),
      );
      const target = String(d.obj.spec.scaleTargetRef?.name ?? "");
      assert.ok(![...ksvcNames].some((n) => target.startsWith(n)), `${where(d)} targets a Knative Service`);
    }
    for (const d of ofKind(objects, "keda.sh/v1alpha1", "TriggerAuthentication")) {
      assert.doesNotThrow(
        () =>
          new TriggerAuthentication(
            d.obj as ConstructorParameters<typeof TriggerAuthentication>[0],
          ).validate(),
        where(d),
      );
    }
  });
});

describe("deploy manifests: kustomize", {
  skip: !hasKubectl() && "kubectl (with built-in kustomize) not installed",
}, () => {
  const key = (o: Record<string, { name?: string; namespace?: string }> & { kind?: string }) =>
    `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`;

  test("When every kustomization (entry points and overlays) is built, then each renders objects that match their schemas", () => {
    const dirs = kustomizations().map((d) => dirname(d.file));
    for (const dir of [
      "knative",
      "knative/base",
      "kafka-source",
      "knative/overlays/registry",
      "knative/overlays/gateway",
      "knative/overlays/edge-jwt",
      "knative/monitoring",
    ]) {
      assert.ok(dirs.includes(dir), `${dir} has no kustomization.yaml`);
    }
    for (const dir of dirs) {
      const built = kustomizeBuild(dir);
      assert.ok(built.length > 0, `${dir} renders nothing`);
      const failures = built.flatMap((o) => problems(o).map((p) => `${dir}: ${key(o)}: ${p}`));
      assert.deepEqual(failures, []);
    }
  });

  test("When the base is built, then it holds every manifest object except the Secret template, the monitoring and the overlays' own", () => {
    const built = kustomizeBuild("knative").map(key).sort();
    // knative/monitoring needs the Prometheus Operator's CRDs: applied on its own (-k knative/monitoring).
    // An overlay's own objects (the edge SecurityPolicy) are applied only with that overlay.
    const defined = loadObjects()
      .filter(
        (d) =>
          d.obj.kind !== "Secret" &&
          !d.file.startsWith("knative/monitoring/") &&
          !d.file.startsWith("knative/overlays/"),
      )
      .map((d) => key(d.obj))
      .sort();
    assert.deepEqual(built, defined);
  });

  test("When the registry overlay is built, then every function's image comes from the registry", () => {
    const built = kustomizeBuild("knative/overlays/registry");
    const images = built
      .filter((o) => o.kind === "Service" && o.apiVersion === "serving.knative.dev/v1")
      .map((o) => [o.metadata.name, o.spec.template.spec.containers[0].image]);
    assert.ok(images.length > 0);
    for (const [name, image] of images) {
      assert.match(image, new RegExp(`^registry\\.example\\.com/purchases/${name}:`), `${name}: ${image}`);
    }
  });
});
