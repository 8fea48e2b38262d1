// For the dispatcher's integration tests (kafka-source/dispatcher/*.test.ts): a real HTTP sink
// (node:http) that records what arrives and answers scripted statuses, a manifest written from the
// project's own, the dispatcher as a child process, and Kafka helpers on the local broker (unique
// topics, deleted afterwards).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse, stringify } from "yaml";
import { createAdmin, createKafka, createProducer, ensureTopic } from "../functions/shared/kafka.ts";
import { readTopic } from "../kafka-source/dlq/read-topic.ts";
import { unique } from "./names.ts";
import { type Component, spawnComponent } from "./process.ts";
import { ROOT } from "./root.ts";
import { testConfig } from "./stack.ts";

export interface Received {
  headers: Record<string, string>;
  body: Buffer;
  id: string;
  partition: number;
  offset: number;
  status: number;
}
/** An answer: its status, body, and how long to hold it (`delayMs`, then until `until` settles). */
export type Reply = number | { status: number; body?: string; delayMs?: number; until?: Promise<unknown> };

/** A sink on `port` (0 = free port); `reply` sees each request and how often its ce-id came before. */
export async function startSink(reply: (req: Received, attempt: number) => Reply = () => 200, port = 0) {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const active = new Map<number, number>();
  let maxActive = 0;
  let maxActivePerPartition = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const request: Received = {
      headers,
      body: Buffer.concat(chunks),
      id: headers["ce-id"] ?? "",
      partition: Number(headers["ce-knativekafkapartition"]),
      offset: Number(headers["ce-knativekafkaoffset"]),
      status: 0,
    };
    const { partition } = request;
    const attempt = (attempts.get(request.id) ?? 0) + 1;
    attempts.set(request.id, attempt);
    active.set(partition, (active.get(partition) ?? 0) + 1);
    maxActivePerPartition = Math.max(maxActivePerPartition, active.get(partition) ?? 0);
    maxActive = Math.max(
      maxActive,
      [...active.values()].reduce((a, b) => a + b, 0),
    );
    const r = reply(request, attempt);
    const { status, body = "", delayMs = 0, until } = typeof r === "number" ? { status: r } : r;
    if (delayMs) await sleep(delayMs);
    await until;
    active.set(partition, (active.get(partition) ?? 1) - 1);
    received.push({ ...request, status });
    res.writeHead(status, { "content-type": "text/plain" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    received,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    stats: () => ({ maxActive, maxActivePerPartition }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Sink = Awaited<ReturnType<typeof startSink>>;

/** The project's manifest with `spec` (and `spec.delivery`) fields replaced, written to a temp file. */
export function writeManifest(spec: Record<string, unknown> = {}, delivery: Record<string, unknown> = {}) {
  const doc = parse(readFileSync(join(ROOT, "kafka-source/kafka-source.yaml"), "utf8"));
  doc.spec = { ...doc.spec, ...spec, delivery: { ...doc.spec.delivery, ...delivery } };
  const path = join(mkdtempSync(join(tmpdir(), "kafka-source-")), "kafka-source.yaml");
  writeFileSync(path, stringify(doc));
  return path;
}

/** The dispatcher as a process on the local broker; resolves once its /readyz answers 200. */
export function startDispatcher(env: Record<string, string>) {
  return spawnComponent({
    name: "kafka-source",
    entry: "kafka-source/dispatcher/main.ts",
    env: {
      KAFKA_BOOTSTRAP_SERVERS: testConfig().KAFKA_BOOTSTRAP_SERVERS.join(","),
      KAFKA_SOURCE_SESSION_TIMEOUT_MS: "6000",
      KAFKA_SOURCE_COMMIT_INTERVAL_MS: "100",
      // The tests read its log lines (a dead letter written, a rebalance).
      LOG_LEVEL: "info",
      ...env,
    },
  });
}

export async function kafkaFixture() {
  const config = testConfig();
  const kafka = createKafka(config, "kafka-source-test");
  const admin = createAdmin(kafka);
  await admin.connect();
  const producer = createProducer(kafka, { timeoutMs: 10_000 });
  await producer.connect();
  const created: string[] = [];
  return {
    admin,
    producer,
    async topic(partitions = 3) {
      const topic = unique("ks");
      await ensureTopic(admin, { topic, partitions });
      created.push(topic);
      return topic;
    },
    read: (topic: string) => readTopic(admin, config.KAFKA_BOOTSTRAP_SERVERS, topic),
    /** Committed offset per partition (partitions without a commit are absent). */
    async committed(group: string, topic: string) {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const out = new Map<number, number>();
      for (const p of t?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
      return out;
    },
    async close() {
      await producer.disconnect();
      await admin.deleteTopics({ topics: created }).catch(() => {});
      await admin.disconnect();
    },
  };
}
export type KafkaFixture = Awaited<ReturnType<typeof kafkaFixture>>;

/** The value of a counter (summed over its series) from a /metrics endpoint. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(name) && /^[\w]+(\{[^}]*\})? /.test(l))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

/** Kills dispatchers still running and closes sinks (a process already ended is left alone). */
export async function cleanUp(running: Array<Component | Sink>) {
  for (const r of running) {
    if (!("child" in r)) await r.close();
    else if (r.child.exitCode === null && r.child.signalCode === null) await r.stop("SIGKILL");
  }
}

/**
 * Registers a describe's before/after hooks: a Kafka fixture for its tests, and afterwards the
 * sinks and dispatchers pushed onto `running` stopped and the fixture closed.
 */
export function dispatcherSuite() {
  let kafka: KafkaFixture | undefined;
  const running: Array<Component | Sink> = [];
  before(async () => {
    kafka = await kafkaFixture();
  });
  after(async () => {
    await cleanUp(running);
    await kafka?.close();
  });
  return {
    running,
    get kafka(): KafkaFixture {
      if (!kafka) throw new Error("the Kafka fixture is made in the suite's before hook");
      return kafka;
    },
  };
}
