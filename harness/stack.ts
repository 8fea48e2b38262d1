// The local stack (Kafka, FerretDB on PostgreSQL: scripts/stack.sh): its addresses as a config, and
// its start/stop commands for the tests and campaigns that take a service down. Every harness module
// that reaches the broker or the database gets its addresses here; a *.unit.test.ts imports none
// of them (scripts/test.sh runs those with addresses where nothing listens).
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Variables } from "../functions/shared/config.ts";
import { systemConfig } from "./config.ts";
import { ROOT } from "./root.ts";

/** Config for a test: the local stack (or KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI), quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Variables {
  return systemConfig({ LOG_LEVEL: "silent", ...pick(process.env), ...overrides });
}

/** The config the local system's processes see: this process's environment with `env` on top. */
export const localConfig = (env: Record<string, string> = {}): Variables =>
  systemConfig({ ...process.env, ...env });

function pick(env: NodeJS.ProcessEnv) {
  const out: Record<string, string> = {};
  for (const k of ["KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"]) if (env[k]) out[k] = env[k] as string;
  return out;
}

/** Runs the project's stack script (start/stop a service), for tests that take one down. */
export async function stack(...args: string[]) {
  const child = spawn("bash", ["scripts/stack.sh", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`stack.sh ${args.join(" ")} failed (${code}):\n${out}`);
  return out;
}
