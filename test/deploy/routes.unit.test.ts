// The public routes: Gateway API HTTPRoutes give today's routing (the page on localhost, the API
// by path on both hosts), nothing internal is reachable, each route reaches its Knative Service
// through the networking layer, and the local gateway serves the same API routes.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { PUBLIC_ROUTES } from "../../harness/gateway.ts";
import { ROOT } from "../../harness/root.ts";
import {
  hasKubectl,
  knativeServices,
  kustomizeBuild,
  loadObjects,
  NAMESPACE,
  type Obj,
  ofKind,
  where,
} from "./manifests.ts";
import { resolve, routingTable } from "./routes.ts";

const objects = loadObjects();
const routeDocs = ofKind(objects, "gateway.networking.k8s.io/v1", "HTTPRoute");
const table = routingTable(routeDocs.map((d) => d.obj));
const to = (host: string, path: string) => resolve(table, host, path)?.backend.name;
const services = knativeServices(objects).map((d) => d.obj);
const INTERNAL = ["customer-management", "purchase-persist"];
/** The local gateway's names for the functions behind it. */
const LOCAL_NAMES: Record<string, string> = { buy: "buy", items: "items", userPurchases: "user-purchases" };

describe("deploy manifests: HTTPRoutes", () => {
  test("When no Ingress is left, then the HTTPRoutes validate with @kubernetes-models/gateway-api", () => {
    assert.deepEqual(ofKind(objects, "networking.k8s.io/v1", "Ingress"), [], "the default is Gateway API");
    assert.ok(routeDocs.length > 0);
    for (const d of routeDocs) {
      const model = new HTTPRoute(d.obj as ConstructorParameters<typeof HTTPRoute>[0]);
      assert.doesNotThrow(() => model.validate(), where(d));
    }
  });

  test("When a request reaches the Gateway, then localhost serves the page and both hosts route the API by path", () => {
    const expected: [string, string, string | undefined][] = [
      ["localhost", "/", "web"],
      ["localhost", "/js/main.js", "web"],
      ["localhost", "/buy", "buy"],
      ["localhost", "/health", "buy"],
      ["localhost", "/items", "items"],
      ["localhost", "/getAllUserBuys/u-1", "user-purchases"],
      ["api.localhost", "/", "buy"],
      ["api.localhost", "/buy", "buy"],
      ["api.localhost", "/health", "buy"],
      ["api.localhost", "/items", "items"],
      ["api.localhost", "/getAllUserBuys/u-1", "user-purchases"],
      ["api.localhost", "/getAllUserBuys", "user-purchases"],
      ["api.localhost", "/getAllUserBuysX", undefined],
      ["api.localhost", "/openapi.json", "buy"],
      ["api.localhost", "/docs", "buy"],
      ["api.localhost", "/js/main.js", undefined],
      ["other.example", "/buy", undefined],
    ];
    for (const [host, path, name] of expected) assert.equal(to(host, path), name, `${host}${path}`);
  });

  test("When a request asks for /metrics, probes or the management API, then no route reaches it", () => {
    for (const host of ["localhost", "api.localhost"]) {
      for (const path of ["/metrics", "/livez", "/readyz", "/purchases/u-1", "/api/purchases", "/docs/x"]) {
        assert.equal(to(host, path), undefined, `${host}${path}`);
      }
    }
    for (const r of table)
      assert.ok(!INTERNAL.includes(r.backend.name), `${r.host}${r.path} -> ${r.backend.name}`);
  });

  test("When the page's files are requested on localhost, then each one in web/ reaches the web function", () => {
    for (const entry of readdirSync(join(ROOT, "web"), { withFileTypes: true })) {
      if (entry.name.includes(".test.")) continue;
      const path = entry.isDirectory() ? `/${entry.name}/x.js` : `/${entry.name}`;
      assert.equal(to("localhost", path), "web", `web/${entry.name} is not routed`);
    }
  });

  test("When a route forwards, then it targets the Knative Service's own Service on port 80 with the Host set to its cluster-local name", () => {
    for (const r of table) {
      const name = r.backend.name;
      assert.ok(
        services.some((s) => s.metadata.name === name),
        `${name} is not a Knative Service`,
      );
      assert.equal(r.backend.port, 80, `${r.host}${r.path}`);
      assert.equal(r.rewriteHost, `${name}.${NAMESPACE}.svc.cluster.local`, `${r.host}${r.path}`);
      assert.equal(r.route.metadata.namespace, NAMESPACE, "same namespace: no ReferenceGrant needed");
    }
  });

  test("When the routes attach to a Gateway, then all name the same one, which the gateway overlay replaces", {
    skip: !hasKubectl() && "kubectl (with built-in kustomize) not installed",
  }, () => {
    const parents = (objs: Obj[]) =>
      new Set(
        objs
          .filter((o) => o.kind === "HTTPRoute")
          .flatMap((o) =>
            o.spec.parentRefs.map((p: Record<string, string>) => `${p.kind} ${p.namespace}/${p.name}`),
          ),
      );
    assert.deepEqual([...parents(routeDocs.map((d) => d.obj))], ["Gateway istio-system/knative-gateway"]);
    assert.deepEqual([...parents(kustomizeBuild("knative/overlays/gateway"))], ["Gateway default/eg"]);
  });
});

describe("local gateway (harness/gateway.ts)", () => {
  test("When its route table is compared with the HTTPRoutes for api.localhost, then they are the same", () => {
    const key = (type: string, path: string, name: string) => `${type} ${path} -> ${name}`;
    const cluster = table
      .filter((r) => r.host === "api.localhost")
      .map((r) => key(r.type, r.path, r.backend.name));
    const local = PUBLIC_ROUTES.map((r) => key(r.type, r.path, LOCAL_NAMES[r.to] ?? `? ${r.to}`));
    assert.deepEqual(local.sort(), cluster.sort());
  });
});
