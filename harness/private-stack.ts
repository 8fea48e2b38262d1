// A stack of one's own for a test file that stops, kills or hangs the broker or the database: its own
// Kafka (and FerretDB on PostgreSQL) from scripts/stack.sh, on ports the OS picked, under a directory
// of its own. The file then runs beside the other stack files instead of alone in the serial tier:
// what it does to its services nobody else sees. A broker start costs 4 s on a quiet 2-core machine
// and up to 25 s on a loaded one (FerretDB ~3 s), so it is for files that take a service down
// (docs/testing.md).
//
// Call it at the top of the file, before anything reads the addresses: it points this process's
// environment at the private services (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, STACK_DIR, STACK_*_PORT),
// which every harness module reads when it is called (testConfig, stack(), spawnComponent's children,
// the fault campaign), and stops them when the process exits. A service not asked for stays the
// shared one (Keycloak always: the functions check tokens against the in-process test issuer).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createKafka } from "../functions/shared/kafka.ts";
import { unique } from "./names.ts";
import { freePort } from "./ports.ts";
import { ROOT } from "./root.ts";
import { stack, testConfig } from "./stack.ts";
import { createTopics } from "./topics.ts";
import { waitFor } from "./wait.ts";

export type PrivateService = "kafka" | "mongo";

export interface PrivateStack {
  dir: string;
  /** Stops the services and removes the directory (done anyway when the process exits). */
  stop: () => Promise<void>;
}

/** Where private stacks live: under this checkout's stack directory, one folder per test process. */
const base = () => join(process.env.STACK_DIR ?? join(ROOT, ".local"), "private");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops every service of a private stack, synchronously (from an exit handler), and removes it. Its
 * logs are kept, the last run's per name, in the stack's logs folder: `logs/private/<name>`.
 */
function teardown(dir: string) {
  for (const s of ["kafka", "mongo"]) {
    spawnSync("bash", ["scripts/stack.sh", "stop", s], {
      cwd: ROOT,
      env: { ...process.env, STACK_DIR: dir },
      stdio: "ignore",
    });
  }
  const logs = join(dirname(dirname(dir)), "logs", "private", basename(dir).replace(/-\d+$/, ""));
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(dirname(logs), { recursive: true });
  try {
    renameSync(join(dir, "logs"), logs);
  } catch {
    // No logs: nothing was started.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Private stacks whose test process is gone (killed before its exit handler ran): stopped, removed. */
function sweepStale(root: string) {
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(entry.split("-").at(-1));
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) teardown(join(root, entry));
  }
}

/**
 * Starts `services` for this test file alone and points this process's environment at them.
 * `name` names the directory (`.local/private/<name>-<pid>`) and so its logs.
 */
export async function usePrivateStack(name: string, services: PrivateService[]): Promise<PrivateStack> {
  const root = base();
  sweepStale(root);
  const dir = join(root, `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = { STACK_DIR: dir };
  if (services.includes("kafka")) {
    const [port, controller] = [await freePort(), await freePort()];
    Object.assign(env, {
      STACK_KAFKA_PORT: String(port),
      STACK_KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${port}`,
      // One partition for the group offsets: made in a moment, and warmUp below proves it for every group.
      STACK_KAFKA_OFFSETS_PARTITIONS: "1",
      // C1 only: a broker start takes 2.9 CPU-s instead of 4.5-5.2 (its JIT's C2 compilations), which
      // is what a start waits for on a loaded machine; a test broker carries a few thousand records.
      STACK_KAFKA_JAVA_OPTS: "-XX:TieredStopAtLevel=1",
    });
  }
  if (services.includes("mongo")) {
    const [port, pg] = [await freePort(), await freePort()];
    Object.assign(env, {
      STACK_MONGO_PORT: String(port),
      STACK_PG_PORT: String(pg),
      MONGODB_URI: `mongodb://127.0.0.1:${port}/purchases`,
    });
  }
  Object.assign(process.env, env);

  // Stopped when the process exits: after every hook of the file (its own clean-up may still need
  // the services) and also when --test-force-exit ends it. A process killed outright leaves them
  // to the next private stack's sweep.
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", stopSync);
    teardown(dir);
  };
  const stopSync = () => void stop();
  process.once("exit", stopSync);
  try {
    // In parallel, as stack.sh start does for the shared stack.
    await Promise.all(services.map((s) => stack("start", s)));
    if (services.includes("kafka")) await warmUp();
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, stop };
}

/**
 * A freshly formatted broker answers metadata (stack.sh's readiness) before its group coordinator
 * exists: __consumer_offsets is made at the first group request, and until it is loaded a commit
 * can be lost and a committed-offsets read answer "none" without an error (seen: a test's
 * committed offset read back as absent). The shared stack was warmed by every run before; a
 * private one is new each time, so a commit is made and read back before any test runs.
 */
async function warmUp() {
  const topic = unique("warm-up");
  await createTopics([topic], { partitions: 1 });
  const consumer = createKafka(testConfig(), unique("warm-up")).consumer({
    kafkaJS: { groupId: unique("warm-up"), autoCommit: false },
  });
  await consumer.connect();
  try {
    await waitFor(
      "the group coordinator of the private broker",
      async () => {
        await consumer.commitOffsets([{ topic, partition: 0, offset: "1" }]);
        const [committed] = await consumer.committed([{ topic, partition: 0 }], 5000);
        return committed?.offset === "1";
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
  } finally {
    await consumer.disconnect();
  }
}
