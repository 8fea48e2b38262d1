// Starts the whole system locally, in dependency order: every function under functions/ on its own
// port (as a process, or as its container image: FUNCTION_RUNTIME=container, see containers.ts),
// the local KafkaSource dispatcher and the gateway. Each counts as started once its /readyz answers
// 200, as Knative would route to it (harness/process.ts). Used by the run command (scripts/dev.ts),
// the contract check, the fault campaign and end-to-end tests (with port 0 everywhere).
import { createAdmin, createKafka, ensureTopic } from "../functions/shared/kafka.ts";
import { testAuth } from "./auth-fixture.ts";
import { startContainer } from "./containers.ts";
import { type Component, type SpawnOptions, spawnComponent, waitReady } from "./process.ts";
import { ROOT } from "./root.ts";
import { localConfig } from "./stack.ts";

export type { Component } from "./process.ts";

export type Runtime = "process" | "container";
export const defaultRuntime = (): Runtime =>
  process.env.FUNCTION_RUNTIME === "container" ? "container" : "process";

export interface SystemOptions {
  /** Env for every process (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, KAFKA_TOPIC, ...). */
  env?: Record<string, string>;
  /** Fixed ports by component name; missing ones get a free port. */
  ports?: Partial<Record<string, number>>;
  /** Each output line of a component (the run command prefixes and filters them). */
  onLine?: (name: string, line: string) => void;
  /** How functions run: processes (default) or their images (FUNCTION_RUNTIME=container). */
  runtime?: Runtime;
}

export interface FunctionOptions {
  /** A folder of functions/. */
  name: string;
  runtime?: Runtime;
  env?: Record<string, string>;
  /** 0 (default) picks a free port. */
  port?: number;
  onLine?: (name: string, line: string) => void;
  /** "listening": resolve before it is ready, for a test that watches it become ready. */
  until?: SpawnOptions["until"];
}

/** Starts one function as a process or as its image; resolves once its /readyz answers 200. */
export async function startFunction({
  name,
  runtime = defaultRuntime(),
  env = {},
  port = 0,
  onLine,
  until = "ready",
}: FunctionOptions): Promise<Component> {
  if (runtime === "process") {
    return spawnComponent({ name, entry: `functions/${name}/server.ts`, env, port, onLine, until });
  }
  // A container does not inherit this process's environment: the local stack's addresses go in.
  const config = localConfig(env);
  const local = {
    KAFKA_BOOTSTRAP_SERVERS: config.KAFKA_BOOTSTRAP_SERVERS.join(","),
    MONGODB_URI: config.MONGODB_URI,
  };
  const c = await startContainer({ root: ROOT, fn: name, env: { ...local, ...env }, port, onLine });
  try {
    if (until === "ready") await waitReady(c);
  } catch (err) {
    await c.stop("SIGKILL");
    throw err;
  }
  return c;
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
  const config = localConfig(env);
  const start = async (name: string, entry: string, extra: Record<string, string> = {}) => {
    const c = await spawnComponent({
      name,
      entry,
      env: { ...env, ...extra },
      port: port(name),
      onLine: opts.onLine,
    });
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
    // Sender identity (issue 25): purchase-persist checks the dispatcher's token, as in a cluster
    // with authentication-oidc. Unless the caller sets SENDER_AUTH (off, or another issuer's SENDER_*
    // and KAFKA_SOURCE_OIDC_*), this process's test issuer issues it (harness/auth-fixture.ts).
    const sender = env.SENDER_AUTH ? {} : (await testAuth()).senderEnv;
    const [persist, customerManagement, items, buy] = await Promise.all([
      startOne("purchase-persist", sender),
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
      ...sender,
      ...env,
    });
    await start("gateway", "harness/gateway.ts", {
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
export async function ensureTopics(env: Record<string, string> = {}) {
  const config = localConfig(env);
  const admin = createAdmin(createKafka(config, "local-setup"));
  await admin.connect();
  try {
    await ensureTopic(admin, { topic: config.KAFKA_TOPIC, partitions: 3 });
    await ensureTopic(admin, { topic: config.KAFKA_DLQ_TOPIC, partitions: 1 });
  } finally {
    await admin.disconnect();
  }
}
