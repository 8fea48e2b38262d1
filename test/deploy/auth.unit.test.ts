// Authentication in the manifests (issue 25): every Service reads the auth ConfigMap and none can
// turn AUTH_MODE off, the KafkaSource's sender identity matches what purchase-persist checks, and
// the optional edge overlay covers exactly the protected routes without adding identity headers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUTH_CONFIG_MAP, authProblems, oidcServiceAccountName } from "./auth-checks.ts";
import {
  find,
  hasKubectl,
  knativeServices,
  kustomizations,
  kustomizeBuild,
  loadObjects,
  type Obj,
  ofKind,
} from "./manifests.ts";
import { resolve, routingTable } from "./routes.ts";

const objects = loadObjects().map((d) => d.obj);
const base = loadObjects()
  .filter((d) => !d.file.startsWith("knative/overlays/"))
  .map((d) => d.obj);
const copy = () => structuredClone(base);
const serviceIn = (objs: Obj[], name: string) => {
  const s = objs.find((o) => o.kind === "Service" && o.metadata.name === name);
  assert.ok(s, `no Knative Service ${name}`);
  return s;
};
const containerIn = (objs: Obj[], name: string) => serviceIn(objs, name).spec.template.spec.containers[0];
const authMapIn = (objs: Obj[]) => {
  const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === AUTH_CONFIG_MAP);
  assert.ok(cm, `no ConfigMap ${AUTH_CONFIG_MAP}`);
  return cm;
};
const sourceIn = (objs: Obj[]) => {
  const s = objs.find((o) => o.kind === "KafkaSource");
  assert.ok(s);
  return s;
};
const refused = (objs: Obj[], pattern: RegExp) => {
  const found = authProblems(objs);
  assert.ok(
    found.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n${found.join("\n")}`,
  );
};

describe("deploy manifests: authentication", () => {
  test("When the manifests are checked, then every Service reads the auth ConfigMap and keeps AUTH_MODE on", () => {
    assert.deepEqual(authProblems(objects), []);
    assert.equal(knativeServices(loadObjects()).length, 6);
  });

  test("When a Service sets AUTH_MODE=off itself, then it is refused", () => {
    const objs = copy();
    containerIn(objs, "items").env = [{ name: "AUTH_MODE", value: "off" }];
    refused(objs, /Service items sets AUTH_MODE=off through its own env/);
  });

  test("When the auth ConfigMap sets AUTH_MODE=off, then every Service that reads it is refused", () => {
    const objs = copy();
    authMapIn(objs).data.AUTH_MODE = "off";
    for (const name of ["buy", "user-purchases", "customer-management", "web"]) {
      refused(objs, new RegExp(`Service ${name} sets AUTH_MODE=off through ConfigMap ${AUTH_CONFIG_MAP}`));
    }
  });

  test("When AUTH_MODE=off comes from another ConfigMap or a key reference, then it is refused", () => {
    const objs = copy();
    objs.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "demo", namespace: "purchases" },
      data: { AUTH_MODE: "off" },
    });
    containerIn(objs, "buy").envFrom.push({ configMapRef: { name: "demo" } });
    containerIn(objs, "user-purchases").env = [
      { name: "AUTH_MODE", valueFrom: { configMapKeyRef: { name: "demo", key: "AUTH_MODE" } } },
    ];
    refused(objs, /Service buy sets AUTH_MODE=off through ConfigMap demo/);
    refused(objs, /Service user-purchases sets AUTH_MODE=off through ConfigMap demo key AUTH_MODE/);
  });

  test("When a Service reads an environment the manifests do not show, then it is refused (AUTH_MODE could hide there)", () => {
    const objs = copy();
    containerIn(objs, "buy").envFrom.push({ secretRef: { name: "extra" } });
    containerIn(objs, "items").envFrom.push({ configMapRef: { name: "elsewhere" } });
    refused(objs, /Service buy reads Secret extra/);
    refused(objs, /Service items reads ConfigMap elsewhere \(not defined here\)/);
  });

  test("When a Service does not read the auth ConfigMap or overrides one of its variables, then it is refused", () => {
    const objs = copy();
    const web = containerIn(objs, "web");
    web.envFrom = web.envFrom.filter((f: Obj) => f.configMapRef?.name !== AUTH_CONFIG_MAP);
    containerIn(objs, "buy").env = [{ name: "AUTH_ISSUER", value: "https://elsewhere.example/realms/x" }];
    refused(objs, /Service web does not read ConfigMap purchases-auth/);
    refused(objs, /Service buy sets AUTH_ISSUER itself/);
  });

  test("When the auth ConfigMap leaves the issuer or audience to the code's defaults (the local stack's), then it is refused", () => {
    const objs = copy();
    delete authMapIn(objs).data.AUTH_ISSUER;
    delete authMapIn(objs).data.AUTH_AUDIENCE;
    refused(objs, /does not set AUTH_ISSUER/);
    refused(objs, /does not set AUTH_AUDIENCE/);
  });
});

describe("deploy manifests: sender identity (KafkaSource -> purchase-persist)", () => {
  const source = find(loadObjects(), "sources.knative.dev/v1", "KafkaSource", "purchases-source");
  const persistEnv = (name: string) =>
    containerIn(base, "purchase-persist").env.find((e: Obj) => e.name === name)?.value;

  test("When the KafkaSource delivers, then it asks for a token with the audience purchase-persist checks", () => {
    assert.equal(source?.spec.sink.audience, "purchase-persist");
    assert.equal(persistEnv("SENDER_AUDIENCE"), source?.spec.sink.audience);
  });

  test("When Knative names the source's OIDC service account, then it is <name>-oidc-<group>-<kind> and persist allows it", () => {
    assert.ok(source);
    assert.equal(oidcServiceAccountName(source), "purchases-source-oidc-sources.knative.dev-kafkasource");
    assert.equal(
      persistEnv("SENDER_SUBJECTS"),
      "system:serviceaccount:purchases:purchases-source-oidc-sources.knative.dev-kafkasource",
    );
  });

  test("When sender identity ships, then it is off (the Eventing feature is alpha) with the cluster's issuer named", () => {
    assert.equal(persistEnv("SENDER_AUTH"), "off");
    assert.match(persistEnv("SENDER_ISSUER") ?? "", /^https:\/\//);
  });

  test("When the sink audience and SENDER_AUDIENCE differ, or the audience is missing, then it is refused", () => {
    const objs = copy();
    sourceIn(objs).spec.sink.audience = "someone-else";
    refused(objs, /spec\.sink\.audience someone-else is not the sink's SENDER_AUDIENCE purchase-persist/);
    delete sourceIn(objs).spec.sink.audience;
    refused(objs, /spec\.sink\.audience is not set/);
  });

  test("When SENDER_SUBJECTS does not name the source's service account, then it is refused", () => {
    const objs = copy();
    const subjects = containerIn(objs, "purchase-persist").env.find((e: Obj) => e.name === "SENDER_SUBJECTS");
    subjects.value = "system:serviceaccount:purchases:purchases-source";
    refused(objs, /does not allow the source's system:serviceaccount:purchases:purchases-source-oidc-/);
  });
});

describe("deploy manifests: tokens at the edge (optional overlay)", () => {
  const policies = ofKind(loadObjects(), "gateway.envoyproxy.io/v1alpha1", "SecurityPolicy");
  const config = find(loadObjects(), "v1", "ConfigMap", "purchases-config");

  test("When the edge policy is defined, then it lives in an overlay, never in the base", () => {
    assert.equal(policies.length, 1);
    for (const d of policies) assert.match(d.file, /^knative\/overlays\/edge-jwt\//);
    const dirs = kustomizations().map((d) => d.file);
    assert.ok(dirs.includes("knative/overlays/edge-jwt/kustomization.yaml"));
  });

  test("When the edge policy copies a claim into a header or checks another issuer, then it is refused", () => {
    const objs = [...copy(), ...policies.map((d) => structuredClone(d.obj))];
    const [policy] = objs.filter((o) => o.kind === "SecurityPolicy");
    assert.ok(policy);
    policy.spec.jwt.providers[0].claimToHeaders = [{ header: "x-user-id", claim: "sub" }];
    policy.spec.jwt.providers[0].issuer = "https://elsewhere.example";
    policy.spec.targetRefs.push({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "nope" });
    refused(objs, /copies claims into headers/);
    refused(objs, /issuer https:\/\/elsewhere\.example is not AUTH_ISSUER/);
    refused(objs, /targets no HTTPRoute nope/);
  });

  test("When a browser on another origin sends a preflight, then the policy's CORS answers it as the functions would, Authorization allowed", () => {
    const [d] = policies;
    assert.ok(d && config);
    const cors = d.obj.spec.cors;
    assert.deepEqual(cors.allowOrigins, String(config.data.CORS_ORIGINS).split(","));
    for (const h of ["Authorization", "Content-Type", "Idempotency-Key"])
      assert.ok(cors.allowHeaders.includes(h), h);
  });

  describe("rendered", { skip: !hasKubectl() && "kubectl (with built-in kustomize) not installed" }, () => {
    test("When an entry point or overlay is rendered, then what it would apply keeps the authentication rules", () => {
      for (const dir of kustomizations().map((d) => d.file.replace(/\/kustomization\.yaml$/, ""))) {
        if (dir === "knative/monitoring" || dir === "kafka-source") continue;
        assert.deepEqual(authProblems(kustomizeBuild(dir)), [], dir);
      }
      assert.deepEqual(
        kustomizeBuild("knative").filter((o) => o.kind === "SecurityPolicy"),
        [],
        "not applied by default",
      );
    });

    test("When the edge overlay is rendered, then the policy covers every protected path and no public one, and routing is unchanged", () => {
      const built = kustomizeBuild("knative/overlays/edge-jwt");
      const routes = built.filter((o) => o.kind === "HTTPRoute");
      const targeted = new Set(
        built
          .filter((o) => o.kind === "SecurityPolicy" && o.spec.jwt)
          .flatMap((o) =>
            o.spec.targetRefs.filter((t: Obj) => t.kind === "HTTPRoute").map((t: Obj) => t.name),
          ),
      );
      const table = routingTable(routes);
      const key = (r: { host: string; type: string; path: string; backend: { name: string } }) =>
        `${r.host} ${r.type} ${r.path} -> ${r.backend.name}`;
      const baseTable = routingTable(base.filter((o) => o.kind === "HTTPRoute"));
      assert.deepEqual(table.map(key).sort(), baseTable.map(key).sort());
      // The contract of issue 25: what needs a token, and what stays public.
      const PROTECTED = ["/buy", "/getAllUserBuys/u-1", "/getAllUserBuys/me", "/getAllUserBuys"];
      const PUBLIC = ["/", "/health", "/items", "/openapi.json", "/docs", "/index.html", "/js/main.js"];
      for (const host of ["localhost", "api.localhost"]) {
        for (const path of PROTECTED) {
          const r = resolve(table, host, path);
          assert.ok(r && targeted.has(r.route.metadata.name), `${host}${path} is not checked at the edge`);
        }
        for (const path of PUBLIC) {
          const r = resolve(table, host, path);
          if (r)
            assert.ok(!targeted.has(r.route.metadata.name), `${host}${path} is public but needs a token`);
        }
      }
    });
  });
});
