// npm run test:faults: the full fault campaign. 48k purchases through
// /buy while purchase-persist is SIGKILLed twice, the broker restarted, poison records written,
// buy SIGTERMed, each restarted, and the database stopped for 3 minutes (harness/faults/faults.ts
// longOutageSchedule); then every 202 must be stored exactly once, every poison record dead-lettered
// and nothing else: the KafkaSource's retries (kafka-source.yaml delivery) outlast the outage.
// Prints the report, writes it as JSON to bench-results/faults-<time>.json, exits 1 on a failed check.
//
//   node scripts/faults.ts [--purchases 48000] [--concurrency 32] [--rate 120]
//        [--db-outage-ms 180000] [--request-timeout-ms 8000] [--max-attempts 12] [--keep]
//        [--logs <dir>]   (each component's output, for a look at a failed run)
//
// It restarts the broker and the database, so it needs the local stack of scripts/stack.sh (moved
// with STACK_DIR / STACK_*_PORT, addressed with KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI). It starts
// the stack when needed and stops afterwards what it started, like npm test.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runCampaign } from "../harness/faults/campaign.ts";
import { longOutageSchedule } from "../harness/faults/faults.ts";
import { formatReport } from "../harness/faults/report.ts";
import { ROOT } from "../harness/root.ts";
import { stack } from "../harness/stack.ts";

const { values } = parseArgs({
  options: {
    purchases: { type: "string", default: "48000" },
    concurrency: { type: "string", default: "32" },
    rate: { type: "string", default: "120" },
    "db-outage-ms": { type: "string", default: "180000" },
    "request-timeout-ms": { type: "string", default: "8000" },
    "kafka-timeout-ms": { type: "string", default: "3000" },
    "max-attempts": { type: "string", default: "12" },
    keep: { type: "boolean", default: false },
    logs: { type: "string" },
  },
});
const int = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`faults: --${name} must be a whole number\n`);
    process.exit(2);
  }
  return n;
};

const wasRunning = await Promise.all(
  ["kafka", "mongo"].map((s) =>
    stack("running", s).then(
      () => true,
      () => false,
    ),
  ),
);
// Only what the campaign uses: a bare `stack.sh start` would start Keycloak too, and nothing here
// stops it afterwards.
for (const s of ["kafka", "mongo"]) await stack("start", s);
const started = new Date();
const report = await runCampaign({
  purchases: int("purchases"),
  concurrency: int("concurrency"),
  rate: int("rate"),
  dbOutageMs: int("db-outage-ms"),
  requestTimeoutMs: int("request-timeout-ms"),
  kafkaTimeoutMs: int("kafka-timeout-ms"),
  maxAttempts: int("max-attempts"),
  recoverTimeoutMs: 120_000,
  schedule: longOutageSchedule(),
  keep: values.keep,
  ...(values.logs ? { logDir: values.logs } : {}),
  log: (line) => process.stderr.write(`[faults] ${line}\n`),
});
process.stdout.write(`\n${formatReport(report)}\n`);
mkdirSync(`${ROOT}/bench-results`, { recursive: true });
const file = `${ROOT}/bench-results/faults-${started.toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), ...report }, null, 2)}\n`);
process.stdout.write(`\nreport: ${file}\n`);
for (const [i, s] of ["kafka", "mongo"].entries()) if (!wasRunning[i]) await stack("stop", s);
process.exit(report.ok ? 0 : 1);
