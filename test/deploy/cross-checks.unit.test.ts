// The manifests agree with the code and with each other: one Knative Service per function, only
// variables the function's config parser reads, the KafkaSource's references resolve, and ports,
// probes, security and autoscaling are what docs/deploy.md describes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseEnv } from "../../functions/shared/config.ts";
import { systemConfig, variablesOf } from "../../harness/config.ts";
import { listFunctions } from "../../harness/root.ts";
import { functionConfigs } from "../docs/parsers.ts";
import { AUTH_CONFIG_MAP } from "./auth-checks.ts";
import { find, knativeServices, loadObjects, NAMESPACE, type Obj, ofKind, parseFile } from "./manifests.ts";
import { KAFKA_SOURCE_AUTOSCALING, KNATIVE_AUTOSCALING_KEYS } from "./schemas.ts";

const objects = loadObjects();
const services = knativeServices(objects).map((d) => d.obj);
const service = (name: string) => {
  const s = services.find((o) => o.metadata.name === name);
  assert.ok(s, `no Knative Service ${name}`);
  return s;
};
const container = (s: Obj) => s.spec.template.spec.containers[0] as Obj;
const annotations = (s: Obj) => (s.spec.template.metadata?.annotations ?? {}) as Record<string, string>;
const configMap = find(objects, "v1", "ConfigMap", "purchases-config");
/** The ConfigMaps the functions read (envFrom): the shared settings and the token issuer's. */
const configMaps = new Map(
  ["purchases-config", AUTH_CONFIG_MAP].map((name) => [name, find(objects, "v1", "ConfigMap", name)]),
);
const secretTemplate = parseFile("knative/mongodb-secret.template.yaml")[0]?.obj;
const source = find(objects, "sources.knative.dev/v1", "KafkaSource", "purchases-source");

const CUSTOMER_FACING = ["buy", "items", "user-purchases", "web"];
const INTERNAL = ["customer-management", "purchase-persist"];
const configs = await functionConfigs();
const configOf = (name: string) => {
  const schema = configs.get(name);
  assert.ok(schema, `functions/${name}/config.ts has no configSchema`);
  return schema;
};
const RESERVED = ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"];
/** queue-proxy's drain before the app gets SIGTERM (knative/serving pkg/queue/sharedmain). */
const QUEUE_PROXY_DRAIN_MS = 30_000;

describe("deploy manifests: functions and services", () => {
  test("When a function folder has a server.ts, then it has exactly one Knative Service and a bundle entry", async () => {
    const names = listFunctions();
    const serviceNames = services.map((s) => s.metadata.name).sort();
    assert.deepEqual(serviceNames, [...new Set(serviceNames)], "duplicate Knative Service names");
    assert.deepEqual(serviceNames, names, "Knative Services and functions/*/server.ts differ");
    for (const name of [...CUSTOMER_FACING, ...INTERNAL]) assert.ok(names.includes(name), `missing ${name}`);
  });

  test("When a Knative Service runs a function, then it is in the purchases namespace with image purchases/<name>", () => {
    for (const s of services) {
      const c = container(s);
      assert.equal(s.metadata.namespace, NAMESPACE);
      assert.equal(s.spec.template.spec.containers.length, 1, s.metadata.name);
      assert.equal(c.image, `purchases/${s.metadata.name}`);
    }
  });

  test("When Knative routes to a function, then it serves on container port 8080 with /readyz and /livez probes", () => {
    for (const s of services) {
      const c = container(s);
      const name = s.metadata.name;
      assert.deepEqual(
        c.ports.map((p: Obj) => p.containerPort),
        [8080],
        name,
      );
      assert.equal(c.readinessProbe?.httpGet?.path, "/readyz", `${name} readiness`);
      assert.equal(c.livenessProbe?.httpGet?.path, "/livez", `${name} liveness`);
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        assert.ok(
          [undefined, 8080].includes(probe.httpGet.port),
          `${name}: probe port must be the container port`,
        );
      }
    }
  });

  test("When a function runs, then it is non-root, read-only, unprivileged, seccomp-confined and resource-bounded", () => {
    for (const s of services) {
      const c = container(s);
      const name = s.metadata.name;
      assert.deepEqual(
        c.securityContext,
        {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
        name,
      );
      for (const r of ["cpu", "memory"]) {
        const request = quantity(c.resources?.requests?.[r]);
        const limit = quantity(c.resources?.limits?.[r]);
        assert.ok(request > 0 && limit >= request, `${name}: ${r} request ${request} / limit ${limit}`);
      }
    }
  });

  test("When a revision stops, then its grace period covers queue-proxy's drain plus the app's shutdown", () => {
    // Knative sets terminationGracePeriodSeconds to the revision's timeoutSeconds; the app gets
    // SIGTERM only after queue-proxy has drained, then needs up to SHUTDOWN_TIMEOUT_MS.
    const shutdownMs = systemConfig({ ...configMap?.data }).SHUTDOWN_TIMEOUT_MS;
    for (const s of services) {
      const timeout = s.spec.template.spec.timeoutSeconds;
      assert.ok(typeof timeout === "number", `${s.metadata.name}: timeoutSeconds is not set`);
      assert.ok(timeout * 1000 >= QUEUE_PROXY_DRAIN_MS + shutdownMs, `${s.metadata.name}: ${timeout}s`);
    }
  });
});

describe("deploy manifests: environment", () => {
  test("When a manifest sets an environment variable, then a function it reaches reads it and none is Knative-reserved", () => {
    assert.ok(configMap && secretTemplate, "purchases-config and the mongodb-secret template exist");
    // The ConfigMaps are shared (envFrom): each key must be read by some function that gets it.
    const readers = new Map<string, Set<string>>(); // "<ConfigMap> <key>" -> functions
    const allReads = new Set<string>();
    for (const s of services) {
      const name = s.metadata.name;
      const reads = variablesOf(configOf(name));
      for (const key of reads) allReads.add(key);
      for (const from of container(s).envFrom ?? []) {
        for (const key of reads) {
          const k = `${from.configMapRef?.name} ${key}`;
          readers.set(k, new Set([...(readers.get(k) ?? []), name]));
        }
      }
      // A variable set on one Service is for that function alone.
      for (const e of container(s).env ?? []) {
        assert.ok(
          reads.includes(e.name),
          `Service ${name} sets ${e.name}, which functions/${name}/config.ts does not read`,
        );
        assert.ok(!RESERVED.includes(e.name), `Service ${name} sets ${e.name}, which Knative sets`);
      }
    }
    for (const [cmName, cm] of configMaps) {
      assert.ok(cm, `ConfigMap ${cmName} is defined`);
      for (const key of Object.keys(cm.data)) {
        assert.ok(
          readers.has(`${cmName} ${key}`),
          `ConfigMap ${cmName} sets ${key}, which no function that gets it reads`,
        );
        assert.ok(!RESERVED.includes(key), `ConfigMap ${cmName} sets ${key}, which Knative sets`);
      }
    }
    for (const key of Object.keys(secretTemplate.stringData ?? {})) {
      assert.ok(allReads.has(key), `Secret mongodb-secret holds ${key}, which no function reads`);
    }
  });

  test("When a function reads a ConfigMap or Secret, then it is one defined here and has that key", () => {
    for (const s of services) {
      const c = container(s);
      for (const from of c.envFrom ?? []) {
        assert.ok(
          configMaps.get(from.configMapRef?.name),
          `${s.metadata.name} envFrom ${from.configMapRef?.name}`,
        );
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        assert.equal(ref.name, secretTemplate?.metadata.name, `${s.metadata.name} ${e.name}`);
        assert.ok(ref.key in (secretTemplate?.stringData ?? {}), `${s.metadata.name}: no key ${ref.key}`);
      }
    }
  });

  test("When the environment is assembled as Knative would, then each function's config loads", () => {
    for (const s of services) {
      const env: Record<string, string> = { PORT: "8080", K_SERVICE: s.metadata.name };
      for (const from of container(s).envFrom ?? []) {
        if (from.configMapRef) Object.assign(env, configMaps.get(from.configMapRef.name)?.data);
      }
      for (const e of container(s).env ?? []) {
        env[e.name] = e.value ?? secretTemplate?.stringData?.[e.valueFrom?.secretKeyRef?.key];
      }
      assert.doesNotThrow(() => parseEnv(configOf(s.metadata.name), env), s.metadata.name);
    }
  });

  test("When a function reads MONGODB_URI, then it and only it gets it from the Secret", () => {
    for (const s of services) {
      const usesMongo = variablesOf(configOf(s.metadata.name)).includes("MONGODB_URI");
      const uri = (container(s).env ?? []).find((e: Obj) => e.name === "MONGODB_URI");
      assert.equal(Boolean(uri?.valueFrom?.secretKeyRef), usesMongo, s.metadata.name);
    }
    assert.ok(!("MONGODB_URI" in (configMap?.data ?? {})), "the URI holds credentials: Secret only");
  });

  test("When user-purchases calls the management API, then it uses the customer-management Service's cluster-local URL", () => {
    const url = container(service("user-purchases")).env.find(
      (e: Obj) => e.name === "CUSTOMER_MANAGEMENT_API_URL",
    );
    assert.equal(url?.value, `http://customer-management.${NAMESPACE}.svc.cluster.local`);
  });
});

describe("deploy manifests: Kafka", () => {
  const data = configMap?.data ?? {};

  test("When the KafkaSource delivers, then its sink and dead-letter sink resolve to resources defined here", () => {
    assert.ok(source);
    const namespace = source.metadata.namespace;
    for (const dest of [source.spec.sink, source.spec.delivery?.deadLetterSink]) {
      assert.ok(dest?.ref, "a ref, not a bare URI");
      const { apiVersion, kind, name } = dest.ref;
      const target = find(objects, apiVersion, kind, name);
      assert.ok(target, `${apiVersion} ${kind} ${name} is not defined`);
      assert.equal(target.metadata.namespace, dest.ref.namespace ?? namespace);
    }
    assert.equal(source.spec.sink.ref.name, "purchase-persist");
    assert.equal(source.spec.delivery.deadLetterSink.ref.kind, "KafkaSink");
  });

  test("When the functions and the KafkaSource meet in Kafka, then they name the same brokers, topic and group", () => {
    assert.ok(source);
    const sink = find(objects, "eventing.knative.dev/v1alpha1", "KafkaSink", "purchases-dlq");
    assert.ok(sink);
    assert.deepEqual(source.spec.bootstrapServers, data.KAFKA_BOOTSTRAP_SERVERS?.split(","));
    assert.deepEqual(sink.spec.bootstrapServers, source.spec.bootstrapServers);
    assert.deepEqual(source.spec.topics, [data.KAFKA_TOPIC]);
    assert.equal(
      source.spec.consumerGroup,
      data.KAFKA_GROUP_ID,
      "the management API reports this group's lag",
    );
    assert.equal(
      sink.spec.topic,
      systemConfig({}).KAFKA_DLQ_TOPIC,
      "the local tools' default dead-letter topic",
    );
    assert.equal(sink.spec.contentMode, "binary");
  });

  test("When Strimzi manages the topics, then both exist in the Kafka cluster the bootstrap address names", () => {
    const [host] = String(data.KAFKA_BOOTSTRAP_SERVERS).split(",");
    const m = host?.match(/^([a-z0-9-]+)-kafka-bootstrap\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?:\d+$/);
    assert.ok(m, `${host} is not a Strimzi bootstrap Service address`);
    const [, cluster, namespace] = m;
    const topics = ofKind(objects, "kafka.strimzi.io/v1", "KafkaTopic").map((d) => d.obj);
    const dlq = find(objects, "eventing.knative.dev/v1alpha1", "KafkaSink", "purchases-dlq")?.spec.topic;
    for (const name of [data.KAFKA_TOPIC, dlq]) {
      const t = topics.find((o) => (o.spec.topicName ?? o.metadata.name) === name);
      assert.ok(t, `no KafkaTopic for ${name}`);
      assert.equal(t.metadata.namespace, namespace, `${name}: the Topic Operator watches ${namespace}`);
      assert.equal(t.metadata.labels["strimzi.io/cluster"], cluster);
    }
    const purchases = topics.find((o) => (o.spec.topicName ?? o.metadata.name) === data.KAFKA_TOPIC);
    assert.equal(purchases?.spec.partitions, 3);
  });

  test("When KEDA scales the KafkaSource, then its annotations are ones the autoscaler reads, with sane values", () => {
    assert.ok(source);
    const a = source.metadata.annotations as Record<string, string>;
    const keys = Object.keys(a).filter((k) => k.startsWith("autoscaling.eventing.knative.dev/"));
    assert.ok(keys.length > 0);
    for (const k of keys) {
      assert.ok(k in KAFKA_SOURCE_AUTOSCALING, `unknown annotation ${k}`);
      assert.match(a[k] ?? "", KAFKA_SOURCE_AUTOSCALING[k] as RegExp, k);
    }
    assert.ok(
      Number(a["autoscaling.eventing.knative.dev/min-scale"]) <=
        Number(a["autoscaling.eventing.knative.dev/max-scale"]),
    );
  });
});

describe("deploy manifests: autoscaling and visibility", () => {
  test("When the autoscaler reads a revision, then every autoscaling annotation is one Knative knows", () => {
    for (const s of services) {
      for (const key of Object.keys(annotations(s)).filter((k) => k.startsWith("autoscaling.knative.dev/"))) {
        assert.ok(KNATIVE_AUTOSCALING_KEYS.includes(key), `${s.metadata.name}: unknown ${key}`);
      }
    }
  });

  test("When customer-facing functions get load, then they scale on 100 concurrent requests from 1 to 5 replicas", () => {
    for (const name of CUSTOMER_FACING) {
      const a = annotations(service(name));
      assert.equal(a["autoscaling.knative.dev/class"], "kpa.autoscaling.knative.dev", name);
      assert.equal(a["autoscaling.knative.dev/metric"], "concurrency", name);
      assert.equal(a["autoscaling.knative.dev/target"], "100", name);
      assert.equal(a["autoscaling.knative.dev/target-utilization-percentage"], "100", name);
      assert.equal(a["autoscaling.knative.dev/min-scale"], "1", name);
      assert.equal(a["autoscaling.knative.dev/max-scale"], "5", name);
      assert.ok([undefined, 100].includes(service(name).spec.template.spec.containerConcurrency), name);
    }
  });

  test("When the management API and the sink get load, then customer-management scales 1-5 and purchase-persist on 70% CPU", () => {
    const api = annotations(service("customer-management"));
    assert.equal(api["autoscaling.knative.dev/min-scale"], "1");
    assert.equal(api["autoscaling.knative.dev/max-scale"], "5");
    const persist = service("purchase-persist");
    const a = annotations(persist);
    assert.equal(a["autoscaling.knative.dev/class"], "hpa.autoscaling.knative.dev");
    assert.equal(a["autoscaling.knative.dev/metric"], "cpu");
    assert.equal(a["autoscaling.knative.dev/target"], "70");
    assert.equal(a["autoscaling.knative.dev/min-scale"], "1");
    assert.equal(a["autoscaling.knative.dev/max-scale"], "5");
    assert.ok(container(persist).resources.requests.cpu, "the HPA's CPU target is a share of the request");
  });

  test("When a function is internal, then it is cluster-local; customer-facing ones are public", () => {
    const visibility = (name: string) => service(name).metadata.labels?.["networking.knative.dev/visibility"];
    for (const name of INTERNAL) assert.equal(visibility(name), "cluster-local", name);
    for (const name of CUSTOMER_FACING) assert.equal(visibility(name), undefined, name);
  });
});

/** A Kubernetes quantity ("250m", "1", "128Mi", "1Gi") as a plain number. */
function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = String(q).match(/^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/);
  assert.ok(m, `bad quantity ${q}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? (factor[m[2]] ?? 1) : 1);
}
