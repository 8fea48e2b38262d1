// Test helpers: the real local stack's addresses, unique names, and child-process functions.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { systemConfig, type Variables } from "../functions/shared/config.ts";
import { createLogger } from "../functions/shared/logging.ts";
import { type Component, spawnComponent } from "../scripts/local/system.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Config for a test: the local stack (or KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI), quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Variables {
  return systemConfig({ LOG_LEVEL: "silent", ...pick(process.env), ...overrides });
}

function pick(env: NodeJS.ProcessEnv) {
  const out: Record<string, string> = {};
  for (const k of ["KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"]) if (env[k]) out[k] = env[k] as string;
  return out;
}

export const quietLogger = () => createLogger("silent");

let counter = 0;
/** A name no other test run uses: topics, databases, consumer groups. */
export const unique = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/**
 * A purchases topic, dead-letter topic and consumer group of their own, as the env of
 * scripts/local/system.ts startSystem (which points the dispatcher at the same three).
 */
export function isolatedPipeline(prefix: string) {
  const [topic, dlq, group] = [unique(prefix), unique(`${prefix}-dlq`), unique(`${prefix}-group`)];
  return { topic, dlq, group, env: { KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq, KAFKA_GROUP_ID: group } };
}

/** The local MongoDB URI with another database name, so each test file has its own data. */
export function mongoUriFor(db: string, base = testConfig().MONGODB_URI) {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

export type Proc = Component;

/** Spawns a TypeScript entry with tsx on a free port and waits for its "listening" log line. */
export function startProcess(
  entry: string,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Proc> {
  return spawnComponent(entry, entry, { LOG_LEVEL: "info", ...env }, 0, undefined, timeoutMs);
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

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 100,
) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
