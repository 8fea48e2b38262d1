// What the bench runs against: the local stack (started here, and stopped again, only when no
// address was given and it is not running yet), the machine, and the local store/broker processes.
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import type { Variables } from "../../functions/shared/config.ts";
import { ROOT } from "../../harness/root.ts";
import { withAdmin } from "../../harness/topics.ts";
import { listenerPid } from "./procs.ts";
import type { Say } from "./progress.ts";
import { probeStore } from "./store.ts";

const stack = (...args: string[]) =>
  spawnSync("bash", ["scripts/stack.sh", ...args], {
    cwd: ROOT,
    stdio: args[0] === "running" ? "ignore" : "inherit",
  });

/** Starts what is ours to start; returns a function that stops what was started. */
export function startLocalStack(say: Say): () => void {
  const managed = (["kafka", "mongo"] as const).filter(
    (s) => !process.env[s === "kafka" ? "KAFKA_BOOTSTRAP_SERVERS" : "MONGODB_URI"],
  );
  const started: string[] = [];
  for (const s of managed) {
    if (stack("running", s).status === 0) continue;
    say(`starting the local ${s} (npm run stack -- start ${s})`);
    if (stack("start", s).status !== 0) throw new Error(`could not start the local ${s}`);
    started.push(s);
  }
  return () => {
    for (const s of started) stack("stop", s);
  };
}

export async function describeEnvironment(config: Variables) {
  await withAdmin((admin) => admin.listTopics({ timeout: 10_000 }), config.KAFKA_BOOTSTRAP_SERVERS).catch(
    (err: Error) => {
      throw new Error(`Kafka at ${config.KAFKA_BOOTSTRAP_SERVERS} is not reachable: ${err.message}`);
    },
  );
  const store = await probeStore(config.MONGODB_URI);
  const pids = {
    store: localListener(new URL(config.MONGODB_URI).host, 27017),
    kafka: localListener(config.KAFKA_BOOTSTRAP_SERVERS[0] ?? "", 9092),
  };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
  };
  return { store, pids, machine };
}

/** The pid listening on host:port when the host is this machine. */
function localListener(hostPort: string, defaultPort: number) {
  const m = hostPort.match(/^(localhost|127\.0\.0\.1|\[::1\])(?::(\d+))?$/);
  return m ? listenerPid(Number(m[2] ?? defaultPort)) : undefined;
}
