// Starts the whole system locally, in dependency order: every function under functions/ on its own
// port (as a process, or as its container image: FUNCTION_RUNTIME=container, see containers.ts),
// the local KafkaSource dispatcher and the gateway. A function counts as started once its /readyz
// answers 200, as Knative would route to it. Used by the run command (scripts/dev.ts), the contract
// check and end-to-end tests (with port 0 everywhere).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../functions/shared/config.ts";
import { createAdmin, createKafka, ensureTopic } from "../../functions/shared/kafka.ts";
import { startContainer } from "./containers.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

export type Runtime = "process" | "container";
export const defaultRuntime = (): Runtime =>
  process.env.FUNCTION_RUNTIME === "container" ? "container" : "process";

export interface SystemOptions {
  /** Env for every process (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, KAFKA_TOPIC, ...). */
  env?: Record<string, string>;
  /** Fixed ports by component name; missing ones get a free port. */
  ports?: Partial<Record<string, number>>;
  /** Where the children's output goes: "inherit" for the run command, else kept in memory. */
  stdio?: "inherit" | "buffer";
  /** Prefix each forwarded output line with the component name (run command). */
  onLine?: (name: string, line: string) => void;
  /** How functions run: processes (default) or their images (FUNCTION_RUNTIME=container). */
  runtime?: Runtime;
}

/** Spawns `node [--import tsx] entry` and resolves once it logs that it is listening. */
export async function spawnComponent(
  name: string,
  entry: string,
  env: Record<string, string>,
  port: number,
  onLine?: (name: string, line: string) => void,
  timeoutMs = 30_000,
): Promise<Component> {
  // A bundle (.mjs) runs as the image runs it; TypeScript sources through tsx.
  const args = entry.endsWith(".ts") ? ["--import", "tsx", entry] : [entry];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const onData = (d: Buffer) => {
    const text = d.toString();
    out = (out + text).slice(-200_000);
    if (onLine) for (const line of text.split("\n")) if (line.trim()) onLine(name, line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const actualPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const line = out.split("\n").find((l) => l.includes('"msg":"listening"'));
      const m = line?.match(/"port":(\d+)/);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}:\n${out}`));
    });
  });
  return {
    name,
    entry,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    child,
    output: () => out,
    respawn: () => spawnComponent(name, entry, env, actualPort, onLine, timeoutMs),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Resolves once `c` answers GET /readyz with 200; rejects if it exits first or takes too long. */
export async function waitReady(c: Component, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (c.child.exitCode !== null || c.child.signalCode !== null)
      throw new Error(`${c.name} exited before it was ready:\n${c.output()}`);
    const res = await fetch(`${c.url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${c.name} not ready within ${timeoutMs} ms:\n${c.output()}`);
    await sleep(20);
  }
}

export interface FunctionOptions {
  /** A folder of functions/. */
  name: string;
  runtime?: Runtime;
  env?: Record<string, string>;
  /** 0 (default) picks a free port. */
  port?: number;
  onLine?: (name: string, line: string) => void;
}

/** Starts one function as a process or as its image; resolves once it listens (not yet ready). */
export function startFunction({
  name,
  runtime = defaultRuntime(),
  env = {},
  port = 0,
  onLine,
}: FunctionOptions) {
  if (runtime === "process") return spawnComponent(name, `functions/${name}/server.ts`, env, port, onLine);
  // A container does not inherit this process's environment: the local stack's addresses go in.
  const config = loadConfig({ ...process.env, ...env });
  const local = {
    KAFKA_BOOTSTRAP_SERVERS: config.KAFKA_BOOTSTRAP_SERVERS.join(","),
    MONGODB_URI: config.MONGODB_URI,
  };
  return startContainer({ root: ROOT, fn: name, env: { ...local, ...env }, port, onLine });
}

export interface System {
  components: Map<string, Component>;
  url: (name: string) => string;
  stop: () => Promise<void>;
}

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  const env = opts.env ?? {};
  const components = new Map<string, Component>();
  const port = (name: string) => opts.ports?.[name] ?? 0;
  const runtime = opts.runtime ?? defaultRuntime();
  const config = loadConfig({ ...process.env, ...env });
  const start = async (name: string, entry: string, extra: Record<string, string> = {}) => {
    const c = await spawnComponent(name, entry, { ...env, ...extra }, port(name), opts.onLine);
    components.set(name, c);
    return c;
  };
  const startOne = async (name: string, extra: Record<string, string> = {}) => {
    const c = await startFunction({
      name,
      runtime,
      env: { ...env, ...extra },
      port: port(name),
      onLine: opts.onLine,
    });
    components.set(name, c);
    await waitReady(c);
    return c;
  };
  const system: System = {
    components,
    url: (name) => {
      const c = components.get(name);
      if (!c) throw new Error(`no component ${name}`);
      return c.url;
    },
    stop: async () => {
      // Reverse start order: the gateway and the dispatcher go first, the stores' writers last.
      for (const c of [...components.values()].reverse()) await c.stop();
    },
  };
  try {
    await ensureTopics(env);
    const [persist, customerManagement, items, buy] = await Promise.all([
      startOne("purchase-persist"),
      startOne("customer-management"),
      startOne("items"),
      startOne("buy"),
    ]);
    const userPurchases = await startOne("user-purchases", {
      CUSTOMER_MANAGEMENT_API_URL: customerManagement.url,
    });
    // The dispatcher reads the cluster's KafkaSource manifest; point it at this system's broker,
    // topic, consumer group and dead-letter topic.
    await start("kafka-source", "kafka-source/dispatcher/main.ts", {
      KAFKA_BOOTSTRAP_SERVERS: config.KAFKA_BOOTSTRAP_SERVERS.join(","),
      KAFKA_SOURCE_TOPICS: config.KAFKA_TOPIC,
      KAFKA_SOURCE_GROUP: config.KAFKA_GROUP_ID,
      KAFKA_SOURCE_DLQ: `kafka:${config.KAFKA_DLQ_TOPIC}`,
      KAFKA_SOURCE_SINK_URL: persist.url,
      ...env,
    });
    await start("gateway", "scripts/local/gateway.ts", {
      GATEWAY_ROUTES: JSON.stringify({ buy: buy.url, items: items.url, userPurchases: userPurchases.url }),
    });
    await startOne("web", { API_BASE_URL: `http://localhost:${components.get("gateway")?.port}` });
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}

/** The purchases topic (3 partitions) and the dead-letter topic, as kafka-source/kafka-topics.yaml has them. */
export async function ensureTopics(env: Record<string, string | undefined> = {}) {
  const config = loadConfig({ ...process.env, ...env });
  const admin = createAdmin(createKafka(config, "local-setup"));
  await admin.connect();
  try {
    await ensureTopic(admin, { topic: config.KAFKA_TOPIC, partitions: 3 });
    await ensureTopic(admin, { topic: config.KAFKA_DLQ_TOPIC, partitions: 1 });
  } finally {
    await admin.disconnect();
  }
}
