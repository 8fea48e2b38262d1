// Figure 1, the persist pipeline: steady-state events/s from a Kafka topic into the database,
// through the local KafkaSource dispatcher (unordered, 50 in flight) and purchase-persist, against
// (a) the store's ceiling: one process doing insertMany batches of the same documents, and
// (b) MongoDB's Kafka sink connector under Kafka Connect standalone draining the same topic.
// Every contender writes into a fresh database of its own; each is timed from the 5% to the 95%
// stored mark, sampled every 250 ms from its own cheap count (acknowledged inserts, persist's
// purchases_persisted_total, the connector's committed offsets), and the collection is checked to
// hold that many at the end. CPU per stored event of every process involved (the store and the
// broker too, when local) is recorded to explain the result.
// The floors (floor.ts) in the same run: purchase-persist's CPU per event against a bare node:http
// handler's, the dispatcher's against a bare client loop's, at the dispatcher's concurrency.

import { createTopics, deleteTopics } from "../../harness/topics.ts";
import { VERSIONS } from "./connect.ts";
import { type ContenderResult, runCeiling, runConnect, runPipeline } from "./contenders.ts";
import { type Floors, measureFloors } from "./floor.ts";
import { produceSeed } from "./produce-seed.ts";
import { type BenchContext, type FigureResult, type Row, row } from "./types.ts";

export async function persistFigure(ctx: BenchContext): Promise<Omit<FigureResult, "name" | "seconds">> {
  const n = ctx.quick ? 5_000 : 100_000;
  const users = ctx.quick ? 1_000 : 10_000;
  const topic = `bench-persist-${ctx.runId}`;
  await createTopics([topic], { partitions: 3, brokers: ctx.kafka });
  try {
    const produced = await produceSeed(ctx.kafka, topic, n, users, ctx.say);
    const ceiling = await runCeiling(ctx, n, users);
    const pipeline = await runPipeline(ctx, topic, n);
    const floors = await measureFloors(ctx);
    const connect: Record<string, ContenderResult | string> = {};
    const variants = !ctx.connect ? [] : ctx.quick ? ["default"] : ["default", "insert-one"];
    if (!ctx.connect) connect.default = "left out (--no-connect)";
    for (const variant of variants) {
      connect[variant] = await runConnect(ctx, topic, n, variant).catch((err: Error) => {
        ctx.say(`Kafka Connect (${variant}) skipped: ${err.message.split("\n")[0]}`);
        return err.message;
      });
    }
    const all: Record<string, ContenderResult | string> = { ceiling, pipeline, ...prefixed(connect) };
    return {
      rows: [...rows(pipeline, ceiling, connect), ...floorRows(pipeline, floors)],
      notes: [...notes(all, n), floorNote(floors)],
      details: { events: n, users, topic, produced, ...all, floors },
    };
  } finally {
    await deleteTopics([topic, `${topic}-dlq`], ctx.kafka);
  }
}

function rows(
  pipeline: ContenderResult,
  ceiling: ContenderResult,
  connect: Record<string, ContenderResult | string>,
): Row[] {
  const rate = (o: ContenderResult | string | undefined) => (typeof o === "object" ? o.rate.rate : null);
  const skipped = (o: ContenderResult | string | undefined) =>
    typeof o === "string" ? `skipped: ${o.split("\n")[0]}` : undefined;
  const out = [
    row({
      figure: "persist: events/s vs insertMany ceiling",
      unit: "events/s",
      ours: pipeline.rate.rate,
      baseline: ceiling.rate.rate,
      against: "one process, insertMany x500, 2 in flight",
      target: { kind: "ratio-min", value: 0.8 },
    }),
    row({
      figure: "persist: events/s vs Kafka Connect sink",
      unit: "events/s",
      ours: pipeline.rate.rate,
      baseline: rate(connect.default),
      against: `mongo-kafka-connect ${VERSIONS.connector}, default write model (ReplaceOne upsert)`,
      target: { kind: "ratio-min", value: 1.0 },
      note: skipped(connect.default),
    }),
  ];
  if (connect["insert-one"] !== undefined) {
    out.push(
      row({
        figure: "persist: events/s vs Kafka Connect, InsertOne",
        unit: "events/s",
        ours: pipeline.rate.rate,
        baseline: rate(connect["insert-one"]),
        against: "same connector, writemodel.strategy InsertOneDefaultStrategy",
        target: { kind: "ratio-min", value: 0.5 },
        note: skipped(connect["insert-one"]),
      }),
    );
  }
  return out;
}

function floorRows(pipeline: ContenderResult, floors: Floors): Row[] {
  const cpu = (p: string) => pipeline.cpuMsPerEvent[p] ?? null;
  const shape = `${floors.concurrency} in flight, same headers and body`;
  return [
    row({
      figure: "persist: CPU per event vs handler floor",
      unit: "CPU ms",
      ours: cpu("persist"),
      baseline: floors.serverCpuMs,
      against: `bare node:http handler reading the body, 200 + small JSON (${shape})`,
      target: { kind: "ratio-max", value: 2 },
    }),
    row({
      figure: "dispatcher: CPU per event vs client floor",
      unit: "CPU ms",
      ours: cpu("dispatcher"),
      baseline: floors.clientCpuMs,
      against: `bare node:http loop, the dispatcher's keep-alive agent settings (${shape})`,
      target: { kind: "ratio-max", value: 2 },
    }),
  ];
}

const floorNote = (f: Floors) =>
  `floors: bare client -> bare handler ${f.rate} req/s at ${f.concurrency} in flight over ${f.requests} ` +
  `requests (${f.headerBytes} B of headers, ${f.bodyBytes} B body); CPU ms per request: handler ` +
  `${f.serverCpuMs}, client ${f.clientCpuMs}`;

function notes(all: Record<string, ContenderResult | string>, n: number): string[] {
  const out: string[] = [];
  for (const [who, o] of Object.entries(all)) {
    if (typeof o !== "object") continue;
    if (!o.rate.complete) {
      out.push(`${who} stored ${o.stored}/${n} within its time box; its rate is over what it stored.`);
    }
    const cpu = Object.entries(o.cpuMsPerEvent).map(([p, ms]) => `${p} ${ms}`);
    if (cpu.length > 0) out.push(`${who}: CPU ms per stored event: ${cpu.join(", ")}`);
  }
  return out;
}

const prefixed = (connect: Record<string, ContenderResult | string>) =>
  Object.fromEntries(Object.entries(connect).map(([k, v]) => [`connect ${k}`, v]));
