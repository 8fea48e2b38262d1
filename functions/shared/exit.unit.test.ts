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

/** A child whose only worker-thread job (opening a FIFO nobody writes) never returns, then `exit`. */
async function blockedChild(exit: string) {
  const fifo = join(mkdtempSync(join(tmpdir(), "exit-")), "fifo");
  execFileSync("mkfifo", [fifo]);
  const script = `
    import fs from "node:fs";
    import { exitNow } from "./functions/shared/exit.ts";
    fs.open(${JSON.stringify(fifo)}, "r", () => {});
    setTimeout(() => ${exit}, 200);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    stdio: "ignore",
  });
  const ended = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const outcome = await Promise.race([ended, sleep(5000, "still running", { ref: false })]);
  if (outcome === "still running") child.kill("SIGKILL");
  return outcome;
}

test("When a worker thread is blocked, then exitNow still ends the process (process.exit does not)", async () => {
  assert.equal(await blockedChild("process.exit(1)"), "still running");
  assert.deepEqual(await blockedChild("exitNow()"), { code: null, signal: "SIGKILL" });
});
