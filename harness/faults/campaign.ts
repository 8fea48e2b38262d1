// The fault campaign: an isolated system (its own topic, dead-letter topic, consumer group and
// database), purchases flowing through the gateway's /buy, faults injected one after another while
// they flow, then the pipeline drained and the outcome checked (verify.ts).
import { setTimeout as sleep } from "node:timers/promises";
import { createMongoClient, purchasesCollection } from "../../functions/shared/mongo.ts";
import { testAuth } from "../auth-fixture.ts";
import { freshDatabase } from "../databases.ts";
import { isolatedPipeline, unique } from "../names.ts";
import type { Component } from "../process.ts";
import { type System, startSystem } from "../system.ts";
import { recordCount } from "../topics.ts";
import { defaultSchedule, type Fault, type Injected } from "./faults.ts";
import { startLoad, startReads } from "./load.ts";
import { cleanUp, drain, persistedTotal, saveLogs, waitForRecovery } from "./observe.ts";
import { deadLetterPositions } from "./poison.ts";
import { type CampaignReport, verify } from "./verify.ts";

export interface CampaignOptions {
  purchases: number;
  concurrency: number;
  /** Purchases started per second at most, so that the load lasts through every fault. */
  rate: number;
  dbOutageMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  /** Shoppers reading their history (GET /getAllUserBuys) during each fault; 0 for none. */
  readers?: number;
  /** buy's bound on a produce; the per-request timeout must be well above it. */
  kafkaTimeoutMs: number;
  /** Longest wait for one fault's recovery, and for the final drain. */
  recoverTimeoutMs: number;
  schedule?: { at: number; fault: Fault }[];
  log?: (line: string) => void;
  /** Keep the topics and database afterwards (for a look at a failed run). */
  keep?: boolean;
  /** Where to write every component's output (the last 200 kB of each process). */
  logDir?: string;
  /** More environment for every component, e.g. LOG_LEVEL=debug or KAFKA_SOURCE_SESSION_TIMEOUT_MS. */
  env?: Record<string, string>;
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignReport> {
  const log = opts.log ?? (() => {});
  const epoch = Date.now();
  const clock = () => Date.now() - epoch;
  const db = await freshDatabase("faults");
  const pipeline = isolatedPipeline("faults");
  const { topic, dlq, group } = pipeline;
  const env: Record<string, string> = {
    ...pipeline.env,
    // Tokens verified as in production: the load signs its shoppers in with the test issuer.
    ...(await testAuth()).env,
    KAFKA_TIMEOUT_MS: String(opts.kafkaTimeoutMs),
    MONGODB_URI: db.uri,
    // info: the logs kept with --logs show each component's start, crash and restart.
    LOG_LEVEL: "info",
    ...opts.env,
  };
  // A client of its own for the final read, with bounds that a busy FerretDB still meets when it
  // returns every document (40 s per socket read). Nothing polls the database while the load runs.
  const watcher = createMongoClient({ MONGODB_URI: db.uri, MONGODB_TIMEOUT_MS: 10_000 });
  const stored = purchasesCollection(watcher);
  let system: System | undefined;
  const retired: Component[] = [];
  let completed = false;
  try {
    log(`starting the system (topic ${topic}, database ${new URL(db.uri).pathname.slice(1)})`);
    system = await startSystem({ env });
    const url = system.url("gateway");
    const started = clock();
    let faultsDone = false;
    const load = startLoad({ ...opts, url, runId: unique("run"), clock, more: () => !faultsDone });
    let readsUntil = -1;
    const reading = startReads({
      url,
      concurrency: opts.readers ?? 1,
      users: 500,
      requestTimeoutMs: opts.requestTimeoutMs,
      clock,
      active: () => clock() < readsUntil,
    });
    let loadDone = false;
    void load.done.then(() => {
      loadDone = true;
    });
    const ticker = setInterval(() => {
      const p = load.progress();
      log(`t=${(clock() / 1000).toFixed(1)}s started ${p.started} accepted ${p.accepted}`);
    }, 5000);

    const injected: (Injected & { name: string; recovered: boolean })[] = [];
    // A fault is due at its fraction of the purchases started, or of the planned duration if that
    // comes first: on a slow machine the faults still all fall well inside the load.
    const planned = opts.rate > 0 ? (opts.purchases / opts.rate) * 1000 : Number.POSITIVE_INFINITY;
    const persisted = () => persistedTotal(system?.url("purchase-persist") ?? "");
    try {
      for (const { at, fault } of opts.schedule ?? defaultSchedule()) {
        const due = () => load.progress().started >= at * opts.purchases || clock() - started >= at * planned;
        while (!loadDone && !due()) await sleep(50);
        log(`fault: ${fault.name} at t=${(clock() / 1000).toFixed(1)}s`);
        readsUntil = Number.POSITIVE_INFINITY;
        const result = await fault.inject({ system, env, clock, dbOutageMs: opts.dbOutageMs, retired });
        const recovered = await waitForRecovery({
          load,
          persisted,
          loadDone: () => loadDone,
          timeoutMs: opts.recoverTimeoutMs,
        });
        readsUntil = clock() + 5000;
        log(`  restored after ${result.restoredAt - result.injectedAt} ms; recovered: ${recovered}`);
        injected.push({ ...result, name: fault.name, recovered });
      }
      faultsDone = true;
      await load.done;
    } finally {
      faultsDone = true; // a fault that threw must not leave the load running for ever
      clearInterval(ticker);
      await reading.stop();
    }
    const loadEnded = clock();
    log(`load done in ${((loadEnded - started) / 1000).toFixed(1)}s; draining`);
    const drained = await drain({ group, topic, persisted, timeoutMs: opts.recoverTimeoutMs });
    log(
      `${drained ? "drained" : "NOT drained"} after ${((clock() - loadEnded) / 1000).toFixed(1)}s; checking`,
    );
    const docs = await stored
      .find({}, { projection: { _id: 1, event_source: 1, event_id: 1, created_at: 1 }, batchSize: 2000 })
      .toArray()
      .catch((err: Error) => {
        throw new Error(`cannot read the stored purchases back (is the database up?): ${err.message}`);
      });
    const report = verify({
      purchases: load.purchases,
      reads: reading.reads,
      docs,
      epoch,
      faults: injected,
      dlqRecords: await recordCount(dlq),
      deadLetters: await deadLetterPositions(dlq),
      drained,
      loadMs: loadEnded - started,
      requestTimeoutMs: opts.requestTimeoutMs,
    });
    completed = true;
    return { ...report, options: { ...opts, schedule: undefined, log: undefined }, topic, database: db.uri };
  } finally {
    await system?.stop();
    if (opts.logDir) saveLogs(opts.logDir, [...retired, ...(system?.components.values() ?? [])]);
    await watcher.close();
    // A run that broke off keeps its topics and database for a look.
    if (completed && !opts.keep) await cleanUp(db.client.db(), [topic, dlq]);
    else log(`kept topic ${topic}, dead-letter topic ${dlq} and database ${db.uri}`);
    await db.client.close();
  }
}
