// A component of the local system as a child process: `node entry` on a port, its
// output kept (and optionally forwarded line by line), stopped with a signal. It counts as started
// when it says on which port it listens (an IPC message, functions/shared/listening.ts) and as ready
// when its /readyz answers 200, as Knative routes to a pod once its readiness probe passes.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { isListeningMessage } from "../functions/shared/listening.ts";
import { ROOT } from "./root.ts";

export interface Component {
  name: string;
  entry: string;
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** The container's name, when it runs as an image. */
  container?: string;
  /** Starts it again, same port and environment (after a stop or a crash). */
  respawn: () => Promise<Component>;
}

export interface SpawnOptions {
  /** For output lines and errors. */
  name: string;
  /** A TypeScript source (run by Node's type stripping) or a bundle (.mjs, run as the image runs it), from the root. */
  entry: string;
  env?: Record<string, string>;
  /** 0 (default) lets the process pick a free port; it reports the one it got. */
  port?: number;
  /** Each line of its output (the run command prefixes them with the name). */
  onLine?: (name: string, line: string) => void;
  /**
   * "ready" (default): resolve once GET /readyz answers 200. "listening": as soon as it listens,
   * for a test of a process that is meant to stay unready (its database down).
   */
  until?: "ready" | "listening";
  /** Longest wait for `until` (default 90 s). */
  timeoutMs?: number;
}

/** Keeps the last 200 kB of a child's output (for errors and logs) and passes on each line. */
export function captureOutput(
  child: ChildProcess,
  name: string,
  onLine?: (name: string, line: string) => void,
) {
  let out = "";
  const onData = (d: Buffer) => {
    const text = d.toString();
    out = (out + text).slice(-200_000);
    if (onLine) for (const line of text.split("\n")) if (line.trim()) onLine(name, line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return () => out;
}

const exitedAlready = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Spawns the entry and resolves once it is ready (or listening, with `until: "listening"`). */
export async function spawnComponent(opts: SpawnOptions): Promise<Component> {
  const { name, entry, env = {}, port = 0, onLine, until = "ready", timeoutMs = 90_000 } = opts;
  const args = entry.endsWith(".ts") ? [entry] : [entry];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  // The channel is for the one start-up message; it must not keep this process alive.
  child.channel?.unref();
  const output = captureOutput(child, name, onLine);
  const started = Date.now();
  const actualPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.on("message", (message) => {
      if (!isListeningMessage(message)) return;
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it listened:\n${output()}`));
    });
  });
  const component: Component = {
    name,
    entry,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    child,
    output,
    // Running again, as the kubelet restarts a container: readiness is the caller's to wait for.
    respawn: () => spawnComponent({ ...opts, port: actualPort, until: "listening" }),
    stop: async (signal = "SIGTERM") => {
      if (exitedAlready(child)) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
  if (until === "ready") {
    try {
      await waitReady(component, { timeoutMs: Math.max(1000, timeoutMs - (Date.now() - started)) });
    } catch (err) {
      await component.stop("SIGKILL");
      throw err;
    }
  }
  return component;
}

/** Resolves once `c` answers GET /readyz with 200; rejects if it exits first or takes too long. */
export async function waitReady(c: Component, { timeoutMs = 90_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitedAlready(c.child)) throw new Error(`${c.name} exited before it was ready:\n${c.output()}`);
    const res = await fetch(`${c.url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${c.name} not ready within ${timeoutMs} ms:\n${c.output()}`);
    await sleep(20);
  }
}

/** Why a component is no longer running, or undefined while it runs. */
export const exited = (c: Component) =>
  exitedAlready(c.child)
    ? `${c.name} exited (${c.child.exitCode ?? c.child.signalCode}):\n${c.output().slice(-2000)}`
    : undefined;
