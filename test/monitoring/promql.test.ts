// Every PromQL query of the monitoring page (docs/operations.md), run through a real Prometheus
// (harness/prometheus.ts) scraping a real system (harness/system.ts) that served real
// traffic: purchases through the gateway, a redelivered record and an invalid one through Kafka, and
// 5xx answers from user-purchases once the management API is gone.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createKafka, createProducer, type Producer } from "../../functions/shared/kafka.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { type Prometheus, scrapeTargets, startPrometheus } from "../../harness/prometheus.ts";
import { testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { readRecords } from "../../harness/topics.ts";
import { waitFor } from "../../harness/wait.ts";
import { docQueries, normalize, query, rules, type Sample } from "./promql.ts";

const pipeline = isolatedPipeline("promql");
let system: System;
let prometheus: Prometheus;
let producer: Producer;
let closeDb: () => Promise<void>;
const dir = mkdtempSync(join(tmpdir(), "promql-"));
const user = unique("mon");

/** A check of a query's result: undefined when it holds, else what is wrong. */
type Check = (samples: Sample[]) => string | undefined;
const positive = (s: Sample | undefined) => s !== undefined && Number.isFinite(s.value) && s.value > 0;
const has =
  (labels: Record<string, string>, ok: (s: Sample) => boolean = positive): Check =>
  (samples) => {
    const match = samples.find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
    if (!match) return `no series with ${JSON.stringify(labels)}`;
    return ok(match) ? undefined : `${JSON.stringify(match.metric)} = ${match.value}`;
  };
const all =
  (...checks: Check[]): Check =>
  (samples) =>
    checks.map((c) => c(samples)).find(Boolean);
const one: Check = (samples) =>
  samples.length === 1 && positive(samples[0]) ? undefined : `expected one positive series`;

// By query of docs/operations.md (whitespace collapsed). "errors": checked after user-purchases answered 5xx.
const expectations: Record<string, { check: Check; errors?: true }> = {
  "sum by (service) (rate(http_requests_total[5m]))": {
    check: all(
      ...["buy", "items", "user-purchases", "customer-management", "purchase-persist"].map((service) =>
        has({ service }),
      ),
    ),
  },
  'sum by (revision) (rate(http_requests_total{service="buy"}[5m]))': {
    check: all(one, has({ revision: "buy-local" })),
  },
  'sum by (service) (rate(http_requests_total{status="5xx"}[5m])) / sum by (service) (rate(http_requests_total[5m]))':
    { check: has({ service: "user-purchases" }, (s) => s.value > 0 && s.value <= 1), errors: true },
  "histogram_quantile(0.95, sum by (service, handler, le) (rate(http_request_duration_seconds_bucket[5m])))":
    {
      check: all(
        has({ service: "buy", handler: "/buy" }),
        has({ service: "user-purchases", handler: "/getAllUserBuys/:user_id" }),
        has({ service: "purchase-persist", handler: "/" }),
      ),
    },
  'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="buy", handler="/buy"}[5m])))':
    { check: one },
  "sum(rate(purchases_persisted_total[5m]))": { check: one },
  "sum(rate(purchases_duplicate_total[5m]))": { check: one },
  "sum by (reason) (rate(purchases_rejected_total[5m]))": {
    check: all(
      has({ reason: "invalid_data" }),
      has({ reason: "overloaded" }, (s) => s.value === 0),
    ),
  },
  kafka_consumergroup_lag_sum: {
    // Everything produced is consumed and committed: the lag comes back to 0.
    check: all(
      (s) => (s.length === 1 ? undefined : `${s.length} series`),
      has(
        { service: "customer-management", consumergroup: pipeline.group, topic: pipeline.topic },
        (s) => s.value === 0,
      ),
    ),
  },
  "sum(rate(kafka_source_events_dispatched_total[5m]))": { check: one },
  "sum(rate(kafka_source_events_dead_lettered_total[5m]))": { check: one },
  'sum(increase(http_requests_total{service="user-purchases"}[1h]))': { check: one },
  'sum(rate(http_requests_total{service="user-purchases",status=~"5.."}[5m])) / sum(rate(http_requests_total{service="user-purchases"}[5m])) * 100':
    { check: all(one, (s) => ((s[0]?.value ?? 0) <= 100 ? undefined : "above 100%")), errors: true },
  'rate(http_request_duration_seconds_sum{service="user-purchases"}[5m]) / rate(http_request_duration_seconds_count{service="user-purchases"}[5m])':
    { check: has({ handler: "/getAllUserBuys/:user_id", status: "2xx", revision: "user-purchases-local" }) },
  'sum by (handler) (rate(http_requests_total{service="user-purchases"}[5m]))': {
    check: has({ handler: "/getAllUserBuys/:user_id" }),
  },
};
// The KEDA operator's metrics exist only in a cluster.
const clusterOnly = [
  'keda_scaler_metrics_value{namespace="purchases"}',
  'keda_scaler_active{namespace="purchases"}',
];

const api = () => system.url("gateway");
/** The shopper's Authorization header (harness/auth-fixture.ts), signed in `before`. */
let shopper: Record<string, string> = {};
const buy = async () => {
  const res = await fetch(`${api()}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...shopper },
    body: JSON.stringify({ username: user, user_id: user }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 202);
};
const history = async () => (await fetch(`${api()}/getAllUserBuys/${user}`, { headers: shopper })).json();
const get = async (path: string) => (await fetch(`${api()}${path}`)).body?.cancel();

/** Waits until the query's result passes its check; fails with the last problem. */
async function expectQuery(promql: string, check: Check) {
  let problem: string | undefined = "not run";
  await waitFor(
    `${promql}: ${problem}`,
    async () => {
      problem = check(await query(prometheus.url, promql));
      return problem === undefined;
    },
    { timeoutMs: 30_000, everyMs: 250 },
  ).catch((err: Error) => assert.fail(`${promql}\n  ${problem}\n  ${err.message}`));
}

/**
 * A counter child that prom-client creates at its first increment shows up at that value, and a
 * target first scraped after some traffic shows it already counted: either way rate() sees no
 * increase until a later scrape sees the counter grow. Each target is scraped on its own schedule,
 * so wait until Prometheus holds every given series (each from a scrape after the traffic), then
 * send the same traffic again.
 */
async function scrapedTwice(traffic: () => Promise<void>, series: string[]) {
  await traffic();
  for (const promql of series)
    await expectQuery(promql, (s) => (s.length > 0 ? undefined : "not scraped yet"));
  await traffic();
}

before(async () => {
  // 10 s, not 3: under a loaded shared machine the driver's first connection (its auto-connect) to
  // a new FerretDB database has taken over 3 s, and a failed auto-connect closes the client.
  const db = await freshDatabase("promql", 10_000);
  closeDb = () => db.client.close();
  const auth = await testAuth();
  shopper = await auth.headers(user);
  system = await startSystem({ env: { ...pipeline.env, ...auth.env, MONGODB_URI: db.uri } });
  prometheus = await startPrometheus({
    dir,
    targets: scrapeTargets(system.components.values()),
    interval: "1s",
  });
  producer = createProducer(createKafka(testConfig(), unique("promql")), { timeoutMs: 5000 });
  await producer.connect();

  await scrapedTwice(async () => {
    await buy();
    await get("/items");
    await waitFor("the purchase stored", async () => (await history()).stats?.count > 0);
  }, [
    'http_requests_total{service="buy", handler="/buy", status="2xx"}',
    'http_requests_total{service="items", handler="/items", status="2xx"}',
    'http_requests_total{service="user-purchases", handler="/getAllUserBuys/:user_id", status="2xx"}',
    'http_requests_total{service="customer-management", handler="/purchases/:user_id", status="2xx"}',
    'http_requests_total{service="purchase-persist", handler="/", status="2xx"}',
    "purchases_persisted_total > 0",
    "kafka_source_events_dispatched_total > 0",
  ]);
  // A redelivery of buy's record (a duplicate) and a record that is no purchase (dead-lettered).
  const [record] = await readRecords(pipeline.topic, 1);
  assert.ok(record);
  await producer.send({
    topic: pipeline.topic,
    messages: [
      { key: record.key, value: record.value, headers: record.headers },
      { key: user, value: '{"item":"book"}', headers: { "content-type": "application/json" } },
    ],
  });
});

after(async () => {
  await producer?.disconnect();
  await prometheus?.stop();
  await system?.stop();
  await closeDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("monitoring: the PromQL of docs/operations.md on a real Prometheus", () => {
  test("When the monitoring page is read, then each of its queries has an expectation here", () => {
    const shown = docQueries();
    assert.deepEqual(
      shown.filter((q) => !clusterOnly.includes(q)).sort(),
      Object.keys(expectations).map(normalize).sort(),
    );
  });

  test("When Prometheus scrapes the system, then every function and the dispatcher is up with service and revision labels", async () => {
    const names = scrapeTargets(system.components.values()).map((t) => t.name);
    assert.ok(names.includes("kafka-source") && names.includes("purchase-persist"));
    await expectQuery(
      "up",
      all(
        ...names.map((service) =>
          has({ service, revision: `${service}-local`, job: "purchases" }, (s) => s.value === 1),
        ),
      ),
    );
  });

  for (const [promql, { check }] of Object.entries(expectations).filter(([, e]) => !e.errors)) {
    test(`When the system served traffic, then \`${promql}\` returns the expected series`, () =>
      expectQuery(promql, check));
  }

  test("When the rules are loaded, then every recording and alert rule evaluates without error", async () => {
    await expectQuery('service:http_requests:rate5m{service="buy"}', one);
    const groups = await rules(prometheus.url);
    assert.deepEqual(groups.map((g) => g.name).sort(), ["purchases.alerts", "purchases.records"]);
    const unhealthy = groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok");
    assert.deepEqual(unhealthy, []);
  });

  test("When an invalid event was dead-lettered, then PurchaseEventsDeadLettered fires for its reason", () =>
    expectQuery(
      'ALERTS{alertname="PurchaseEventsDeadLettered", alertstate="firing"}',
      has({ reason: "invalid_data", service: "purchase-persist" }, (s) => s.value === 1),
    ));

  test("When the management API is gone and user-purchases answers 5xx, then the 5xx queries return its share", async () => {
    await system.components.get("customer-management")?.stop();
    const fail = async () => {
      const res = await fetch(`${api()}/getAllUserBuys/${user}`, { headers: shopper });
      await res.body?.cancel();
      assert.equal(res.status, 502);
    };
    await scrapedTwice(fail, ['http_requests_total{service="user-purchases", status="5xx"}']);
    for (const [promql, { check }] of Object.entries(expectations).filter(([, e]) => e.errors)) {
      await expectQuery(promql, check);
    }
  });
});
