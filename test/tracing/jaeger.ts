// A real Jaeger v2 (OTLP receiver + in-memory trace store + query API) on free ports, provisioned
// and started by scripts/jaeger.sh (the first run on a machine builds it: about 3 minutes).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../harness/ports.ts";
import { ROOT } from "../../harness/root.ts";

export interface Jaeger {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  otlpEndpoint: string;
  queryUrl: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: Array<{ refType: "CHILD_OF" | "FOLLOWS_FROM"; traceID: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(true));
    socket.once("error", () => resolve(false));
  }).then((ok) => ok);

/** Provisions (if needed) and starts Jaeger; resolves once both its OTLP and query ports answer. */
export async function startJaeger(dir: string, provisionTimeoutMs = 15 * 60_000): Promise<Jaeger> {
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    "bash",
    ["scripts/jaeger.sh", "start", String(otlp), String(query), dir, String(grpc)],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", (d: Buffer) => {
    onData(d);
    // The provisioning progress line, so that a first run's 3-minute build is not a silent wait.
    if (d.toString().includes("[provision]")) process.stderr.write(d);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + provisionTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with code ${child.exitCode}:\n${out}`);
    if ((await listening(otlp)) && (await listening(query))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jaeger did not listen within ${provisionTimeoutMs} ms:\n${out}`);
    }
    await sleep(100);
  }
  return { otlpEndpoint: `http://127.0.0.1:${otlp}`, queryUrl: `http://127.0.0.1:${query}`, child, stop };
}

/** GET /api/traces/<id>: the trace, or undefined while Jaeger has none of its spans. */
export async function getTrace(jaeger: Jaeger, traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) throw new Error(`jaeger query: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** "<service> <operation>" of every span, for assertions and messages. */
export const spanNames = (t: JaegerTrace) =>
  t.spans.map((s) => `${t.processes[s.processID]?.serviceName} ${s.operationName}`).sort();
