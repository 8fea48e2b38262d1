// The client floor: a bare loop POSTing the requests the dispatcher sends for the bench's
// purchases (the same headers and bodies: mapping.ts and binding.ts, computed before the clock
// starts) with the same keep-alive agent settings, at the dispatcher's concurrency, to the bare
// server of floor-server.ts. Prints one JSON line: its own CPU ms per request and the server's.
//   node scripts/bench/floor-client.ts <url> <requests> <warm-up>
// The concurrency and the event attributes come from the dispatcher's own config (manifest.ts), so
// --set KAFKA_SOURCE_MAX_IN_FLIGHT=... moves the floor with the pipeline.
import { Agent, request } from "node:http";
import { loadDispatcherConfig } from "../../kafka-source/dispatcher/manifest.ts";
import { seedDelivery } from "./records.ts";

const [url = "", requestsArg = "20000", warmArg = "2000"] = process.argv.slice(2);
const requests = Number(requestsArg);
const warm = Number(warmArg);
const config = loadDispatcherConfig({ ...process.env, KAFKA_SOURCE_SINK_URL: url });
const concurrency = config.maxInFlight;
// delivery.ts: `new http.Agent({ keepAlive: true })`, one per protocol.
const agent = new Agent({ keepAlive: true });

type Message = { headers: Record<string, string>; body: Buffer | undefined };
const messages: Message[] = Array.from({ length: 1000 }, (_, i) => {
  const { headers, body } = seedDelivery(i, {
    topic: "bench-persist",
    source: config.source,
    overrides: config.ceOverrides,
  });
  return {
    headers: {
      ...headers,
      prefer: "reply",
      "kn-namespace": config.source.namespace,
      "content-length": String(body?.length ?? 0),
    },
    body,
  };
});

const target = new URL(url);
function post(m: Message): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: "POST", agent, headers: m.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        Buffer.concat(chunks);
        resolve(res.statusCode ?? 0);
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(m.body);
  });
}

async function run(n: number) {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const m = messages[next++ % messages.length] as Message;
        if ((await post(m)) !== 200) failed++;
      }
    }),
  );
  return failed;
}

const serverCpu = async () => {
  const res = await fetch(new URL("/cpu", url));
  const u = (await res.json()) as NodeJS.CpuUsage;
  return (u.user + u.system) / 1000;
};

await run(warm); // JIT, connections
const server0 = await serverCpu();
const client0 = process.cpuUsage();
const t0 = performance.now();
const failed = await run(requests);
const seconds = (performance.now() - t0) / 1000;
const client = process.cpuUsage(client0);
const server1 = await serverCpu();
const perRequest = (ms: number) => Math.round((ms / requests) * 10_000) / 10_000;
console.log(
  JSON.stringify({
    requests,
    concurrency,
    failed,
    rate: Math.round(requests / seconds),
    clientCpuMs: perRequest((client.user + client.system) / 1000),
    serverCpuMs: perRequest(server1 - server0),
    headerBytes: Object.entries(messages[0]?.headers ?? {}).reduce(
      (s, [k, v]) => s + k.length + v.length + 4,
      0,
    ),
    bodyBytes: messages[0]?.body?.length ?? 0,
  }),
);
agent.destroy();
