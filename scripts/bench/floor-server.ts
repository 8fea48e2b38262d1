// The handler floor: a bare node:http server that reads a POST body and answers 200 with
// a small JSON body, the least any KafkaSource sink can do per event. purchase-persist's CPU per
// event is set against this one's, measured at the dispatcher's concurrency (floor.ts).
// GET /cpu answers the process's CPU time so far, so the client can meter exactly its own window.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/cpu") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(process.cpuUsage()));
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    // Read the body as a sink must; the answer has the size of purchase-persist's.
    const bytes = Buffer.concat(chunks).length;
    const answer = JSON.stringify({ status: bytes > 0 ? "stored" : "empty", id: randomUUID() });
    res.writeHead(200, { "content-type": "application/json" }).end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  // The line spawnComponent waits for, in the functions' log format.
  console.log(JSON.stringify({ level: "info", msg: "listening", port }));
});
process.once("SIGTERM", () => process.exit(0));
