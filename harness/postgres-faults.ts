// The local stack's PostgreSQL (behind FerretDB) taken down or hung, for the serial tests and the
// fault campaign: FerretDB stays up, so the functions meet what PostgreSQL's failures look like
// through it. The postmaster is found by PostgreSQL's own record of it (postmaster.pid in its data
// directory), not by stack.sh's pid file, which a restart by other means leaves behind.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { localPostgres } from "./ferretdb-index.ts";
import { stack, testConfig } from "./stack.ts";

function target() {
  const pg = localPostgres(testConfig().MONGODB_URI);
  if (!pg) throw new Error("not the local stack's FerretDB: no PostgreSQL to take down");
  return pg;
}

/** The postmaster's pid: line 1 of postmaster.pid in the data directory the server reports. */
export function postmasterPid(): number {
  const pg = target();
  const r = spawnSync(
    "psql",
    [
      "-X",
      "-q",
      "-A",
      "-t",
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      "postgres",
      "-c",
      "SHOW data_directory",
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  if (r.status !== 0) throw new Error(`psql: ${r.stderr?.trim() || r.error?.message}`);
  const pid = Number(readFileSync(`${r.stdout.trim()}/postmaster.pid`, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error("no pid in postmaster.pid");
  return pid;
}

/** The postmaster and its children (backends, checkpointer, walwriter...), from /proc. */
function serverPids(postmaster: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return [postmaster, ...children];
}

/**
 * Hangs PostgreSQL: SIGSTOP to the postmaster and every child, so that open sessions hang too
 * (stopping the postmaster alone only stops new connections). Returns `resume` (SIGCONT), which
 * every caller must run in a finally.
 */
export function hangPostgres(): () => void {
  const pids = serverPids(postmasterPid());
  // A backend may end between the listing and the signal (psql's own, just above): ESRCH is fine.
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    }
  };
  try {
    signal("SIGSTOP");
  } catch (err) {
    signal("SIGCONT"); // never leave part of it stopped
    throw err;
  }
  return () => signal("SIGCONT");
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops PostgreSQL with its fast shutdown (SIGINT: sessions are terminated), FerretDB left up. */
export async function stopPostgres(timeoutMs = 30_000): Promise<void> {
  const pid = postmasterPid();
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) still running after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Starts PostgreSQL again under the running FerretDB (stack.sh start mongo does only that). */
export const startPostgres = () => stack("start", "mongo");
