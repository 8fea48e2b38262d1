// The Kafka Connect baseline of figure 1: Kafka Connect standalone running MongoDB's official sink
// connector, both resolved from Maven Central (connect/pom.xml) into ~/.cache/purchase-stack/connect/
// on first use. Worker and connector properties are generated per run into the bench's scratch dir.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../harness/ports.ts";
import { trackChild } from "./procs.ts";
import type { Say } from "./progress.ts";

const POM = fileURLToPath(new URL("connect/pom.xml", import.meta.url));
const CACHE = process.env.PURCHASE_STACK_CACHE ?? join(homedir(), ".cache/purchase-stack");
const pomText = readFileSync(POM, "utf8");
const version = (tag: string) => pomText.match(new RegExp(`<${tag}>([^<]+)</${tag}>`))?.[1] ?? "?";
export const VERSIONS = { kafka: version("kafka.version"), connector: version("mongo.kafka.version") };

const DIR = join(CACHE, "connect");
const LIBS = join(DIR, "libs");
const PLUGINS = join(DIR, "plugins");
const MARKER = join(DIR, `.complete-${VERSIONS.kafka}-${VERSIONS.connector}`);

export const connectProvisioned = () => existsSync(MARKER);

/** Resolves the Connect runtime and the connector's uber jar (a minute or two, once per machine). */
export async function provisionConnect(say: Say) {
  if (connectProvisioned()) return;
  for (const tool of ["java", "mvn"]) {
    if (spawnSync(tool, ["-version"], { stdio: "ignore" }).error) {
      throw new Error(`'${tool}' not found: the Kafka Connect baseline needs Java 17 and Maven`);
    }
  }
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(PLUGINS, { recursive: true });
  const steps: [string, string[]][] = [
    [
      `Kafka Connect ${VERSIONS.kafka} runtime`,
      ["-DexcludeArtifactIds=mongo-kafka-connect", `-DoutputDirectory=${LIBS}`],
    ],
    [
      `mongo-kafka-connect ${VERSIONS.connector} (all)`,
      [
        "-DincludeArtifactIds=mongo-kafka-connect",
        `-DoutputDirectory=${join(PLUGINS, "mongo-kafka-connect")}`,
      ],
    ],
  ];
  for (const [what, args] of steps) {
    say(`resolving ${what} from Maven Central into ${DIR} (first use only)...`);
    const t0 = performance.now();
    const mvn = spawn(
      "mvn",
      ["-q", "-B", "-f", POM, "dependency:copy-dependencies", "-DincludeScope=runtime", ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    mvn.stdout.on("data", (d) => (log += d));
    mvn.stderr.on("data", (d) => (log += d));
    const ticker = setInterval(() => say(`  still resolving ${what} (${secs(t0)} s)`), 15_000);
    const [code] = await once(mvn, "exit").finally(() => clearInterval(ticker));
    if (code !== 0) throw new Error(`maven could not resolve ${what}:\n${log.slice(-3000)}`);
    say(`  ${what}: done in ${secs(t0)} s`);
  }
  writeFileSync(MARKER, new Date().toISOString());
}

const secs = (t0: number) => Math.round((performance.now() - t0) / 1000);

export const INSERT_ONE = "com.mongodb.kafka.connect.sink.writemodel.strategy.InsertOneDefaultStrategy";

export interface ConnectOptions {
  workDir: string;
  name: string;
  kafka: string[];
  topic: string;
  connectionUri: string;
  database: string;
  /** A writemodel.strategy class; the connector's default (ReplaceOne upsert) when undefined. */
  writeModel?: string;
}

/** Starts Kafka Connect standalone with one MongoSinkConnector draining `topic`. */
export async function startConnect(o: ConnectOptions) {
  const dir = join(o.workDir, o.name);
  mkdirSync(dir, { recursive: true });
  const props = (entries: Record<string, string | number | undefined>) =>
    Object.entries(entries)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
  writeFileSync(
    join(dir, "worker.properties"),
    props({
      "bootstrap.servers": o.kafka.join(","),
      "key.converter": "org.apache.kafka.connect.storage.StringConverter",
      "value.converter": "org.apache.kafka.connect.json.JsonConverter",
      "value.converter.schemas.enable": "false",
      "offset.storage.file.filename": join(dir, "offsets"),
      // Progress is read from committed offsets: commit often for a fine-grained count.
      "offset.flush.interval.ms": 500,
      "plugin.path": PLUGINS,
      "plugin.discovery": "only_scan",
      listeners: `http://127.0.0.1:${await freePort()}`,
    }),
  );
  writeFileSync(
    join(dir, "sink.properties"),
    props({
      name: o.name,
      "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
      "tasks.max": 1,
      topics: o.topic,
      "connection.uri": o.connectionUri,
      database: o.database,
      collection: "purchases",
      "writemodel.strategy": o.writeModel,
    }),
  );
  writeFileSync(
    join(dir, "log4j2.properties"),
    [
      "status = error",
      "rootLogger.level = WARN",
      "rootLogger.appenderRef.stdout.ref = STDOUT",
      "appender.stdout.type = Console",
      "appender.stdout.name = STDOUT",
      "appender.stdout.layout.type = PatternLayout",
      "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
    ].join("\n"),
  );
  const child = spawn(
    "java",
    [
      "-Xms256m",
      "-Xmx1g",
      `-Dlog4j2.configurationFile=${join(dir, "log4j2.properties")}`,
      "-cp",
      `${LIBS}/*`,
      "org.apache.kafka.connect.cli.ConnectStandalone",
      join(dir, "worker.properties"),
      join(dir, "sink.properties"),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  trackChild(child);
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d).slice(-100_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return {
    pid: child.pid,
    output: () => out,
    /** Why it cannot make progress: the JVM exited or the task died. */
    failed: () => {
      if (child.exitCode !== null) return `Kafka Connect exited (${child.exitCode}):\n${out.slice(-2000)}`;
      if (/unrecoverable exception|Task is being killed/.test(out))
        return `the sink task failed:\n${out.slice(-3000)}`;
      return undefined;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
