// Unit: exitNow ends the process even while a libuv worker thread is blocked, where process.exit
// would wait for that thread forever.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT } from "../../harness/root.ts";

/**
 * A child whose only worker-thread job (opening a FIFO nobody writes) never returns; 200 ms later
 * it says "exiting" and runs `exit`. Resolves with how it ended, or "still running" when it is alive
 * `graceMs` after it said so (then it is SIGKILLed): a process.exit that returns to nothing.
 */
async function blockedChild(exit: string, graceMs = 1000) {
  const fifo = join(mkdtempSync(join(tmpdir(), "exit-")), "fifo");
  execFileSync("mkfifo", [fifo]);
  const script = `
    import fs from "node:fs";
    import { exitNow } from "./functions/shared/exit.ts";
    fs.open(${JSON.stringify(fifo)}, "r", () => {});
    setTimeout(() => { fs.writeSync(1, "exiting\\n"); ${exit}; }, 200);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const ended = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const saidExiting = once(child.stdout, "data").then(() => sleep(graceMs, "still running" as const));
  const outcome = await Promise.race([ended, saidExiting]);
  if (outcome === "still running") child.kill("SIGKILL");
  return outcome;
}

test("When a worker thread is blocked, then exitNow still ends the process (process.exit does not)", async () => {
  const [plain, now] = await Promise.all([blockedChild("process.exit(1)"), blockedChild("exitNow()")]);
  assert.equal(plain, "still running");
  assert.deepEqual(now, { code: null, signal: "SIGKILL" });
});
