import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseDuration } from "./duration.ts";
import { loadDispatcherConfig, ManifestError, resolveConfig } from "./manifest.ts";

const real = readFileSync(new URL("../kafka-source.yaml", import.meta.url), "utf8");
const sinkEnv = { KAFKA_SOURCE_SINK_URL: "http://localhost:8103/" };
const minimal = (spec: string) => `apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: { name: s }
spec:
  bootstrapServers: [k:9092]
  topics: [t]
  sink: { uri: "http://sink:8080/" }
${spec}`;

describe("manifest", () => {
  test("When the project's manifest is read with a sink URL, then the config mirrors its spec", () => {
    const c = resolveConfig(real, sinkEnv);
    assert.deepEqual(c.source, { namespace: "purchases", name: "purchases-source" });
    assert.equal(c.group, "customer-management-group");
    assert.deepEqual(c.topics, ["purchases"]);
    assert.deepEqual(c.bootstrapServers, ["purchases-kafka-bootstrap.kafka:9092"]);
    assert.equal(c.initialOffset, "earliest");
    assert.equal(c.ordering, "unordered");
    assert.deepEqual(c.delivery, {
      retry: 36,
      backoffPolicy: "linear",
      backoffDelayMs: 1000,
      timeoutMs: 10_000,
    });
    assert.equal(c.sink, "http://localhost:8103/");
    assert.deepEqual(c.deadLetter, { kind: "kafka", topic: "purchases-dlq" }, "the KafkaSink ref's topic");
    assert.equal(c.maxInFlight, 50);
    assert.equal(c.port, 8106);
  });

  test("When env overrides are set, then they replace the manifest's values", () => {
    const c = resolveConfig(real, {
      ...sinkEnv,
      KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:9092, 127.0.0.1:9093",
      KAFKA_SOURCE_TOPICS: "a,b",
      KAFKA_SOURCE_GROUP: "g",
      KAFKA_SOURCE_DLQ: "kafka:dead",
      KAFKA_SOURCE_ORDERING: "ordered",
      KAFKA_SOURCE_INITIAL_OFFSET: "latest",
      KAFKA_SOURCE_MAX_IN_FLIGHT: "7",
      PORT: "0",
      LOG_LEVEL: "debug",
    });
    assert.deepEqual(c.bootstrapServers, ["127.0.0.1:9092", "127.0.0.1:9093"]);
    assert.deepEqual(c.topics, ["a", "b"]);
    assert.equal(c.group, "g");
    assert.deepEqual(c.deadLetter, { kind: "kafka", topic: "dead" });
    assert.equal(c.ordering, "ordered");
    assert.equal(c.initialOffset, "latest");
    assert.equal(c.maxInFlight, 7);
    assert.equal(c.port, 0);
    assert.equal(c.logLevel, "debug");
    assert.deepEqual(resolveConfig(real, { ...sinkEnv, KAFKA_DLQ_TOPIC: "x-dlq" }).deadLetter, {
      kind: "kafka",
      topic: "x-dlq",
    });
    assert.deepEqual(resolveConfig(real, { ...sinkEnv, KAFKA_SOURCE_DLQ: "http://dls/" }).deadLetter, {
      kind: "http",
      url: "http://dls/",
    });
    assert.equal(resolveConfig(real, { ...sinkEnv, KAFKA_SOURCE_DLQ: "none" }).deadLetter, undefined);
  });

  test("When optional fields are missing, then KafkaSource's defaults apply", () => {
    const c = resolveConfig(minimal(""), {});
    assert.equal(c.initialOffset, "latest");
    assert.equal(c.ordering, "ordered");
    assert.deepEqual(c.delivery, {
      retry: 0,
      backoffPolicy: "exponential",
      backoffDelayMs: 0,
      timeoutMs: 600_000,
    });
    assert.equal(c.sink, "http://sink:8080/");
    assert.equal(c.deadLetter, undefined);
    assert.equal(c.source.namespace, "default");
  });

  test("When the manifest is sources.knative.dev/v1beta1, then it is read as the same v1 spec", () => {
    assert.match(real, /^apiVersion: sources\.knative\.dev\/v1$/m, "the project's manifest is v1");
    const older = real.replace(/^apiVersion: .*$/m, "apiVersion: sources.knative.dev/v1beta1");
    assert.deepEqual(resolveConfig(older, sinkEnv), resolveConfig(real, sinkEnv));
  });

  test("When the apiVersion is not one eventing-kafka-broker serves, then the error names both it does", () => {
    const removed = minimal("").replace("sources.knative.dev/v1", "sources.knative.dev/v1alpha1");
    assert.throws(
      () => resolveConfig(removed, {}),
      /apiVersion: must be sources\.knative\.dev\/v1 or sources\.knative\.dev\/v1beta1/,
    );
  });

  test("When the sink is a ref and no KAFKA_SOURCE_SINK_URL is set, then the error says so", () => {
    assert.throws(() => resolveConfig(real, {}), /KAFKA_SOURCE_SINK_URL/);
  });

  test("When the manifest is bad, then a ManifestError names the field", () => {
    assert.throws(
      () => resolveConfig(minimal("  ordering: sideways"), {}),
      /spec\.ordering: must be ordered or unordered/,
    );
    assert.throws(
      () => resolveConfig(minimal("  delivery: { backoffDelay: 200ms }"), {}),
      /spec\.delivery\.backoffDelay: must be an ISO-8601 duration/,
    );
    assert.throws(() => resolveConfig(minimal("").replace("topics: [t]", "topics: []"), {}), /spec\.topics/);
    assert.throws(
      () => resolveConfig("kind: [", {}),
      (e: Error) => e instanceof ManifestError && /YAML/.test(e.message),
    );
    assert.throws(
      () => resolveConfig(minimal(""), { KAFKA_SOURCE_ORDERING: "random" }),
      /KAFKA_SOURCE_ORDERING/,
    );
    assert.throws(() => loadDispatcherConfig({ KAFKA_SOURCE_MANIFEST: "/nonexistent.yaml" }), /cannot read/);
  });

  test("When durations are ISO-8601, then they parse to milliseconds", () => {
    assert.equal(parseDuration("PT0.2S"), 200);
    assert.equal(parseDuration("PT10S"), 10_000);
    assert.equal(parseDuration("PT1M30S"), 90_000);
    assert.equal(parseDuration("P1DT1H"), 90_000_000);
    for (const bad of ["10s", "P", "PT", "P1M", ""]) assert.throws(() => parseDuration(bad), RangeError, bad);
  });
  test("When the manifest's sink has an audience and KAFKA_SOURCE_OIDC_* are set, then the dispatcher has a token client for it", () => {
    const oidc = {
      KAFKA_SOURCE_OIDC_TOKEN_URL: "http://127.0.0.1:8180/realms/purchases/protocol/openid-connect/token",
      KAFKA_SOURCE_OIDC_CLIENT_ID: "purchases-source",
      KAFKA_SOURCE_OIDC_CLIENT_SECRET: "x",
    };
    const plain = resolveConfig(real, sinkEnv);
    assert.deepEqual(
      [plain.sinkAudience, plain.oidc],
      ["purchase-persist", undefined],
      "no client: no token",
    );
    const c = resolveConfig(real, { ...sinkEnv, ...oidc });
    assert.deepEqual(c.oidc, {
      tokenUrl: oidc.KAFKA_SOURCE_OIDC_TOKEN_URL,
      clientId: "purchases-source",
      clientSecret: "x",
    });
    assert.throws(
      () => resolveConfig(real, { ...sinkEnv, ...oidc, KAFKA_SOURCE_OIDC_CLIENT_SECRET: "" }),
      /missing KAFKA_SOURCE_OIDC_CLIENT_SECRET/,
    );
    assert.throws(() => resolveConfig(minimal(""), oidc), /spec\.sink\.audience is not set/);
  });
});
