// Test helpers: the real local stack's addresses, unique names, and child-process functions.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type Config, loadConfig } from "../functions/shared/config.ts";
import { createLogger } from "../functions/shared/logging.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Config for a test: the local stack (or KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI), quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: "silent", ...pick(process.env), ...overrides });
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

/** The local MongoDB URI with another database name, so each test file has its own data. */
export function mongoUriFor(db: string, base = testConfig().MONGODB_URI) {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

export interface Proc {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Spawns a TypeScript entry with tsx on a free port and waits for its "listening" log line. */
export async function startProcess(
  entry: string,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Proc> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not listen in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const m =
        out.match(/"msg":"listening","[^\n]*"port":(\d+)/) ??
        out.match(/"port":(\d+)[^\n]*"msg":"listening"/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
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
